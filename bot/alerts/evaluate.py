"""What a sync brought, as alerts: pure functions of the rules, the mirror's change log and reports.

- Deal rules read the change log (``dealstage`` and ``closedate`` changes, old -> new) against the
  portal as it is now (the deal's name, amount, owner, pipeline and stages):
  *lost* when the new stage is a lost one; *back* when it is an open stage earlier than the old one
  in the same pipeline; *pushed* when an open deal's close date moves from inside the quarter the
  change was made in (in the portal's time zone) to after it.
- Score rules compare each engine's report with what the previous evaluation saw (kept by the
  caller): a drop of at least ``points``, or a critical signal (strength >= 0.7) that was not there.
- Item rules do the same with the fulfillment report's lists: an onboarding ticket newly overdue,
  a deal of the renewals pipeline newly at risk.

Each alert carries the key of the change it is about, so the store keeps it once whatever replica
evaluates the sync; ``subject`` (a deal id, or ``engine:signal``) is what Snooze silences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.alerts.rules import CRITICAL_STRENGTH, RuleKind
from bot.blocks.ids import signal_key
from bot.blocks.mrkdwn import format_date
from bot.storage import Alert, AlertRule
from engines import Deal, EngineReport, Pipeline, PortalSnapshot, Stage, deals_by_id, to_utc

__all__ = [
    "DealChange",
    "ItemMemory",
    "ScoreMemory",
    "deal_alerts",
    "item_alerts",
    "quarter_end",
    "renewals_pipeline",
    "score_alerts",
]


@dataclass(frozen=True, slots=True)
class DealChange:
    """One change-log entry of a deal (the mirror's ``Change``)."""

    object_id: str
    field: str
    old: str | None
    new: str | None
    changed_at: datetime


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quarter_end(moment: datetime, time_zone: str) -> datetime:
    """The first instant after the calendar quarter holding ``moment`` in ``time_zone`` (aware, UTC)."""
    local = moment.astimezone(_zone(time_zone))
    first_month_next = (local.month - 1) // 3 * 3 + 4
    year = local.year + (first_month_next > 12)
    month = first_month_next - 12 if first_month_next > 12 else first_month_next
    start = local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC)


def _matches(rule: AlertRule, deal: Deal, pipeline: Pipeline | None) -> bool:
    if pipeline is not None and deal.pipeline_id != pipeline.id:
        return False
    return rule.min_amount is None or (deal.amount or 0.0) >= rule.min_amount


def _stage_index(pipeline: Pipeline, stage: Stage) -> int:
    return [s.id for s in pipeline.ordered_stages].index(stage.id)


def _money(amount: float | None, currency: str) -> str:
    if amount is None:
        return "no amount"
    return f"{currency} {amount:,.0f}"


def _deal_alert(
    rule: AlertRule, deal: Deal, change: DealChange, snapshot: PortalSnapshot, detail: str
) -> Alert:
    owner = snapshot.owner(deal.owner_id)
    return Alert(
        rule_id=rule.id,
        channel_id=rule.channel_id,
        subject=deal.id,
        change_key=f"{deal.id}:{change.field}:{change.changed_at.isoformat()}:{change.new}",
        title=deal.name or f"Deal {deal.id}",
        detail=detail,
        amount=deal.amount,
        url=snapshot.deal_url(deal.id),
        owner=owner.name if owner is not None else None,
        owner_user=None,
    )


def _what_happened(kind: RuleKind, deal: Deal, change: DealChange, snapshot: PortalSnapshot) -> str | None:
    pipeline = snapshot.pipeline(deal.pipeline_id)
    if pipeline is None:
        return None
    if change.field == "dealstage" and kind in (RuleKind.DEAL_LOST, RuleKind.DEAL_BACK):
        old, new = pipeline.stage(change.old), pipeline.stage(change.new)
        if new is None:
            return None
        if kind is RuleKind.DEAL_LOST and new.is_lost and (old is None or not old.is_lost):
            was = f" (was {old.label})" if old is not None else ""
            return f"lost{was}"
        if (
            kind is RuleKind.DEAL_BACK
            and old is not None
            and not old.is_closed
            and not new.is_closed
            and _stage_index(pipeline, new) < _stage_index(pipeline, old)
        ):
            return f"moved back: {old.label} → {new.label}"
        return None
    if change.field == "closedate" and kind is RuleKind.DEAL_PUSHED:
        stage = pipeline.stage(deal.stage_id)
        closed_by, closes_by = to_utc(change.old), to_utc(change.new)
        if stage is None or stage.is_closed or closed_by is None or closes_by is None:
            return None
        zone = snapshot.portal.time_zone
        if closed_by < quarter_end(change.changed_at, zone) <= closes_by:
            dates = f"{format_date(closed_by, zone)} → {format_date(closes_by, zone)}"
            return f"pushed out of the quarter: close date {dates}"
    return None


def deal_alerts(
    rules: Iterable[AlertRule], changes: Sequence[DealChange], snapshot: PortalSnapshot
) -> list[Alert]:
    """The alerts ``changes`` raise for the deal ``rules`` (deals no longer in the portal: none)."""
    deals = deals_by_id(snapshot.deals)  # builds only the deals the changes name
    alerts: list[Alert] = []
    for rule in rules:
        kind = RuleKind(rule.kind)
        if not kind.about_deals:
            continue
        pipeline = snapshot.find_pipeline(rule.pipeline) if rule.pipeline else None
        if rule.pipeline and pipeline is None:
            continue  # a pipeline the portal no longer has: nothing matches
        for change in changes:
            if rule.created_at is not None and change.changed_at < rule.created_at:
                continue  # before the rule existed
            deal = deals.get(change.object_id)
            if deal is None or not _matches(rule, deal, pipeline):
                continue
            detail = _what_happened(kind, deal, change, snapshot)
            if detail is not None:
                detail += f" · {_money(deal.amount, snapshot.portal.currency)}"
                alerts.append(_deal_alert(rule, deal, change, snapshot, detail))
    return alerts


