"""Turn the at-risk rows of the one-pass statistics into ``AtRiskDeal`` models, largest amount first.

Owners are looked up in a dict built once (``PortalSnapshot.owner`` is a linear scan) and deal links
share one precomputed prefix. The rows are built once per analysis and shared by the growth report
(all of them) and the fulfillment report (the late-stage and renewal ones): the models are frozen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from engines.deal_table import EPOCH, NO_DATE, to_micros
from engines.models import AtRiskDeal, PortalSnapshot
from engines.records import AtRiskRows, SnapshotStats
from engines.trusted import trusted_maker

__all__ = ["AtRiskList", "build_at_risk", "trusted_row"]

_DAY = 86400.0

#: An ``AtRiskDeal`` from values copied from validated deals or computed here (every field).
trusted_row = trusted_maker(AtRiskDeal)


def _days(now: int, then: int) -> float:
    """Days elapsed (one decimal) between two microsecond stamps, 0 for a moment after ``now``
    (clock or import errors). The same float as ``timedelta.total_seconds() / 86400``."""
    days = round((now - then) / 1_000_000 / _DAY, 1)
    return days if days > 0 else 0.0


@dataclass(frozen=True, slots=True)
class AtRiskList:
    """``deals[k]`` is built from row ``rows[k]`` of :class:`AtRiskRows` (so callers can filter)."""

    deals: tuple[AtRiskDeal, ...]
    rows: tuple[int, ...]


def build_at_risk(snapshot: PortalSnapshot, st: SnapshotStats) -> AtRiskList:
    """Every at-risk deal of ``st``, sorted by amount at risk (descending); ties keep snapshot order."""
    risk: AtRiskRows = st.at_risk
    if not len(risk):
        return AtRiskList((), ())
    owners = {o.id: (o.name, o.email) for o in snapshot.owners}
    labels = st.stage_labels
    base = snapshot.deal_url("")
    now = to_micros(st.now)
    rows, flags = risk.rows, risk.flags
    c = st.deals.columns
    no_owner = (None, None)
    reasons = tuple(risk.reasons(f) for f in range(8))
    built: list[AtRiskDeal] = []
    add = built.append
    name = c.name
    for row, flag in zip(rows, flags, strict=True):
        deal_id, slot, amount, stage_id, pipeline_id, owner_id, close, entered, activity = row
        owner_name, owner_email = owners.get(owner_id, no_owner) if owner_id is not None else no_owner
        add(
            trusted_row(
                {
                    "id": deal_id,
                    "name": name(slot),
                    "amount": None if amount != amount else amount,  # NaN: no amount
                    "stage_id": stage_id,
                    "stage_label": labels.get(stage_id) if stage_id is not None else None,
                    "pipeline_id": pipeline_id,
                    "owner_id": owner_id,
                    "owner_name": owner_name,
                    "owner_email": owner_email,
                    "reasons": reasons[flag & 7],
                    "days_in_stage": None if entered == NO_DATE else _days(now, entered),
                    "days_since_activity": None if activity == NO_DATE else _days(now, activity),
                    "close_date": None if close == NO_DATE else EPOCH + timedelta(0, 0, close),
                    "url": base + deal_id if base is not None else None,
                }
            )
        )
    # sorted() is stable, so equal amounts keep the snapshot's order: deterministic and cheap.
    order = sorted(range(len(risk)), key=risk.amounts.__getitem__, reverse=True)
    return AtRiskList(tuple(map(built.__getitem__, order)), tuple(order))
