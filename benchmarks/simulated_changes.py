"""A period of CRM edits on the sample portal, as (state at T0, state at T1) pairs per deal.

The sample portal is the state at T1. Walking back to T0 undoes what a real period holds: deals
created after T0 did not exist then; deals closed after T0 were open in their pipeline's last open
stage; a share of the open deals had another amount, another close date or an earlier stage; a few
deals were deleted during the period (open at T0, deleted at T1) or restored (deleted at T0). The
shares are drawn from ``random.Random(seed)``, so a seed always gives the same period. Used by
bench_changes.py (100k deals, a year) and bench_charts.py (the docs' waterfall).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta
from decimal import Decimal

from engines import PortalSnapshot
from engines.changes import DealState, DealTimeline, deal_states

__all__ = ["simulate"]


def simulate(snapshot: PortalSnapshot, since: datetime, *, seed: int = 11) -> list[DealTimeline]:
    rng = random.Random(seed)
    states = deal_states(snapshot.deals, snapshot.pipelines)
    last_open = {p.id: (p.open_stages[-1].id if p.open_stages else None) for p in snapshot.pipelines}
    timelines: list[DealTimeline] = []
    for deal in snapshot.deals:
        after = states[deal.id]
        if deal.created_at is not None and deal.created_at > since:
            timelines.append(DealTimeline(deal.id, None, after))
            continue
        before: DealState | None = after
        closed_lately = after.closed and deal.close_date is not None and deal.close_date > since
        if closed_lately and after.pipeline_id is not None:
            before = dataclasses.replace(
                after, closed=False, won=False, stage_id=last_open.get(after.pipeline_id)
            )
        elif after.is_open:
            roll = rng.random()
            if roll < 0.10 and after.amount:
                factor = Decimal(rng.choice(("0.5", "0.8", "1.25", "1.6")))
                before = dataclasses.replace(after, amount=(after.amount * factor).quantize(Decimal("0.01")))
            elif roll < 0.18 and after.close_date is not None:
                shift = timedelta(days=rng.choice((-45, -20, 15, 40)))
                before = dataclasses.replace(after, close_date=after.close_date + shift)
            elif roll < 0.20:
                before = dataclasses.replace(after, deleted=True)  # restored during the period
            elif roll < 0.22:
                timelines.append(DealTimeline(deal.id, after, dataclasses.replace(after, deleted=True)))
                continue
        timelines.append(DealTimeline(deal.id, before, after))
    return timelines
