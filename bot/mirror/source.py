"""``MirrorSource``: answers from the mirror's in-memory copy, as a :class:`engines.SnapshotSource`.

Deals, pipelines, owners and account details come from the mirror. The other CRM object types the
engines read (contacts, tickets, survey responses, products, goal targets, line items of won deals)
are not mirrored yet: they are read as the live HubSpot read reads them, once per sync of the mirror
(so at most once per ``SYNC_FRESH_SECONDS``, shared by every answer), and kept with the copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.mirror.memory import MemoryPortal
from bot.mirror.mirror import Mirror
from engines import ObjectType, PortalSnapshot, Progress, ProgressCallback, UnknownPipelineError, utc_now
from engines.hubspot import ALL_OBJECTS, ObjectsRead, read_deal_line_items, read_objects, won_deal_ids

__all__ = ["MirrorSource"]


@dataclass(frozen=True, slots=True)
class _Others:
    watermark: datetime
    read: ObjectsRead


class MirrorSource:
    """Snapshots from a :class:`Mirror`: fresh within its ``fresh_seconds``, else after one delta.

    The deals are selected as the live HubSpot read selects them (the pipeline asked for, open deals
    and those closed within ``lookback_days``), so a report reads the same numbers either way.
    """

    name = "hubspot"

    def __init__(
        self,
        mirror: Mirror,
        *,
        lookback_days: int = 180,
        objects: Iterable[ObjectType] = ALL_OBJECTS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if lookback_days < 1:
            raise ValueError("lookback_days must be at least 1")
        self.mirror = mirror
        self.lookback_days = lookback_days
        self.objects = frozenset(objects)
        self._clock = clock
        self._others: _Others | None = None
        self._others_lock: asyncio.Lock | None = None

    def invalidate(self) -> None:
        """The next snapshot syncs first (a card's Refresh), however fresh the copy is."""
        self.mirror.expire()

    async def aclose(self) -> None:
        await self.mirror.aclose()

    async def _other_objects(self, memory: MemoryPortal) -> ObjectsRead:
        """The object types besides deals, read once per sync of the mirror (see the module doc)."""
        if not self.objects:
            return ObjectsRead()
        if self._others_lock is None:
            self._others_lock = asyncio.Lock()
        async with self._others_lock:
            held = self._others
            if held is not None and held.watermark == memory.watermark:
                return held.read
            assert memory.watermark is not None
            now = memory.watermark
            out = ObjectsRead()
            async with self.mirror.client() as client:
                await read_objects(
                    client, objects=self.objects, now=now, lookback_days=self.lookback_days, out=out
                )
                if ObjectType.LINE_ITEMS in self.objects:
                    since = now - timedelta(days=self.lookback_days)
                    won = won_deal_ids(memory.deals().values(), memory.pipelines, since)
                    await read_deal_line_items(client, won, out)
            self._others = _Others(now, out)
            return out

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
        others = await self._other_objects(memory)
        snap = memory.snapshot(
            pipeline_id=pipeline_id,
            lookback_days=self.lookback_days,
            now=self._clock(),
            taken_at=memory.watermark,
        )
        snap = snap.model_copy(
            update={
                "warnings": (*snap.warnings, *others.warnings),
                "contacts": tuple(others.contacts),
                "tickets": tuple(others.tickets),
                "ticket_pipelines": others.ticket_pipelines,
                "feedback": tuple(others.feedback),
                "products": tuple(others.products),
                "line_items": tuple(others.line_items),
                "goals": tuple(others.goals),
                "object_reads": others.reads,
            }
        )
        if progress is not None:
            progress(Progress("done", len(snap.deals), snap.deals_total))
        return snap
