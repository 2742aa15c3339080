"""Fulfillment from renewal deals, onboarding tickets and survey responses.

- Renewals pipeline: the ``renewal_pipeline`` setting, else the one deal pipeline whose label contains
  "renewal" (any case); with several, none is guessed and the data gap lists them. Renewal rates are
  company-level: every pipeline, whatever pipeline the card is for.
- ``gross_renewal_rate``: renewal-pipeline deals closed in the window, won amount / (won + lost
  amount), %. ``net_renewal_rate``: (won renewal amount + won amount of ``existingbusiness`` deals
  outside the renewals pipeline closed in the window) / the same denominator, %. They stand in for
  gross and net revenue retention. Gross healthy >= 90, warning >= 80; net healthy >= 100, warning >= 90.
- ``time_to_first_value_days``: tickets of the onboarding pipeline (``onboarding_ticket_pipeline``, else
  the one ticket pipeline whose label contains "onboard") in a ``CLOSED`` stage with ``closed_date`` in
  the window: median of ``closed_date - createdate`` in days. Healthy <= 30, warning <= 60.
  ``open_onboardings`` and ``overdue_onboardings`` (open longer than ``onboarding_overdue_days``), the
  overdue ones listed with links to the tickets.
- ``nps``: NPS responses in the window (``hs_submission_timestamp``, else ``hs_createdate``) with a
  numeric ``hs_value`` from 0 to 10: % of 9-10 minus % of 0-6; ``nps_responses`` their count. Healthy
  >= 30, warning >= 0. ``csat``: CSAT responses in the window, % whose ``hs_response_group`` is
  ``PROMOTER`` of those with a group. Healthy >= 80, warning >= 60.
"""

from __future__ import annotations

from decimal import Decimal

from engines.models import DataGap, Metric, MetricStatus, ObjectType, OverdueTicket, Pipeline
from engines.objects._common import DAY_SECONDS, half_up, median_days, object_gap, rate
from engines.objects.facts import ObjectFacts
from engines.scoring import Deduction, above_status, below_status

__all__ = [
    "fulfillment_object_deductions",
    "fulfillment_object_gaps",
    "fulfillment_object_measurable",
    "fulfillment_object_metrics",
    "overdue_onboardings",
]

_STAND_IN = "stands in for {what} revenue retention (HubSpot has no retention field)"


def _renewal_rates(facts: ObjectFacts) -> tuple[float | None, float | None]:
    if facts.renewal is None or not facts.snapshot.deals:
        return None, None
    d = facts.deals
    scoped = facts.snapshot.pipeline_id
    every_pipeline = scoped is None or d.outside_snapshot_pipeline > 0  # else read for one pipeline
    denominator = d.renewal_won + d.renewal_lost
    gross = rate(d.renewal_won, denominator) if every_pipeline or scoped == facts.renewal.id else None
    net = rate(d.renewal_won + d.expansion_won_outside, denominator) if every_pipeline else None
    return gross, net


def _nps(facts: ObjectFacts) -> float | None:
    fb = facts.feedback
    if not fb.nps_responses:
        return None
    return half_up(Decimal(fb.promoters - fb.detractors) * 100 / Decimal(fb.nps_responses))


