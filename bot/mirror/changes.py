"""The change card from the mirror: each deal as it was at the start and as it is now.

The mirror's in-memory copy holds every live deal as last read; deals deleted since the start are
tombstones in the database, with their last properties. The change log holds, per deal, each change
of a tracked property (stage, amount, close date, owner, pipeline: old -> new) plus ``created`` /
``deleted`` / ``restored``, stamped with when it happened. Undoing, newest first, every entry stamped
at or after the start gives each deal's state at the start; deals without such an entry did not
change. :func:`engines.compute_changes` does the rest.

The log starts at the mirror's first sync (``log_from``) and keeps ``change_log_days``: before that
nothing is known, so the numbers then start where the log does and the report says from when
(``covered_from``), rather than guessing.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.mirror.mirror import Mirror
from bot.mirror.store import Change, MirrorStore
from bot.storage.tables import MirrorChangeRow
from engines import (
    ChangeReport,
    Deal,
    DealState,
    DealTimeline,
    Pipeline,
    PortalSnapshot,
    cents,
    compute_changes,
    deal_states,
    stage_order,
    to_utc,
)

__all__ = ["MirrorChanges", "change_report", "read_changes", "report_from_log", "states_now", "timelines"]

_OBJECT_TYPE = "deals"
# A tracked HubSpot property -> the DealState field it sets, and how its text is read.
_FIELDS: dict[str, tuple[str, Any]] = {
    "dealstage": ("stage_id", lambda text: text),
    "pipeline": ("pipeline_id", lambda text: text),
    "hubspot_owner_id": ("owner_id", lambda text: text),
    "amount": ("amount", cents),
    "closedate": ("close_date", to_utc),
}


def _stage_flags(
    pipeline_id: str | None, stage_id: str | None, pipelines: Mapping[str, Pipeline]
) -> dict[str, bool]:
    """Closed / won from the stage's metadata (a stage the pipeline does not list is open)."""
    pipeline = pipelines.get(pipeline_id) if pipeline_id is not None else None
    stage = pipeline.stage(stage_id) if pipeline is not None else None
    return {"closed": stage.is_closed if stage else False, "won": stage.is_won if stage else False}


def _state(props: Mapping[str, Any], pipelines: Mapping[str, Pipeline], *, deleted: bool) -> DealState:
    """A deal's state from its stored HubSpot properties (for tombstones, which are not in memory)."""
    return DealState(
        name=props.get("dealname"),
        amount=cents(props.get("amount")),
        pipeline_id=props.get("pipeline"),
        stage_id=props.get("dealstage"),
        close_date=to_utc(props.get("closedate")),
        owner_id=props.get("hubspot_owner_id"),
        deleted=deleted,
        **_stage_flags(props.get("pipeline"), props.get("dealstage"), pipelines),
    )


def timelines(
    now: Mapping[str, DealState],
    changes: Sequence[Change],
    start: datetime,
    pipelines: Mapping[str, Pipeline],
) -> list[DealTimeline]:
    """Each deal's state at ``start`` and now: ``now`` holds every deal's state now (deleted ones as
    their last state, ``deleted=True``); ``changes`` are the log entries in recording order."""
    fields: dict[str, dict[str, Any]] = {}  # per changed deal: the fields as they were
    existed: dict[str, bool] = {}
    deleted: dict[str, bool] = {}
    for change in reversed(changes):
        if change.changed_at < start or change.object_id not in now:
            continue  # older, or a deal the mirror no longer holds: nothing to walk back
        deal_id = change.object_id
        fields.setdefault(deal_id, {})
        if change.field == "created":
            existed[deal_id] = False
        elif change.field == "deleted":
            existed[deal_id], deleted[deal_id] = True, False
        elif change.field == "restored":
            deleted[deal_id] = True
        elif change.field in _FIELDS:
            name, read = _FIELDS[change.field]
            fields[deal_id][name] = read(change.old) if change.old is not None else None
    out = []
    for deal_id, after in now.items():
        if deal_id not in fields:
            out.append(DealTimeline(deal_id, after, after))
            continue
        if not existed.get(deal_id, True):
            out.append(DealTimeline(deal_id, None, after))
            continue
        was = fields[deal_id]
        if "stage_id" in was or "pipeline_id" in was:
            was.update(
                _stage_flags(
                    was.get("pipeline_id", after.pipeline_id), was.get("stage_id", after.stage_id), pipelines
                )
            )
        before = dataclasses.replace(after, deleted=deleted.get(deal_id, after.deleted), **was)
        out.append(DealTimeline(deal_id, before, after))
    return out


