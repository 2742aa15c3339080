"""``MirrorSource``: answers from the mirror's in-memory copy, as a :class:`engines.SnapshotSource`.

Deals, pipelines, owners and account details come from the mirror. The other CRM object types the
engines read (contacts, tickets, survey responses, products, goal targets, line items of won deals)
are not mirrored yet: they are read as the live HubSpot read reads them and kept ``others_ttl``
seconds (``HUBSPOT_CACHE_TTL``, as the live read caches them), one read shared by every answer;
``engine-bot serve`` refreshes them in the background with each sync (:meth:`MirrorSource.warm`).
"""

from __future__ import annotations

import asyncio
import time
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
    read_at: float  # time.monotonic()
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
        others_ttl: float = 300.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if lookback_days < 1:
            raise ValueError("lookback_days must be at least 1")
        self.mirror = mirror
        self.lookback_days = lookback_days
        self.objects = frozenset(objects)
        self.others_ttl = others_ttl
        self._clock = clock
        self._others: _Others | None = None
        self._others_lock: asyncio.Lock | None = None

    def invalidate(self) -> None:
        """The next snapshot syncs first and reads the other object types again (a card's Refresh)."""
        self.mirror.expire()
        self._others = None

    async def aclose(self) -> None:
        await self.mirror.aclose()

    async def warm(self) -> None:
        """Read the other object types now if their copy is older than ``others_ttl`` (after a
        background sync, so answers do not wait for them)."""
        if self.mirror.memory is not None and self.mirror.memory.watermark is not None:
            await self._other_objects(self.mirror.memory, ahead=0.8)

    async def _other_objects(self, memory: MemoryPortal, *, ahead: float = 1.0) -> ObjectsRead:
        """The object types besides deals (see the module doc); ``ahead`` < 1 refreshes them a little
        before they expire."""
        if not self.objects:
            return ObjectsRead()
        if self._others_lock is None:
            self._others_lock = asyncio.Lock()
        async with self._others_lock:
            held = self._others
            if held is not None and time.monotonic() - held.read_at < self.others_ttl * ahead:
                return held.read
            assert memory.watermark is not None
            now = self._clock()
            out = ObjectsRead()
            async with self.mirror.client() as client:
                await read_objects(
                    client, objects=self.objects, now=now, lookback_days=self.lookback_days, out=out
                )
                if ObjectType.LINE_ITEMS in self.objects:
                    since = now - timedelta(days=self.lookback_days)
                    won = won_deal_ids(memory.all_deals(), memory.pipelines, since)
                    await read_deal_line_items(client, won, out)
            self._others = _Others(time.monotonic(), out)
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