def fulfillment_object_metrics(facts: ObjectFacts) -> dict[str, Metric]:
    cfg = facts.config
    days = facts.window.days
    out: dict[str, Metric] = {}
    gross, net = _renewal_rates(facts)
    if gross is not None and facts.renewal is not None:
        d = facts.deals
        out["gross_renewal_rate"] = Metric(
            label="Gross renewal rate",
            value=gross,
            unit="%",
            status=below_status(gross, cfg.gross_renewal_critical_below, cfg.gross_renewal_warning_below),
            note=f"Won / (won + lost) amount of {d.renewal_closed} deals of '{facts.renewal.label}' closed "
            f"in the last {days} days; {_STAND_IN.format(what='gross')}.",
            benchmark=cfg.gross_renewal_warning_below,
        )
    if net is not None:
        out["net_renewal_rate"] = Metric(
            label="Net renewal rate",
            value=net,
            unit="%",
            status=below_status(net, cfg.net_renewal_critical_below, cfg.net_renewal_warning_below),
            note="(Won renewals + won existing-business deals of other pipelines) / (won + lost renewal "
            f"amount), closed in the last {days} days; {_STAND_IN.format(what='net')}.",
            benchmark=cfg.net_renewal_warning_below,
        )
    onboarding = facts.onboarding_choice[0]
    if facts.read(ObjectType.TICKETS) and onboarding is not None:
        tf = facts.tickets
        median = median_days(tf.onboarding_seconds)
        if median is not None:
            out["time_to_first_value_days"] = Metric(
                label="Time to first value",
                value=median,
                unit="days",
                status=above_status(
                    median, cfg.time_to_value_critical_above, cfg.time_to_value_warning_above
                ),
                note=f"Median days from creation to close of {len(tf.onboarding_seconds)} "
                f"'{onboarding.label}' tickets closed in the last {days} days.",
                benchmark=cfg.time_to_value_warning_above,
            )
        out["open_onboardings"] = Metric(
            label="Open onboardings",
            value=tf.onboarding_open,
            unit="tickets",
            status=MetricStatus.HEALTHY,
            note=f"Tickets in an open stage of '{onboarding.label}'.",
        )
        share = rate(len(tf.overdue), tf.onboarding_open)
        out["overdue_onboardings"] = Metric(
            label="Overdue onboardings",
            value=len(tf.overdue),
            unit="tickets",
            status=above_status(share, cfg.at_risk_critical_above, cfg.at_risk_warning_above)
            if share is not None
            else MetricStatus.HEALTHY,
            note=f"Onboarding tickets open longer than {cfg.onboarding_overdue_days} days "
            f"({share if share is not None else 0} % of open onboardings).",
        )
    if facts.read(ObjectType.FEEDBACK_SUBMISSIONS):
        fb = facts.feedback
        nps = _nps(facts)
        if nps is not None:
            out["nps"] = Metric(
                label="NPS",
                value=nps,
                unit="",
                status=below_status(nps, cfg.nps_critical_below, cfg.nps_warning_below),
                note=f"% promoters (9-10) minus % detractors (0-6): {fb.promoters} and {fb.detractors} of "
                f"{fb.nps_responses} NPS responses in the last {days} days.",
                benchmark=cfg.nps_warning_below,
            )
            out["nps_responses"] = Metric(
                label="NPS responses",
                value=fb.nps_responses,
                unit="responses",
                status=MetricStatus.HEALTHY,
                note=f"NPS survey responses with a 0-10 score in the last {days} days.",
            )
        csat = rate(fb.csat_promoters, fb.csat_grouped)
        if csat is not None:
            out["csat"] = Metric(
                label="CSAT",
                value=csat,
                unit="%",
                status=below_status(csat, cfg.csat_critical_below, cfg.csat_warning_below),
                note=f"{fb.csat_promoters} of {fb.csat_grouped} CSAT responses in the last {days} days "
                "are in the PROMOTER response group.",
                benchmark=cfg.csat_warning_below,
            )
    return out


def overdue_onboardings(facts: ObjectFacts) -> tuple[OverdueTicket, ...]:
    """The overdue onboarding tickets, longest open first (ties by id), with links to HubSpot."""
    snap = facts.snapshot
    tickets = facts.tickets.overdue if facts.read(ObjectType.TICKETS) else []
    if not tickets:
        return ()
    owners = {o.id: o for o in snap.owners}
    labels = {(p.id, s.id): s.label for p in snap.ticket_pipelines for s in p.stages}
    now = facts.now
    out: list[OverdueTicket] = []
    for t in sorted(tickets, key=lambda t: (t.created_at or now, t.id)):
        owner = owners.get(t.owner_id) if t.owner_id is not None else None
        created = t.created_at
        out.append(
            OverdueTicket(
                id=t.id,
                subject=t.subject,
                pipeline_id=t.pipeline_id,
                stage_id=t.stage_id,
                stage_label=labels.get((t.pipeline_id or "", t.stage_id or "")),
                owner_id=t.owner_id,
                owner_name=owner.name if owner is not None else None,
                owner_email=owner.email if owner is not None else None,
                created_at=created,
                days_open=half_up((now - created).total_seconds() / DAY_SECONDS) if created else None,
                url=snap.ticket_url(t.id),
            )
        )
    return tuple(out)


def fulfillment_object_measurable(facts: ObjectFacts) -> bool:
    """Any of the object metrics has something to judge."""
    gross, net = _renewal_rates(facts)
    return (
        gross is not None
        or net is not None
        or _nps(facts) is not None
        or bool(facts.read(ObjectType.TICKETS) and facts.tickets.onboarding_seconds)
    )


def _band(
    out: list[Deduction],
    key: str,
    value: float | None,
    critical: float,
    warning: float,
    points: tuple[int, int],
) -> None:
    if value is None:
        return
    if value < critical:
        out.append(Deduction(key, points[0], f"{key.replace('_', ' ')} critical"))
    elif value < warning:
        out.append(Deduction(key, points[1], f"{key.replace('_', ' ')} low"))


