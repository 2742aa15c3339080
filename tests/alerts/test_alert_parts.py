"""Alert parts on their own: ``/engine alerts add`` in words, the quarter, score rules, and digests
that keep Block Kit's limits with hostile names and a full day's budget."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.alerts import RuleKind, ScoreMemory, describe, parse_rule, quarter_end, score_alerts
from bot.alerts.evaluate import ItemMemory, item_alerts, renewals_pipeline
from bot.blocks.alerts import alert_folded_modal, alert_home_blocks, alert_rules_blocks, digest_messages
from bot.errors import AlertRuleError
from bot.storage import Alert, AlertRule, Snooze
from engines import EngineName, analyze
from engines.sample import generate_portal
from tests.bot.checks import assert_valid_payload, assert_valid_view
from tests.bot.conftest import HOSTILE_NAMES, NOW


def test_rules_in_words() -> None:
    rule = parse_rule("deal-lost min=50k Renewals & Expansion", channel_id="C1", user_id="U1")
    assert (rule.kind, rule.min_amount, rule.pipeline, rule.channel_id) == (
        "deal-lost",
        50_000,
        "Renewals & Expansion",
        "C1",
    )
    assert describe(rule) == "a deal is lost (≥ 50k) in Renewals & Expansion"
    drop = parse_rule("score-drop growth 10 for Sales Pipeline", channel_id="C1", user_id=None)
    assert (drop.kind, drop.engine, drop.points, drop.pipeline) == (
        "score-drop",
        "growth",
        10.0,
        "Sales Pipeline",
    )
    assert parse_rule("critical all", channel_id="C1", user_id=None).engine == "all"
    assert parse_rule("deal-pushed min=1.5m", channel_id="C1", user_id=None).min_amount == 1_500_000


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Say what to watch"),
        ("deals-lost", "is not an alert"),
        ("score-drop growth", "by how many points"),
        ("score-drop all 5", "per engine"),
        ("critical", "Name the engine"),
        ("deal-lost min=lots", "is not an amount"),
    ],
)
def test_rules_that_cannot_be_used_say_why(text: str, says: str) -> None:
    with pytest.raises(AlertRuleError) as raised:
        parse_rule(text, channel_id="C1", user_id=None)
    assert says in raised.value.user_message


def test_the_quarter_ends_in_the_portals_time_zone() -> None:
    assert quarter_end(datetime(2026, 12, 31, 22, 30, tzinfo=UTC), "UTC") == datetime(2027, 1, 1, tzinfo=UTC)
    # 23:30 UTC on 31 March is already April in Berlin: the next quarter ends on 1 July, Berlin time.
    assert quarter_end(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), "Europe/Berlin") == datetime(
        2026, 6, 30, 22, 0, tzinfo=UTC
    )


def test_a_score_rule_remembers_first_then_alerts_on_a_drop_and_new_critical_signals() -> None:
    report = analyze(generate_portal(deals=240, now=NOW), EngineName.GROWTH, now=NOW)
    assert report.score is not None
    drop = AlertRule(id="r1", kind=RuleKind.SCORE_DROP.value, channel_id="C1", engine="growth", points=5)
    assert score_alerts(drop, [report], None, "s1") == []  # the first evaluation only remembers
    higher = ScoreMemory(report.score + 7, ())
    [alert] = score_alerts(drop, [report], higher, "s2")
    assert alert.detail == f"score {report.score + 7} → {report.score} (−7)"
    assert score_alerts(drop, [report], ScoreMemory(report.score + 4, ()), "s3") == []
    critical = AlertRule(id="r2", kind=RuleKind.CRITICAL.value, channel_id="C1", engine="all")
    now = ScoreMemory.of(report)
    assert score_alerts(critical, [report], now, "s4") == []  # nothing new
    assert len(score_alerts(critical, [report], ScoreMemory(report.score, ()), "s5")) == len(now.critical)


def _alerts(count: int) -> list[Alert]:
    return [
        Alert(
            rule_id=f"r{n % 3}",
            channel_id="C1",
            subject=str(n),
            change_key=str(n),
            title=HOSTILE_NAMES[n % len(HOSTILE_NAMES)],
            detail="lost (was " + HOSTILE_NAMES[(n + 1) % len(HOSTILE_NAMES)] + ")",
            amount=float(n * 1000),
            url=f"https://app.hubspot.com/contacts/1/record/0-3/{n}",
            owner=HOSTILE_NAMES[(n + 2) % len(HOSTILE_NAMES)],
            owner_user="U0REP1" if n % 2 else None,
            id=n + 1,
        )
        for n in range(count)
    ]


def test_a_full_digest_with_hostile_names_keeps_every_limit() -> None:
    describe_rules = {f"r{n}": HOSTILE_NAMES[n] for n in range(3)}
    snoozes = [
        Snooze(
            "r1", str(n), HOSTILE_NAMES[n % len(HOSTILE_NAMES)], datetime(2026, 12, 8, tzinfo=UTC), "U0REP1"
        )
        for n in range(7)
    ]
    messages = digest_messages(_alerts(40), 12, digest_id=9, describe=describe_rules, snoozes=snoozes)
    assert len(messages) >= 2  # split, never trimmed
    items = 0
    for message in messages:
        payload = message.to_dict()
        assert_valid_payload(payload, allowed_mentions=frozenset({"U0REP1"}))
        items += sum(1 for b in payload["blocks"] if (b.get("accessory") or {}).get("type") == "overflow")
    assert items == 40
    last = json.dumps(messages[-1].to_dict(), ensure_ascii=False)
    assert "…and 12 more" in last
    assert "…and 2 more snoozed" in last


def test_the_rules_the_home_part_and_the_folded_list_keep_slack_limits() -> None:
    rules = [
        AlertRule(
            id=f"{n:06x}",
            kind="deal-lost",
            channel_id="C1",
            pipeline=HOSTILE_NAMES[n % 10],
            muted_by="U1" if n % 2 else None,
            muted_at=datetime(2026, 1, 1, tzinfo=UTC) if n % 2 else None,
        )
        for n in range(60)
    ]
    described = {r.id: describe(r) for r in rules}
    assert_valid_payload(
        {"text": "x", "blocks": [b.to_dict() for b in alert_rules_blocks(rules, described)]},
        allowed_mentions=frozenset({"U1"}),
        allowed_channels=frozenset({"C1"}),
    )
    home = [b.to_dict() for b in alert_home_blocks(rules, described, "also")]
    assert_valid_payload(
        {"text": "x", "blocks": home}, allowed_mentions=frozenset({"U1"}), allowed_channels=frozenset({"C1"})
    )
    assert_valid_view(
        alert_folded_modal(_alerts(120), {"r0": "a", "r1": "b", "r2": "c"}).to_dict(),
        allowed_mentions=frozenset({"U0REP1"}),
    )


def test_item_rules_alert_on_newly_overdue_onboardings_and_renewals_newly_at_risk() -> None:
    portal = generate_portal(deals=240, now=NOW)
    overdue = AlertRule(id="r3", kind=RuleKind.ONBOARDING_OVERDUE.value, channel_id="C1")
    report = analyze(portal, EngineName.FULFILLMENT, now=NOW)
    assert report.overdue_onboardings  # the sample portal has one onboarding open too long
    first, seen = item_alerts(overdue, report, None, "s1")
    assert first == []  # the first evaluation only remembers
    assert seen.ids == tuple(t.id for t in report.overdue_onboardings)
    [alert], _ = item_alerts(overdue, report, ItemMemory(()), "s2")
    ticket = report.overdue_onboardings[0]
    assert (alert.subject, alert.url) == (f"ticket:{ticket.id}", ticket.url)
    assert alert.detail.startswith("onboarding overdue: open 60 days")

    renewals = renewals_pipeline(portal, None)
    assert renewals is not None
    assert renewals.label == "Renewals & Expansion"
    at_risk = analyze(portal, EngineName.FULFILLMENT, now=NOW, pipeline=renewals.id)
    rule = AlertRule(id="r4", kind=RuleKind.RENEWAL_AT_RISK.value, channel_id="C1", min_amount=0)
    known = ItemMemory(tuple(d.id for d in at_risk.at_risk[1:]))
    [fresh], now_seen = item_alerts(rule, at_risk, known, "s3")
    assert fresh.subject == at_risk.at_risk[0].id
    assert fresh.detail.startswith("renewal at risk: ")
    assert now_seen.ids == tuple(d.id for d in at_risk.at_risk)
    assert describe(rule) == "a renewal becomes at risk"
    with pytest.raises(AlertRuleError):
        parse_rule("renewal-at-risk Sales Pipeline", channel_id="C1", user_id=None)
    with pytest.raises(AlertRuleError):
        parse_rule("onboarding-overdue min=5", channel_id="C1", user_id=None)