def read_changes(store: MirrorStore, portal: str, start: datetime) -> list[Change]:
    """The log entries stamped at or after ``start``, in recording order (plain rows, no ORM objects:
    a year of a big portal's log is a hundred thousand of them)."""
    columns = (
        MirrorChangeRow.object_id,
        MirrorChangeRow.field,
        MirrorChangeRow.old,
        MirrorChangeRow.new,
        MirrorChangeRow.changed_at,
    )
    query = (
        select(*columns)
        .where(
            MirrorChangeRow.portal == portal,
            MirrorChangeRow.object_type == _OBJECT_TYPE,
            MirrorChangeRow.changed_at >= start,
        )
        .order_by(MirrorChangeRow.id)
    )
    with store.db.sessions() as session:
        return [Change(*row) for row in session.execute(query)]


def states_now(
    store: MirrorStore,
    portal: str,
    deals: Iterable[Deal],
    changes: Sequence[Change],
    pipelines: Mapping[str, Pipeline],
) -> dict[str, DealState]:
    """Every live deal's state now, plus the tombstones of deals the log says were deleted."""
    now = deal_states(deals, pipelines.values())
    gone = {c.object_id for c in changes if c.field == "deleted"} - now.keys()
    if gone:
        for deal_id, row in store.rows(portal, _OBJECT_TYPE, ids=gone).items():
            if row.deleted_at is not None:
                now[deal_id] = _state(row.properties, pipelines, deleted=True)
    return now


async def change_report(
    mirror: Mirror, *, since: datetime, pipeline: str | None = None, top: int = 5
) -> ChangeReport:
    """The change report of the mirrored portal from ``since`` to now (after a delta sync when the
    mirror is not fresh). ``pipeline`` is a pipeline id (``None``: all)."""
    memory = await mirror.fresh()
    until = memory.watermark
    assert until is not None  # fresh() returns a synced copy
    state = await asyncio.to_thread(mirror.store.state, memory.portal, _OBJECT_TYPE)
    kept_from = until - timedelta(days=mirror.syncer.change_log_days)
    log_from = state.log_from if state is not None else None
    covered_from = max(log_from, kept_from) if log_from is not None else until
    start = max(since, covered_from)
    return await asyncio.to_thread(
        report_from_log,
        mirror.store,
        memory.portal,
        memory.all_deals(),
        memory.pipelines,
        since=since,
        start=start,
        until=until,
        covered_from=covered_from,
        pipeline=pipeline,
        owners={o.id: o.name for o in memory.owners},
        time_zone=memory.account.time_zone,
        top=top,
    )


def report_from_log(
    store: MirrorStore,
    portal: str,
    deals: Sequence[Deal],
    pipelines: Sequence[Pipeline],
    *,
    since: datetime,
    start: datetime,
    until: datetime,
    covered_from: datetime | None,
    pipeline: str | None,
    owners: Mapping[str, str],
    time_zone: str,
    top: int = 5,
) -> ChangeReport:
    """The card's own work, in a worker thread: the log since ``start``, every deal's state now
    (``deals``: the live ones, from memory), the changed ones walked back, the report.

    It builds a few hundred thousand short-lived objects; the full collections they trigger are
    cheap because the mirror's own long-lived objects are frozen out of the collector once loaded
    (:func:`bot.mirror.mirror.freeze_loaded`), not because collection is paused here."""
    by_id = {p.id: p for p in pipelines}
    changes = read_changes(store, portal, start)
    now = states_now(store, portal, deals, changes, by_id)
    return compute_changes(
        timelines(now, changes, start, by_id),
        since=since,
        until=until,
        pipeline=pipeline,
        stages=stage_order(pipelines),
        covered_from=covered_from,
        owners=owners,
        time_zone=time_zone,
        top=top,
    )


class MirrorChanges:
    """The mirror as the bot's change source (``/engine changes``, the card's "What changed")."""

    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror

    async def portal(self) -> PortalSnapshot:
        memory = await self.mirror.fresh()
        assert memory.watermark is not None  # fresh() returns a synced copy
        return PortalSnapshot(
            portal=memory.account,
            pipelines=memory.pipelines,
            owners=memory.owners,
            taken_at=memory.watermark,
            source="hubspot",
        )

    async def changes(self, since: datetime, pipeline_id: str | None) -> ChangeReport:
        return await change_report(self.mirror, since=since, pipeline=pipeline_id)