def fulfillment_object_deductions(facts: ObjectFacts) -> list[Deduction]:
    """Renewal rates, NPS and onboarding time below their warning or critical bands."""
    cfg = facts.config
    out: list[Deduction] = []
    gross, net = _renewal_rates(facts)
    _band(
        out,
        "gross_renewal_rate",
        gross,
        cfg.gross_renewal_critical_below,
        cfg.gross_renewal_warning_below,
        (cfg.points_gross_renewal_critical, cfg.points_gross_renewal_warning),
    )
    _band(
        out,
        "net_renewal_rate",
        net,
        cfg.net_renewal_critical_below,
        cfg.net_renewal_warning_below,
        (cfg.points_net_renewal_critical, cfg.points_net_renewal_warning),
    )
    _band(
        out,
        "nps",
        _nps(facts),
        cfg.nps_critical_below,
        cfg.nps_warning_below,
        (cfg.points_nps_critical, cfg.points_nps_warning),
    )
    if facts.read(ObjectType.TICKETS) and facts.onboarding_choice[0] is not None:
        median = median_days(facts.tickets.onboarding_seconds)
        if median is not None:
            if median > cfg.time_to_value_critical_above:
                out.append(
                    Deduction(
                        "time_to_first_value_days", cfg.points_time_to_value_critical, "very slow onboarding"
                    )
                )
            elif median > cfg.time_to_value_warning_above:
                out.append(
                    Deduction("time_to_first_value_days", cfg.points_time_to_value_warning, "slow onboarding")
                )
    return out


def _names(pipelines: tuple[Pipeline, ...]) -> str:
    return ", ".join(f"'{p.label}'" for p in pipelines)


def fulfillment_object_gaps(facts: ObjectFacts) -> list[DataGap]:
    snap = facts.snapshot
    cfg = facts.config
    gaps: list[DataGap] = []
    renewal, candidates = facts.renewal_choice
    rates = "gross and net renewal rates (stand-ins for GRR and NRR)"
    if renewal is None:
        if cfg.renewal_pipeline:
            missing = (
                f"the renewals pipeline '{cfg.renewal_pipeline}' (the renewal_pipeline setting) "
                "is not in this portal"
            )
        elif len(candidates) > 1:
            missing = (
                f"several deal pipelines look like renewals ({_names(candidates)}): set renewal_pipeline "
                "to one of them"
            )
        else:
            missing = "no renewals pipeline: set renewal_pipeline, or name a deal pipeline 'Renewals'"
        gaps.append(DataGap(key="renewal_pipeline", missing=missing, unlocks=rates))
    else:
        gross, net = _renewal_rates(facts)
        one_pipeline = snap.pipeline_id is not None and facts.deals.outside_snapshot_pipeline == 0
        if one_pipeline and gross is None:
            gaps.append(
                DataGap(
                    key="renewal_rates",
                    missing="deals of every pipeline (this snapshot was read for one pipeline only)",
                    unlocks=rates,
                )
            )
        elif gross is None:
            gaps.append(
                DataGap(
                    key="renewal_rates",
                    missing=f"no won or lost deal amounts in '{renewal.label}' in the last "
                    f"{facts.window.days} days",
                    unlocks=rates,
                )
            )
        elif net is None:
            gaps.append(
                DataGap(
                    key="net_renewal_rate",
                    missing="deals of every pipeline (this snapshot was read for one pipeline only)",
                    unlocks="net renewal rate",
                )
            )
    ticket_gap = object_gap(
        snap,
        ObjectType.TICKETS,
        "onboarding_tickets",
        "time to first value and overdue onboardings",
        empty=not snap.tickets,
    )
    if ticket_gap is not None:
        gaps.append(ticket_gap)
    else:
        onboarding, found = facts.onboarding_choice
        if onboarding is None:
            if cfg.onboarding_ticket_pipeline:
                missing = (
                    f"the onboarding ticket pipeline '{cfg.onboarding_ticket_pipeline}' "
                    "(the onboarding_ticket_pipeline setting) is not in this portal"
                )
            elif len(found) > 1:
                missing = (
                    f"several ticket pipelines look like onboarding ({_names(found)}): set "
                    "onboarding_ticket_pipeline to one of them"
                )
            else:
                missing = (
                    "no onboarding ticket pipeline: set onboarding_ticket_pipeline, or name a ticket "
                    "pipeline 'Onboarding'"
                )
            gaps.append(DataGap(key="onboarding_pipeline", missing=missing, unlocks="time to first value"))
        elif not facts.tickets.onboarding_seconds:
            gaps.append(
                DataGap(
                    key="time_to_first_value_days",
                    missing=f"no '{onboarding.label}' ticket closed in the last {facts.window.days} days",
                    unlocks="time to first value",
                )
            )
    survey_gap = object_gap(
        snap,
        ObjectType.FEEDBACK_SUBMISSIONS,
        "surveys",
        "NPS and CSAT",
        empty=not snap.feedback,
    )
    if survey_gap is not None:
        gaps.append(survey_gap)
    else:
        if _nps(facts) is None:
            gaps.append(
                DataGap(
                    key="nps",
                    missing=f"no NPS survey response with a 0-10 score in the last {facts.window.days} days",
                    unlocks="NPS",
                )
            )
        if facts.feedback.csat_grouped == 0:
            gaps.append(
                DataGap(
                    key="csat",
                    missing="no CSAT survey response with a response group in the last "
                    f"{facts.window.days} days",
                    unlocks="CSAT",
                )
            )
    return gaps
