"""Where snapshots come from: the protocol the bot talks to, and the built-in sample source.

The bot never cares whether a snapshot came from HubSpot or from the sample generator; it asks a
:class:`SnapshotSource` for one and passes a progress callback so long reads can say how far along
they are. The HubSpot implementation lives in :mod:`engines.hubspot`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from engines.errors import UnknownPipelineError
from engines.models import PortalSnapshot

__all__ = ["Progress", "ProgressCallback", "SampleSource", "SnapshotSource"]


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a snapshot read has come. ``deals_total`` is what the source announced, if anything."""

    phase: str
    deals_read: int = 0
    deals_total: int | None = None

    @property
    def fraction(self) -> float | None:
        if not self.deals_total:
            return None
        return min(1.0, self.deals_read / self.deals_total)


ProgressCallback = Callable[[Progress], None]


@runtime_checkable
class SnapshotSource(Protocol):
    """Anything that can produce a portal snapshot (HubSpot, the sample portal, a test double)."""

    name: str

    async def snapshot(
        self, pipeline: str | None = None, *, progress: ProgressCallback | None = None
    ) -> PortalSnapshot:
        """Return a snapshot of all pipelines, or of the one whose id or label is ``pipeline``.

        Raises :class:`engines.errors.UnknownPipelineError` when ``pipeline`` names no pipeline.
        """
        ...

    def invalidate(self) -> None:
        """Forget what is cached, so the next :meth:`snapshot` reads afresh (the card's Refresh)."""
        ...

    async def aclose(self) -> None:
        """Stop reads under way and release what the source holds; call once, at shutdown."""
        ...


class SampleSource:
    """The built-in sample portal: deterministic, no account needed. Generated once, then reused."""

    name = "sample"

    def __init__(self, *, deals: int = 240, seed: int = 7, now: datetime | None = None) -> None:
        self._deals = deals
        self._seed = seed
        self._now = now
        self._snapshot: PortalSnapshot | None = None
        self._lock = asyncio.Lock()

    def snapshot_sync(self) -> PortalSnapshot:
        if self._snapshot is None:
            from engines.sample import generate_portal

            self._snapshot = generate_portal(deals=self._deals, seed=self._seed, now=self._now)
        return self._snapshot

    async def snapshot(
        self, pipeline: str | None = None, *, progress: ProgressCallback | None = None
    ) -> PortalSnapshot:
        async with self._lock:
            snap = self.snapshot_sync()
        if pipeline is not None:
            found = snap.find_pipeline(pipeline)
            if found is None:
                raise UnknownPipelineError(pipeline, [p.label for p in snap.pipelines])
            snap = snap.model_copy(update={"pipeline_id": found.id})
        if progress is not None:
            progress(Progress("done", len(snap.deals), len(snap.deals)))
        return snap

    def invalidate(self) -> None:
        """Nothing to forget: the sample portal is generated once and never changes."""
        return

    async def aclose(self) -> None:
        """Nothing to release."""
        return
