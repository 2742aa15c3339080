"""Growth from contacts and goals: leads created, lead -> qualified (CR2), pipeline coverage.

- ``leads_created``: contacts whose ``hs_v2_date_entered_lead`` is in the window.
- ``lead_to_qualified``: of those, the % that entered (at any time) any stage of
  ``qualified_lifecycle_stages``. Healthy >= 25, warning >= 10, else critical.
- Visit -> lead (CR1) is always a data gap: HubSpot has no supported API for website sessions.
- ``pipeline_coverage``: open value with a close date in the target period / (target - value won with
  a close date in the period), over the report's pipeline selection; ``weighted_pipeline_coverage``
  weights the open value by stage probability. The target is the ``revenue_target`` setting (for the
  current calendar quarter in the portal's time zone), else the goal targets whose
  ``[hs_start_datetime, hs_end_datetime)`` contains now (period from the earliest start to the latest
  end, target the sum of their amounts). Nothing left to win: value null, healthy, "target met".
  Healthy >= 3.0, warning >= 2.0, else critical.
"""

from __future__ import annotations

from decimal import Decimal

from engines.models import DataGap, Metric, MetricStatus, ObjectType, ReadState
from engines.objects._common import half_up, object_gap, rate
from engines.objects.facts import ObjectFacts
from engines.scoring import below_status

__all__ = ["CR1_GAP", "growth_object_gaps", "growth_object_metrics"]

CR1_GAP = DataGap(
    key="visit_to_lead",
    missing="website sessions: HubSpot offers no supported API for them",
    unlocks="visit -> lead conversion (CR1)",
)


def _ratio(part: float, whole: float) -> float:
    return half_up(Decimal(repr(part)) / Decimal(repr(whole)))


def growth_object_metrics(facts: ObjectFacts) -> dict[str, Metric]:
    cfg = facts.config
    w = facts.window
    out: dict[str, Metric] = {}
    if facts.read(ObjectType.CONTACTS) and facts.snapshot.contacts:
        lf = facts.leads
        out["leads_created"] = Metric(
            label="Leads created",
            value=lf.leads,
            unit="contacts",
            status=MetricStatus.HEALTHY if lf.leads else MetricStatus.WARNING,
            note=f"Contacts that entered the lead stage in the last {w.days} days.",
        )
        conversion = rate(lf.qualified, lf.leads)
        if conversion is not None:
            stages = ", ".join(cfg.qualified_lifecycle_stages)
            out["lead_to_qualified"] = Metric(
                label="Lead to qualified",
                value=conversion,
                unit="%",
                status=below_status(
                    conversion, cfg.lead_to_qualified_critical_below, cfg.lead_to_qualified_warning_below
                ),
                note=f"{lf.qualified} of {lf.leads} new leads have also entered {stages}.",
                benchmark=cfg.lead_to_qualified_warning_below,
            )
    target = facts.target
    if target is not None:
        d = facts.deals
        remaining = target.amount - d.period_won
        period = f"{target.start:%Y-%m-%d} to {target.end:%Y-%m-%d}"
        source = (
            "the revenue_target setting"
            if target.source == "revenue_target"
            else f"{target.goals} HubSpot goal target{'s' if target.goals != 1 else ''}"
        )
        if remaining <= 0:
            value: float | None = None
            weighted: float | None = None
            status = weighted_status = MetricStatus.HEALTHY
            tail = "target met."
        else:
            value = _ratio(d.period_open, remaining)
            weighted = _ratio(d.period_weighted, remaining)
            status = below_status(value, cfg.coverage_critical_below, cfg.coverage_warning_below)
            weighted_status = below_status(weighted, cfg.coverage_critical_below, cfg.coverage_warning_below)
            tail = f"{remaining:,.2f} left to win."
        basis = f"target {target.amount:,.2f} from {source}, period {period}, {d.period_won:,.2f} won"
        out["pipeline_coverage"] = Metric(
            label="Pipeline coverage",
            value=value,
            unit="x",
            status=status,
            note=f"Open value closing in the period {d.period_open:,.2f} / what is left to win "
            f"({basis}); {tail}",
            benchmark=cfg.coverage_warning_below,
        )
        out["weighted_pipeline_coverage"] = Metric(
            label="Weighted pipeline coverage",
            value=weighted,
            unit="x",
            status=weighted_status,
            note=f"Probability-weighted open value closing in the period {d.period_weighted:,.2f} / what "
            f"is left to win; {tail}",
            benchmark=cfg.coverage_warning_below,
        )
    return out


def growth_object_gaps(facts: ObjectFacts) -> list[DataGap]:
    gaps = [CR1_GAP]
    snap = facts.snapshot
    contact_gap = object_gap(
        snap,
        ObjectType.CONTACTS,
        "leads",
        "leads created and lead -> qualified conversion (CR2)",
        empty=not snap.contacts,
    )
    if contact_gap is not None:
        gaps.append(contact_gap)
    elif facts.leads.leads == 0:
        gaps.append(
            DataGap(
                key="lead_to_qualified",
                missing=f"no contact entered the lead stage in the last {facts.window.days} days",
                unlocks="lead -> qualified conversion (CR2)",
            )
        )
    if facts.target is None:
        goals = snap.object_read(ObjectType.GOAL_TARGETS)
        why = (
            f"HubSpot refused goal targets (403): grant {', '.join(goals.scopes) or 'crm.objects.goals.read'}"
            if goals.state is ReadState.SCOPE_REFUSED
            else "no revenue_target setting and no HubSpot goal target covering today "
            "(scope crm.objects.goals.read)"
        )
        gaps.append(DataGap(key="pipeline_coverage", missing=why, unlocks="pipeline coverage against target"))
    return gaps
