"""The counts and sums behind the object metrics, each computed once per analysis on first use.

:class:`ObjectFacts` belongs to one analysis (snapshot, pipeline selection, ``now``, config). Each part
is a ``cached_property``, so ``analyze_all`` walks contacts, tickets, survey responses and line items
once for all three engines, and a single-engine answer walks only what that engine shows. Loops use
plain locals and set/dict lookups only: 50,000 tickets or 200,000 line items cost milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engines.config import AnalysisConfig
from engines.models import ObjectType, Pipeline, PortalSnapshot, ReadState, Ticket
from engines.objects._common import (
    Window,
    closed_stages,
    resolve_by_label,
    window_for,
)
from engines.objects._deals import DealFigures, deal_figures
from engines.records import SnapshotStats

__all__ = [
    "CoverageTarget",
    "FeedbackFigures",
    "LeadFigures",
    "ObjectFacts",
    "ProductFigures",
    "TicketFigures",
    "coverage_target",
    "quarter_of",
]

_NPS = "NPS"
_CSAT = "CSAT"
_PROMOTER = "PROMOTER"


def quarter_of(now: datetime, time_zone: str) -> tuple[datetime, datetime]:
    """The calendar quarter containing ``now`` in ``time_zone``, as ``[start, end)`` in UTC."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    first = (local.month - 1) // 3 * 3 + 1
    start = datetime(local.year, first, 1, tzinfo=zone)
    end = (
        datetime(local.year + 1, 1, 1, tzinfo=zone)
        if first == 10
        else datetime(local.year, first + 3, 1, tzinfo=zone)
    )
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class CoverageTarget:
    """What pipeline coverage is measured against: ``amount`` to win in ``[start, end)``."""

    start: datetime
    end: datetime
    amount: float
    source: str  # "revenue_target" or "goal_targets"
    goals: int = 0


@dataclass(slots=True)
class LeadFigures:
    leads: int = 0
    qualified: int = 0


@dataclass(slots=True)
class TicketFigures:
    """Onboarding tickets of the onboarding pipeline and feature-request tickets of every pipeline."""

    onboarding_seconds: list[float] = field(default_factory=list)  # closed in the window
    onboarding_open: int = 0
    overdue: list[Ticket] = field(default_factory=list)
    requests_created: int = 0  # in the window
    requests_created_previous: int = 0
    requests_created_open: int = 0  # created in the window, still open
    requests_closed_seconds: list[float] = field(default_factory=list)  # closed in the window
    requests_any: int = 0  # feature-request tickets of any date


@dataclass(slots=True)
class FeedbackFigures:
    nps_responses: int = 0
    promoters: int = 0
    detractors: int = 0
    csat_grouped: int = 0
    csat_promoters: int = 0
    with_content: int = 0  # in the window
    with_content_previous: int = 0


@dataclass(slots=True)
class ProductFigures:
    new_products: int = 0
    adopted_deals: int = 0
    new_product_amount: float = 0.0
    line_items_on_won: int = 0


def coverage_target(snapshot: PortalSnapshot, now: datetime, config: AnalysisConfig) -> CoverageTarget | None:
    """The ``revenue_target`` setting for the current calendar quarter in the portal's time zone, else
    the goal targets whose ``[start, end)`` contains ``now`` (earliest start to latest end, amounts
    summed); ``None`` when there is neither."""
    if config.revenue_target is not None:
        start, end = quarter_of(now, snapshot.portal.time_zone)
        return CoverageTarget(start, end, config.revenue_target, "revenue_target")
    current = [
        g
        for g in snapshot.goals
        if g.start_at is not None
        and g.end_at is not None
        and g.target_amount is not None
        and g.start_at <= now < g.end_at
    ]
    if not current:
        return None
    return CoverageTarget(
        start=min(g.start_at for g in current if g.start_at is not None),
        end=max(g.end_at for g in current if g.end_at is not None),
        amount=sum(g.target_amount for g in current if g.target_amount is not None),
        source="goal_targets",
        goals=len(current),
    )


