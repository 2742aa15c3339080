"""``MirrorSource``: answers from the mirror's in-memory copy, as a :class:`engines.SnapshotSource`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.mirror.mirror import Mirror
from engines import PortalSnapshot, Progress, ProgressCallback, UnknownPipelineError, utc_now

__all__ = ["MirrorSource"]


class MirrorSource:
    """Snapshots from a :class:`Mirror`: fresh within its ``fresh_seconds``, else after one delta.

    The deals are selected as the live HubSpot read selects them (the pipeline asked for, open deals
    and those closed within ``lookback_days``), so a report reads the same numbers either way.
    """

    name = "hubspot"

    def __init__(
        self, mirror: Mirror, *, lookback_days: int = 180, clock: Callable[[], datetime] = utc_now
    ) -> None:
        if lookback_days < 1:
            raise ValueError("lookback_days must be at least 1")
        self.mirror = mirror
        self.lookback_days = lookback_days
        self._clock = clock

    async def snapshot(
        self, pipeline: str | None = None, *, progress: ProgressCallback | None = None
    ) -> PortalSnapshot:
        memory = await self.mirror.fresh(progress)
        pipeline_id: str | None = None
        wanted = pipeline.strip() if pipeline is not None and pipeline.strip() else None
        if wanted is not None:
            probe = PortalSnapshot.model_construct(pipelines=memory.pipelines, taken_at=self._clock())
            found = probe.find_pipeline(wanted)
            if found is None:
                raise UnknownPipelineError(wanted, [p.label for p in memory.pipelines])
            pipeline_id = found.id
        assert memory.watermark is not None
        snap = memory.snapshot(
            pipeline_id=pipeline_id,
            lookback_days=self.lookback_days,
            now=self._clock(),
            taken_at=memory.watermark,
        )
        if progress is not None:
            progress(Progress("done", len(snap.deals), snap.deals_total))
        return snap

    def invalidate(self) -> None:
        """Nothing to drop: the mirror decides its own freshness (``SYNC_FRESH_SECONDS``)."""

    async def aclose(self) -> None:
        """Nothing to close: the mirror's HTTP clients live per sync."""
