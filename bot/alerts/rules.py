"""Alert rule kinds and ``/engine alerts add …`` in words.

Grammar (the words after ``/engine alerts add``; the rule posts to the channel it was added in)::

    score-drop <engine> <points> [pipeline]     an engine's score drops by at least <points>
    critical <engine|all> [pipeline]            a new critical signal (strength >= 0.7) appears
    deal-pushed [min=<amount>] [pipeline]       an open deal is pushed out of the current quarter
    deal-back [min=<amount>] [pipeline]         an open deal moves back a stage
    deal-lost [min=<amount>] [pipeline]         a deal is lost
    onboarding-overdue                          an open onboarding ticket becomes overdue
    renewal-at-risk [min=<amount>]              a deal of the renewals pipeline becomes at risk

``min=50k``, ``min=1.5m`` and ``min=50000`` are amounts; the rest of the line names a pipeline (id or
label), as ``/engine growth`` does.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import AlertRuleError
from bot.storage import AlertRule
from engines import EngineName

__all__ = ["CRITICAL_STRENGTH", "AlertRuleError", "RuleKind", "describe", "parse_rule"]

CRITICAL_STRENGTH = 0.7  # a signal this strong is "critical" (the card calls it strong)


class RuleKind(StrEnum):
    SCORE_DROP = "score-drop"
    CRITICAL = "critical"
    DEAL_PUSHED = "deal-pushed"
    DEAL_BACK = "deal-back"
    DEAL_LOST = "deal-lost"
    ONBOARDING_OVERDUE = "onboarding-overdue"
    RENEWAL_AT_RISK = "renewal-at-risk"

    @property
    def about_deals(self) -> bool:
        return self in (RuleKind.DEAL_PUSHED, RuleKind.DEAL_BACK, RuleKind.DEAL_LOST)


_ENGINES = {e.value for e in EngineName}
_SUFFIX = {"k": 1e3, "m": 1e6}


def _amount(text: str) -> float:
    cleaned = text.strip().lower().replace(",", "").replace("_", "").lstrip("$€£")
    factor = _SUFFIX.get(cleaned[-1:], 1.0)
    if cleaned[-1:] in _SUFFIX:
        cleaned = cleaned[:-1]
    try:
        value = float(cleaned) * factor
    except ValueError:
        raise AlertRuleError(f"'{text}' is not an amount. Write min=50000 or min=50k.") from None
    if value < 0:
        raise AlertRuleError("A minimum amount cannot be negative.")
    return value


def parse_rule(text: str, *, channel_id: str, user_id: str | None) -> AlertRule:
    """The rule ``text`` (what follows ``add``) describes, posting to ``channel_id``.

    Raises :class:`AlertRuleError` with a message naming what is wrong.
    """
    words = text.split()
    if not words:
        raise AlertRuleError("Say what to watch: " + ", ".join(k.value for k in RuleKind) + ".")
    try:
        kind = RuleKind(words[0].casefold())
    except ValueError:
        raise AlertRuleError(
            f"'{words[0]}' is not an alert. Use one of: " + ", ".join(k.value for k in RuleKind) + "."
        ) from None
    rest = words[1:]
    engine: str | None = None
    points: float | None = None
    min_amount: float | None = None
    if kind is RuleKind.ONBOARDING_OVERDUE and rest:
        raise AlertRuleError(
            "onboarding-overdue takes nothing more: the onboarding ticket pipeline is a setting "
            "(/engine settings)."
        )
    if kind in (RuleKind.SCORE_DROP, RuleKind.CRITICAL):
        if not rest or (rest[0].casefold() not in _ENGINES and rest[0].casefold() != "all"):
            raise AlertRuleError("Name the engine: growth, fulfillment, innovation (or all).")
        engine = rest.pop(0).casefold()
        if kind is RuleKind.SCORE_DROP:
            if engine == "all":
                raise AlertRuleError("A score drop is watched per engine: growth, fulfillment or innovation.")
            try:
                points = float(rest.pop(0)) if rest else None
            except ValueError:
                points = None
            if points is None or not 1 <= points <= 100:
                raise AlertRuleError("Say by how many points, 1 to 100: score-drop growth 10.")
    else:
        for word in list(rest):
            if word.casefold().startswith("min="):
                min_amount = _amount(word[4:])
                rest.remove(word)
    if rest and rest[0].casefold() == "for":
        rest = rest[1:]
    if kind is RuleKind.RENEWAL_AT_RISK and rest:
        raise AlertRuleError(
            "renewal-at-risk watches the renewals pipeline (/engine settings); add only min=<amount>."
        )
    pipeline = " ".join(rest) or None
    return AlertRule(
        id="",
        kind=kind.value,
        channel_id=channel_id,
        engine=engine,
        points=points,
        pipeline=pipeline,
        min_amount=min_amount,
        created_by=user_id,
    )


def _money(amount: float) -> str:
    if amount >= 1e6:
        return f"{amount / 1e6:g}M"
    if amount >= 1e3:
        return f"{amount / 1e3:g}k"
    return f"{amount:g}"


def describe(rule: AlertRule) -> str:
    """The rule in words (plain text: escape it before it enters mrkdwn)."""
    kind = RuleKind(rule.kind)
    if kind is RuleKind.SCORE_DROP:
        what = f"{rule.engine} score drops by {rule.points:g}+ points"
    elif kind is RuleKind.CRITICAL:
        what = "a new critical signal" + ("" if rule.engine == "all" else f" in {rule.engine}")
    elif kind is RuleKind.ONBOARDING_OVERDUE:
        what = "an onboarding becomes overdue"
    elif kind is RuleKind.RENEWAL_AT_RISK:
        what = "a renewal becomes at risk" + (f" (≥ {_money(rule.min_amount)})" if rule.min_amount else "")
    else:
        what = {
            RuleKind.DEAL_PUSHED: "a deal is pushed out of the quarter",
            RuleKind.DEAL_BACK: "a deal moves back a stage",
            RuleKind.DEAL_LOST: "a deal is lost",
        }[kind]
        if rule.min_amount:
            what += f" (≥ {_money(rule.min_amount)})"
    if rule.pipeline:
        what += f" in {rule.pipeline}"
    return what
