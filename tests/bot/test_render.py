"""The card renderer: real reports (sample, hostile and 100k-deal portals) in, valid Block Kit out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.models.blocks import ActionsBlock

from bot.blocks import CardTarget, card_message, error_message, help_message
from bot.blocks.mrkdwn import escape, link, safe_url
from bot.cli.terminal import render_json, render_text
from bot.storage.history import Trend
from engines import (
    AtRiskDeal,
    DataGap,
    EngineName,
    EngineReport,
    HealthLabel,
    Metric,
    MetricStatus,
    OverdueTicket,
    PortalSnapshot,
    RiskReason,
    Signal,
    SignalType,
    analyze,
    analyze_all,
)
from engines.sample import generate_portal
from tests.bot.checks import assert_valid_message, injection_problems
from tests.bot.conftest import HOSTILE_NAMES, NOW


@pytest.fixture(scope="module")
def huge_portal() -> PortalSnapshot:
    return generate_portal(deals=100_000, now=NOW)


def _headers(payload: dict[str, object]) -> list[str]:
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    return [b["text"]["text"] for b in blocks if b["type"] == "header"]


@pytest.mark.parametrize("engine", list(EngineName))
def test_full_card_for_each_engine_has_every_part(portal: PortalSnapshot, engine: EngineName) -> None:
    report = analyze(portal, engine)
    payload = assert_valid_message(card_message([report]))
    blob = json.dumps(payload, ensure_ascii=False)
    (header,) = _headers(payload)
    score = f"{report.score}/100" if report.score is not None else "no score"
    assert engine.value.title() in header
    assert score in header
    assert report.purpose[:40] in blob
    assert report.label.value in blob
    assert "deals analysed" in blob
    assert "sample portal" in blob
    assert "EST" in blob
    if report.signals:
        assert "*Signals*" in blob
        assert "→" in blob
    if report.at_risk:
        assert "*At-risk deals*" in blob
        assert "<https://app.hubspot.com/contacts/" in blob
    actions = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert len(actions) == 1
    ids = [e["action_id"] for e in actions[0]["elements"]]
    assert "engine.refresh" in ids
    assert f"engine.show.{engine.value}" not in ids
    assert "engine.show.all" in ids


def test_all_is_one_message_with_a_compact_card_per_engine(portal: PortalSnapshot) -> None:
    reports = analyze_all(portal)
    payload = assert_valid_message(card_message(reports))
    assert len(_headers(payload)) == 3
    assert payload["text"].count(" engine: ") == 3
    assert len(json.dumps(payload["blocks"])) < len(json.dumps(card_message(reports[:1]).to_dict())) * 3


def test_trend_line_shows_the_change_since_the_previous_report(portal: PortalSnapshot) -> None:
    report = analyze(portal, "growth")
    previous = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    trend = Trend(previous_at=previous, previous_score=(report.score or 0) - 8, score_delta=8)
    payload = assert_valid_message(card_message([report], {EngineName.GROWTH: trend}))
    assert "▲ 8 since Mon 16 Nov" in json.dumps(payload, ensure_ascii=False)
    assert "▲ 8 since Mon 16 Nov" in payload["text"]
    down = Trend(previous_at=previous, score_delta=-3)
    assert "▼ 3 since" in card_message([report], {EngineName.GROWTH: down}).text


@pytest.mark.parametrize("engine", ["growth", "fulfillment", "innovation", "all"])
def test_hostile_crm_strings_never_reach_slack_unescaped(hostile_portal: PortalSnapshot, engine: str) -> None:
    reports = analyze_all(hostile_portal) if engine == "all" else [analyze(hostile_portal, engine)]
    if engine != "innovation":  # innovation lists no deals; its purpose and footer still pass through
        assert any(d.name in HOSTILE_NAMES for r in reports for d in r.at_risk)
    payload = assert_valid_message(card_message(reports))
    blob = json.dumps(payload, ensure_ascii=False)
    for forbidden in (
        "<!channel>",
        "<!here",
        "<!everyone>",
        "<@U123ABC>",
        "<#C0GENERAL>",
        "<https://evil",
        "\x1b",
    ):
        assert forbidden not in blob
    if engine in ("growth", "fulfillment"):
        assert "&lt;!channel&gt;" in blob  # shown literally, not dropped


def test_a_100k_deal_portal_still_fits_every_limit(huge_portal: PortalSnapshot) -> None:
    reports = analyze_all(huge_portal)
    assert reports[0].deals_analyzed > 50_000
    assert len(reports[0].at_risk) > 1000
    assert_valid_message(card_message(reports))
    for report in reports:
        payload = assert_valid_message(card_message([report]))
        if report.at_risk:
            assert "more at-risk deals" in json.dumps(payload)


def _worst_report(engine: EngineName) -> EngineReport:
    """A hand-built report with every list long and every string at its worst."""
    nasty = "&<!channel>" * 300
    return EngineReport(
        engine=engine,
        score=3,
        label=HealthLabel.CRITICAL,
        purpose=nasty,
        pipeline="p" * 40,
        pipeline_label=nasty,
        as_of=NOW,
        time_zone="Not/AZone",
        currency="XYZ",
        deals_analyzed=10**9,
        metrics={
            f"m{i}": Metric(label=nasty, value={f"s{j}": j * 1.5 for j in range(300)}, unit="%", status=s)
            for i, s in zip(range(40), list(MetricStatus) * 10, strict=False)
        },
        signals=tuple(
            Signal(
                type=SignalType.DATA_QUALITY,
                name=nasty,
                strength=0.9,
                recommended_action=nasty,
                deal_ids=("1",) * 99,
            )
            for _ in range(200)
        ),
        data_gaps=tuple(DataGap(key=f"k{i}", missing=nasty, unlocks=nasty) for i in range(100)),
        at_risk=tuple(
            AtRiskDeal(
                id=str(i),
                name=nasty,
                amount=1e15 - i,
                stage_label=nasty,
                owner_name=nasty,
                reasons=tuple(RiskReason),
                days_in_stage=1e6,
                url="https://app.hubspot.com/contacts/1/record/0-3/" + str(i) + "|<!channel>" * 200,
            )
            for i in range(5000)
        ),
        overdue_onboardings=tuple(
            OverdueTicket(
                id=str(i),
                subject=nasty,
                stage_label=nasty,
                owner_name=nasty,
                days_open=1e6,
                url="https://app.hubspot.com/contacts/1/record/0-5/" + str(i) + "|<!channel>" * 200,
            )
            for i in range(5000)
        ),
        warnings=tuple(nasty for _ in range(50)),
    )


def test_worst_case_report_is_still_a_valid_message() -> None:
    worst = [_worst_report(e) for e in EngineName]
    for report in worst:
        assert_valid_message(card_message([report]))
    assert_valid_message(card_message(worst))


def test_card_without_data_says_so_instead_of_a_score() -> None:
    report = EngineReport(engine=EngineName.INNOVATION, as_of=NOW)
    payload = assert_valid_message(card_message([report]))
    assert "no score" in _headers(payload)[0]
    assert "Insufficient data" in payload["text"]


def test_button_values_round_trip_and_reject_foreign_values(portal: PortalSnapshot) -> None:
    report = analyze(portal, "growth", pipeline=portal.pipelines[0].id)
    message = card_message([report])
    actions = next(b for b in message.blocks if isinstance(b, ActionsBlock))
    targets = [CardTarget.from_value(str(getattr(e, "value", ""))) for e in actions.elements]
    assert {t.engine for t in targets if t} == {"fulfillment", "innovation", "all", "growth"}
    assert all(t is not None and t.pipeline == portal.pipelines[0].id for t in targets)
    for bad in ("", "nope", "[]", '{"e": "payroll"}', '{"e": "growth", "p": 5}'):
        assert CardTarget.from_value(bad) is None


def test_help_and_errors_escape_what_the_user_typed() -> None:
    payload = assert_valid_message(help_message("<!channel>&"))
    assert "&lt;!channel&gt;&amp;" in json.dumps(payload)
    assert "/engine growth" in json.dumps(payload)
    error = assert_valid_message(
        error_message("No pipeline called '<@U1>'. Pipelines in this portal: A & B.")
    )
    assert injection_problems(error) == []
    assert "&lt;@U1&gt;" in error["text"]


def test_escape_and_links() -> None:
    assert escape("a & <b> >") == "a &amp; &lt;b&gt; &gt;"
    assert escape("&" * 10, 5) == "&amp;" * 4 + "…"  # clipped before escaping: no half entity
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.test/a|b>c") == "https://x.test/a%7Cb%3Ec"
    assert link("https://x.test/1", "<!here>") == "<https://x.test/1|&lt;!here&gt;>"
    assert link(None, "plain & simple") == "plain &amp; simple"


def test_terminal_text_is_readable_and_coloured_only_when_asked(hostile_portal: PortalSnapshot) -> None:
    reports = analyze_all(hostile_portal)
    plain = render_text(reports)
    assert "GROWTH ENGINE" in plain
    assert "FULFILLMENT ENGINE" in plain
    assert "INNOVATION ENGINE" in plain
    assert "\x1b" not in plain
    assert "\x07" not in plain
    coloured = render_text(reports, colour=True)
    assert "\x1b[32m" in coloured or "\x1b[33m" in coloured or "\x1b[31m" in coloured


def test_json_is_the_report_model() -> None:
    portal = generate_portal(deals=60, now=NOW)
    reports = analyze_all(portal)
    many = json.loads(render_json(reports, many=True))
    assert [r["engine"] for r in many] == ["growth", "fulfillment", "innovation"]
    one = json.loads(render_json(reports[:1], many=False))
    assert one == reports[0].to_json_dict()
    assert EngineReport.model_validate(one).score == reports[0].score


def test_as_of_is_shown_in_the_portal_time_zone(portal: PortalSnapshot) -> None:
    report = analyze(portal, "growth", now=NOW + timedelta(hours=3))
    text = json.dumps(card_message([report]).to_dict(), ensure_ascii=False)
    assert "Wed 25 Nov 2026, 07:00 EST" in text


def test_extra_buttons_join_the_button_row(portal: PortalSnapshot) -> None:
    from slack_sdk.models.blocks import ButtonElement

    extra = [
        ButtonElement(text="Show at-risk deals", action_id=f"drill_{i}", value="x" * 100) for i in range(8)
    ]
    payload = assert_valid_message(card_message([analyze(portal, "growth")], extra_buttons=extra))
    actions = next(b for b in payload["blocks"] if b["type"] == "actions")
    ids = [e["action_id"] for e in actions["elements"]]
    assert ids[-1] == "engine.refresh"
    assert ids[3:8] == [f"drill_{i}" for i in range(5)]  # at most five extra buttons


def _accessory_buttons(payload: dict[str, object]) -> list[dict[str, str]]:
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    return [b["accessory"] for b in blocks if isinstance(b.get("accessory"), dict)]


@pytest.mark.parametrize("name", ["portal", "hostile_portal"])
def test_drilldown_buttons_sit_beside_the_lists_they_open(name: str, request: pytest.FixtureRequest) -> None:
    from bot.blocks.drilldown import find_signal
    from bot.blocks.ids import DRILLDOWN_OPEN_PATTERN, DrilldownRef

    portal: PortalSnapshot = request.getfixturevalue(name)
    report = analyze(portal, "growth", now=NOW)
    payload = assert_valid_message(card_message([report]))
    buttons = _accessory_buttons(payload)
    ids = [b["action_id"] for b in buttons]
    actions = next(b for b in payload["blocks"] if b["type"] == "actions")
    ids += [e["action_id"] for e in actions["elements"]]
    assert len(ids) == len(set(ids))  # unique across accessories and the button row
    assert buttons[-1]["action_id"] == "drilldown_open"
    assert buttons[-1]["text"]["text"] == "Show at-risk deals"
    for button in buttons:
        assert DRILLDOWN_OPEN_PATTERN.fullmatch(button["action_id"])
        ref = DrilldownRef.decode(button["value"])
        assert ref is not None
        assert ref.engine is EngineName.GROWTH
        if ref.signal is not None:
            signal = find_signal(report, ref.signal)
            assert signal is not None
            assert signal.deal_ids  # no button for a signal with no deals to list
    top = sorted(report.signals, key=lambda s: s.strength, reverse=True)[:3]
    assert len(buttons) == 1 + sum(1 for s in top if s.deal_ids)


def test_no_drilldown_without_deals_or_with_a_pipeline_id_too_long_for_a_button(
    portal: PortalSnapshot,
) -> None:
    innovation = analyze(portal, "innovation", now=NOW)
    assert not innovation.at_risk
    assert 'drilldown_open"' not in json.dumps(card_message([innovation]).to_dict())
    growth = analyze(portal, "growth", now=NOW)
    long_id = growth.model_copy(update={"pipeline": "p" * 300})
    payload = assert_valid_message(card_message([long_id]))
    assert _accessory_buttons(payload) == []
    compact = assert_valid_message(card_message([long_id, innovation]))
    assert _accessory_buttons(compact) == []


def test_fulfillment_card_lists_overdue_onboardings_with_ticket_links(portal: PortalSnapshot) -> None:
    report = analyze(portal, "fulfillment")
    assert report.overdue_onboardings
    payload = assert_valid_message(card_message([report]))
    blob = json.dumps(payload, ensure_ascii=False)
    assert "*Overdue onboardings*" in blob
    assert "/record/0-5/" + report.overdue_onboardings[0].id in blob
    compact = json.dumps(assert_valid_message(card_message(analyze_all(portal))), ensure_ascii=False)
    assert "overdue onboarding" in compact
    text = render_text([report], colour=False)
    assert "Overdue onboardings" in text
    assert report.overdue_onboardings[0].url in text  # type: ignore[operator]


def test_hostile_ticket_subjects_are_escaped(portal: PortalSnapshot) -> None:
    hostile = portal.model_copy(
        update={
            "tickets": tuple(
                t.model_copy(update={"subject": "<!channel> & <@U123ABC>"}) for t in portal.tickets
            )
        }
    )
    report = analyze(hostile, "fulfillment")
    assert report.overdue_onboardings
    payload = assert_valid_message(card_message([report]))
    blob = json.dumps(payload, ensure_ascii=False)
    assert "<!channel>" not in blob
    assert "&lt;!channel&gt; &amp; &lt;@U123ABC&gt;" in blob


def test_coverage_and_counts_read_naturally() -> None:
    met = Metric(
        label="Pipeline coverage", value=None, unit="x", status=MetricStatus.HEALTHY, note="target met."
    )
    unknown = Metric(label="Pipeline coverage", value=None, unit="x")
    report = EngineReport(
        engine=EngineName.GROWTH,
        as_of=NOW,
        metrics={
            "pipeline_coverage": met,
            "weighted_pipeline_coverage": Metric(label="Weighted", value=2.6, unit="x"),
            "open_onboardings": Metric(label="Open onboardings", value=1, unit="tickets"),
            "nps": unknown,
        },
    )
    blob = json.dumps(assert_valid_message(card_message([report])), ensure_ascii=False)
    assert "target met" in blob
    assert "2.6x" in blob
    assert "not enough data" in blob