@dataclass(frozen=True, slots=True)
class ScoreMemory:
    """What a score rule saw last time: the engine's score and its critical signals' keys."""

    score: int | None
    critical: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "critical": list(self.critical)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ScoreMemory | None:
        if not data:
            return None
        score = data.get("score")
        return cls(score if isinstance(score, int) else None, tuple(str(k) for k in data.get("critical", ())))

    @classmethod
    def of(cls, report: EngineReport) -> ScoreMemory:
        keys = tuple(sorted(signal_key(s) for s in report.signals if s.strength >= CRITICAL_STRENGTH))
        return cls(report.score, keys)


def score_alerts(
    rule: AlertRule, reports: Sequence[EngineReport], before: ScoreMemory | None, stamp: str
) -> list[Alert]:
    """The alerts of score rule ``rule`` from ``reports`` against what it saw ``before`` (``None``:
    the first evaluation, which only remembers). ``stamp`` names the sync (the change key)."""
    if before is None:
        return []
    kind = RuleKind(rule.kind)
    alerts: list[Alert] = []
    for report in reports:
        if rule.engine not in (report.engine.value, "all"):
            continue
        engine = report.engine.value.capitalize()
        where = f" ({report.pipeline_label})" if report.pipeline_label else ""
        if kind is RuleKind.SCORE_DROP and report.score is not None and before.score is not None:
            drop = before.score - report.score
            if rule.points is not None and drop >= rule.points:
                alerts.append(
                    Alert(
                        rule_id=rule.id,
                        channel_id=rule.channel_id,
                        subject=report.engine.value,
                        change_key=f"score:{report.engine.value}:{stamp}",
                        title=f"{engine} engine{where}",
                        detail=f"score {before.score} → {report.score} (−{drop})",
                        amount=None,
                    )
                )
        elif kind is RuleKind.CRITICAL:
            for signal in report.signals:
                key = signal_key(signal)
                if signal.strength >= CRITICAL_STRENGTH and key not in before.critical:
                    alerts.append(
                        Alert(
                            rule_id=rule.id,
                            channel_id=rule.channel_id,
                            subject=f"{report.engine.value}:{key}",
                            change_key=f"critical:{report.engine.value}:{key}:{stamp}",
                            title=f"{engine}{where}: {signal.name}",
                            detail=signal.recommended_action or "a new critical signal",
                            amount=None,
                        )
                    )
    return alerts


@dataclass(frozen=True, slots=True)
class ItemMemory:
    """What an item rule saw last time: the ids on its list (overdue tickets, renewals at risk)."""

    ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"ids": list(self.ids)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ItemMemory | None:
        if not data or "ids" not in data:
            return None
        return cls(tuple(str(i) for i in data["ids"]))


def renewals_pipeline(snapshot: PortalSnapshot, setting: str | None) -> Pipeline | None:
    """The renewals pipeline as the fulfillment engine finds it: the ``renewal_pipeline`` setting,
    else the one deal pipeline whose label contains "renewal" (several: none is guessed)."""
    if setting:
        return snapshot.find_pipeline(setting)
    found = [p for p in snapshot.pipelines if "renewal" in p.label.casefold()]
    return found[0] if len(found) == 1 else None


def item_alerts(
    rule: AlertRule, report: EngineReport, before: ItemMemory | None, stamp: str
) -> tuple[list[Alert], ItemMemory]:
    """The alerts of an item rule from the fulfillment ``report`` (for the renewals pipeline, for
    ``renewal-at-risk``) against what it saw ``before`` (``None``: the first evaluation only
    remembers), and what to remember now."""
    kind = RuleKind(rule.kind)
    alerts: list[Alert] = []
    if kind is RuleKind.ONBOARDING_OVERDUE:
        ids = tuple(t.id for t in report.overdue_onboardings)
        for ticket in report.overdue_onboardings:
            if before is None or ticket.id in before.ids:
                continue
            days = f"open {ticket.days_open:.0f} days" if ticket.days_open is not None else "open too long"
            stage = f" · {ticket.stage_label}" if ticket.stage_label else ""
            alerts.append(
                Alert(
                    rule_id=rule.id,
                    channel_id=rule.channel_id,
                    subject=f"ticket:{ticket.id}",
                    change_key=f"overdue:{ticket.id}",
                    title=ticket.subject or f"Ticket {ticket.id}",
                    detail=f"onboarding overdue: {days}{stage}",
                    url=ticket.url,
                    owner=ticket.owner_name,
                )
            )
        return alerts, ItemMemory(ids)
    risky = [d for d in report.at_risk if rule.min_amount is None or (d.amount or 0.0) >= rule.min_amount]
    for deal in risky:
        if before is None or deal.id in before.ids:
            continue
        why = ", ".join(reason.value.replace("_", " ") for reason in deal.reasons) or "at risk"
        alerts.append(
            Alert(
                rule_id=rule.id,
                channel_id=rule.channel_id,
                subject=deal.id,
                change_key=f"renewal-risk:{deal.id}:{stamp}",
                title=deal.name or f"Deal {deal.id}",
                detail=f"renewal at risk: {why} · {_money(deal.amount, report.currency)}",
                amount=deal.amount,
                url=deal.url,
                owner=deal.owner_name,
            )
        )
    return alerts, ItemMemory(tuple(d.id for d in risky))
