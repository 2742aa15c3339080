"""``MirrorSource``: answers from the mirror's in-memory copy, as a :class:`engines.SnapshotSource`.

Deals, pipelines, owners and account details come from the mirror, and so do the other object types
the mirror holds (``engine-bot serve`` mirrors contacts, tickets with their pipelines, survey
responses, products and goal targets: :func:`engines.hubspot.mirrored_object_types`), selected at the
answer's time as the live read selects them (:mod:`bot.mirror.objects`), with the same read states
(a refused scope is a data gap naming it) and warnings, and the line items of the deals won in the
window when the mirror holds them for at least ``lookback_days`` (:mod:`bot.mirror.line_items`).
Object types the mirror does not hold (any type of a mirror built without them) are read as the
live HubSpot read reads them and kept ``others_ttl`` seconds (``HUBSPOT_CACHE_TTL``), one read
shared by every answer;
``engine-bot serve`` refreshes them in the background with each sync (:meth:`MirrorSource.warm`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.mirror.memory import MemoryPortal
from bot.mirror.mirror import Mirror
from engines import (
    LineItem,
    ObjectRead,
    ObjectType,
    PortalSnapshot,
    Progress,
    ProgressCallback,
    ReadState,
    UnknownPipelineError,
    utc_now,
)
from engines.hubspot import (
    ALL_OBJECTS,
    MIRRORED_OBJECTS,
    ObjectsRead,
    mirrored_object_types,
    read_deal_line_items,
    read_objects,
    won_deal_ids,
)

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
        held = {t.name: t for t in mirror.syncer.object_types}
        # The mirror's windows must be this source's: it holds what an answer with them selects.
        self.mirrored = frozenset(o for o in self.objects if o.value in held)
        for wanted in mirrored_object_types(lookback_days, self.mirrored):
            if held[wanted.name] != wanted:
                raise ValueError(
                    f"the mirror reads {wanted.name} for another lookback window than {lookback_days} days"
                )
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
        live = self.objects - self.mirrored
        if memory.line_items.holds(self.lookback_days):
            live -= {ObjectType.LINE_ITEMS}
        if not live:
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
                await read_objects(client, objects=live, now=now, lookback_days=self.lookback_days, out=out)
                if ObjectType.LINE_ITEMS in live:
                    since = now - timedelta(days=self.lookback_days)
                    won = won_deal_ids(memory.all_deals(), memory.pipelines, since, now)
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
        now = self._clock()
        snap = memory.snapshot(
            pipeline_id=pipeline_id,
            lookback_days=self.lookback_days,
            now=now,
            taken_at=memory.watermark,
        )
        held = memory.others
        reads: dict[ObjectType, ObjectRead] = dict(others.reads)
        warnings = list(others.warnings)
        for kind in MIRRORED_OBJECTS:
            if kind in self.mirrored:
                reads[kind] = held.read_state(kind.value)
                if kind.value in held.warnings:
                    warnings.append(held.warnings[kind.value])

        def pick(kind: ObjectType, live: tuple[Any, ...]) -> tuple[Any, ...]:
            return held.select(kind.value, now) if kind in self.mirrored else live

        tickets_read = reads.get(ObjectType.TICKETS, ObjectRead()).state is ReadState.READ
        ticket_pipelines = (
            (held.pipelines.get(ObjectType.TICKETS.value, ()) if tickets_read else ())
            if ObjectType.TICKETS in self.mirrored
            else others.ticket_pipelines
        )
        line_items: tuple[LineItem, ...] = tuple(others.line_items)
        if ObjectType.LINE_ITEMS in self.objects and memory.line_items.holds(self.lookback_days):
            # The line items of the deals this answer counts as won in its window (the live read's
            # won_deal_ids), from the mirror; the window ends at the sync the copy comes from.
            won = won_deal_ids(
                snap.deals, memory.pipelines, now - timedelta(days=self.lookback_days), memory.watermark
            )
            read = memory.line_items.read()
            line_items = memory.line_items.of_deals(won) if read.state is ReadState.READ else ()
            reads[ObjectType.LINE_ITEMS] = read
            warnings.extend(memory.line_items.warnings())
        snap = snap.model_copy(
            update={
                "warnings": (*snap.warnings, *warnings),
                "contacts": pick(ObjectType.CONTACTS, tuple(others.contacts)),
                "tickets": pick(ObjectType.TICKETS, tuple(others.tickets)),
                "ticket_pipelines": ticket_pipelines,
                "feedback": pick(ObjectType.FEEDBACK_SUBMISSIONS, tuple(others.feedback)),
                "products": pick(ObjectType.PRODUCTS, tuple(others.products)),
                "line_items": line_items,
                "goals": pick(ObjectType.GOAL_TARGETS, tuple(others.goals)),
                "object_reads": reads,
            }
        )
        if progress is not None:
            progress(Progress("done", len(snap.deals), snap.deals_total))
        return snap