class ObjectFacts:
    """Everything the object metrics count, for one analysis (see the module docstring)."""

    def __init__(self, snapshot: PortalSnapshot, stats: SnapshotStats, *, selection: Pipeline | None) -> None:
        self.snapshot = snapshot
        self.stats = stats
        self.selection = selection
        self.now = stats.now
        self.config = stats.config
        self.window: Window = window_for(snapshot, self.now, self.config)

    def read(self, object_type: ObjectType) -> bool:
        return self.snapshot.object_read(object_type).state is ReadState.READ

    # ------------------------------------------------------------------ pipelines

    @cached_property
    def renewal_choice(self) -> tuple[Pipeline | None, tuple[Pipeline, ...]]:
        """The renewals pipeline (setting, else the one label containing "renewal") and the candidates."""
        return resolve_by_label(self.snapshot.pipelines, self.config.renewal_pipeline, "renewal")

    @property
    def renewal(self) -> Pipeline | None:
        return self.renewal_choice[0]

    @cached_property
    def onboarding_choice(self) -> tuple[Pipeline | None, tuple[Pipeline, ...]]:
        """The onboarding ticket pipeline (setting, else the one label containing "onboard")."""
        return resolve_by_label(
            self.snapshot.ticket_pipelines, self.config.onboarding_ticket_pipeline, "onboard"
        )

    # ------------------------------------------------------------------ deals

    @cached_property
    def target(self) -> CoverageTarget | None:
        """The revenue target setting (current quarter), else the goal targets covering now."""
        return coverage_target(self.snapshot, self.now, self.config)

    @cached_property
    def deals(self) -> DealFigures:
        return deal_figures(
            self.snapshot,
            self.stats,
            selection=self.selection,
            renewal=self.renewal,
            window=self.window,
            config=self.config,
        )

    # ------------------------------------------------------------------ contacts

    @cached_property
    def leads(self) -> LeadFigures:
        """Contacts that entered ``lead`` in the window; qualified: also entered a qualified stage."""
        w = self.window
        start, now = w.start, w.now
        qualified_stages = tuple(self.config.qualified_lifecycle_stages)
        leads = qualified = 0
        for c in self.snapshot.contacts:
            entered = c.stage_entered_at
            lead_at = entered.get("lead")
            if lead_at is None or lead_at < start or lead_at > now:
                continue
            leads += 1
            for stage in qualified_stages:
                if stage in entered:
                    qualified += 1
                    break
        return LeadFigures(leads=leads, qualified=qualified)

    # ------------------------------------------------------------------ tickets

    @cached_property
    def tickets(self) -> TicketFigures:
        out = TicketFigures()
        w = self.window
        start, now, previous = w.start, w.now, w.previous_start
        closed = closed_stages(self.snapshot.ticket_pipelines)
        onboarding = self.onboarding_choice[0]
        onboarding_id = onboarding.id if onboarding is not None else None
        overdue_before = now - timedelta(days=self.config.onboarding_overdue_days)
        categories = set(self.config.feature_request_categories)
        seconds, req_seconds, overdue = out.onboarding_seconds, out.requests_closed_seconds, out.overdue
        open_n = created_n = created_prev = created_open = any_n = 0
        for t in self.snapshot.tickets:
            pid = t.pipeline_id
            is_onboarding = onboarding_id is not None and pid == onboarding_id
            is_request = t.category in categories
            if not is_onboarding and not is_request:
                continue
            sid = t.stage_id
            is_closed = closed.get((pid, sid), False) if pid is not None and sid is not None else False
            created = t.created_at
            closed_at = t.closed_at
            closed_in_window = is_closed and closed_at is not None and start <= closed_at <= now
            took = (
                (closed_at - created).total_seconds()
                if closed_in_window and created is not None and closed_at is not None and closed_at >= created
                else None
            )
            if is_onboarding:
                if took is not None:
                    seconds.append(took)
                elif not is_closed:
                    open_n += 1
                    if created is not None and created < overdue_before:
                        overdue.append(t)
            if is_request:
                any_n += 1
                if created is not None:
                    if start <= created <= now:
                        created_n += 1
                        if not is_closed:
                            created_open += 1
                    elif previous <= created < start:
                        created_prev += 1
                if took is not None:
                    req_seconds.append(took)
        out.onboarding_open = open_n
        out.requests_created, out.requests_created_previous = created_n, created_prev
        out.requests_created_open, out.requests_any = created_open, any_n
        return out

    # ------------------------------------------------------------------ feedback submissions

    @cached_property
    def feedback(self) -> FeedbackFigures:
        out = FeedbackFigures()
        w = self.window
        start, now, previous = w.start, w.now, w.previous_start
        responses = promoters = detractors = grouped = happy = content_n = content_prev = 0
        for f in self.snapshot.feedback:
            when = f.submitted_at or f.created_at
            if when is None or when < previous or when > now:
                continue
            if when < start:
                if f.content is not None and f.content.strip():
                    content_prev += 1
                continue
            if f.content is not None and f.content.strip():
                content_n += 1
            kind = f.survey_type.upper() if f.survey_type is not None else ""
            if kind == _NPS:
                value = f.value
                if value is None or value < 0 or value > 10:
                    continue
                responses += 1
                if value >= 9:
                    promoters += 1
                elif value <= 6:
                    detractors += 1
            elif kind == _CSAT:
                group = f.response_group
                if group:
                    grouped += 1
                    if group.upper() == _PROMOTER:
                        happy += 1
        out.nps_responses, out.promoters, out.detractors = responses, promoters, detractors
        out.csat_grouped, out.csat_promoters = grouped, happy
        out.with_content, out.with_content_previous = content_n, content_prev
        return out

    # ------------------------------------------------------------------ products and line items

    @cached_property
    def new_product_ids(self) -> set[str]:
        now = self.now
        since = now - timedelta(days=self.config.new_product_days)
        return {
            p.id for p in self.snapshot.products if p.created_at is not None and since <= p.created_at <= now
        }

    @cached_property
    def products(self) -> ProductFigures:
        out = ProductFigures()
        new_ids = self.new_product_ids
        out.new_products = len(new_ids)
        won = self.deals.won_ids
        adopted: set[str] = set()
        amount = 0.0
        on_won = 0
        if won:
            for li in self.snapshot.line_items:
                deal_id = li.deal_id
                if deal_id not in won:
                    continue
                on_won += 1
                if li.product_id in new_ids:
                    adopted.add(deal_id)
                    value = li.amount
                    if value is not None and value > 0:
                        amount += value
        out.adopted_deals, out.new_product_amount, out.line_items_on_won = len(adopted), amount, on_won
        return out
