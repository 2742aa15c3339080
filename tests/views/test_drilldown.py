"""Drill-down pages: sorting, paging, button values, and every limit on hostile data."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import ButtonElement

from bot.blocks.drilldown import (
    PAGE_SIZE,
    drilldown_message,
    drilldown_modal,
    drilldown_open_button,
    drilldown_page,
    drilldown_rows,
    find_signal,
)
from bot.blocks.ids import (
    DRILLDOWN_MODAL,
    DRILLDOWN_NEXT,
    DRILLDOWN_OPEN,
    DRILLDOWN_PREV,
    DrilldownRef,
    signal_key,
)
from bot.blocks.rows import ROW_MAX_CHARS, at_risk_rows, deal_row, render_row
from engines.models import AtRiskDeal, EngineName, EngineReport, PortalSnapshot
from tests.views.conftest import NOW, hostile_report, hostile_rows
from tests.views.limits import check_message, check_view

Sample = tuple[PortalSnapshot, list[EngineReport]]
SLACK_IDS = {"rep1@example.com": "U0REP1", "rep2@example.com": "W0REP2", "rep3@example.com": "<!channel>"}
MENTIONS = frozenset({"U0REP1", "W0REP2"})


def _pager(blocks: list[dict[str, object]]) -> dict[str, str]:
    for block in blocks:
        if block.get("block_id") == "drilldown_pager":
            return {e["action_id"]: e["value"] for e in block["elements"]}  # type: ignore[attr-defined]
    return {}


def test_1000_hostile_deals_every_page_keeps_every_limit() -> None:
    report = hostile_report(hostile_rows(1000))
    ref = DrilldownRef.for_report(report)
    assert ref is not None
    rows = at_risk_rows(report)
    pages = drilldown_page(rows, 0).pages
    assert pages == -(-1000 // PAGE_SIZE)
    seen: list[str] = []
    for number in range(pages):
        page = drilldown_page(rows, number)
        kwargs = {"ref": ref.at_page(number), "heading": "<!channel> " * 40, "currency": report.currency}
        message = drilldown_message(page, **kwargs, time_zone=report.time_zone, slack_ids=SLACK_IDS)
        check_message(message, MENTIONS)
        modal = check_view(drilldown_modal(page, **kwargs, slack_ids=SLACK_IDS), MENTIONS, max_chars=10_000)
        assert len(message["blocks"]) <= 50
        assert modal["callback_id"] == DRILLDOWN_MODAL
        assert DrilldownRef.decode(modal["private_metadata"]) == ref.at_page(number)
        seen.extend(b["block_id"] for b in message["blocks"] if b["block_id"].startswith("drilldown_row_"))
    assert len(seen) == 1000 == len(set(seen))


def test_rows_are_sorted_by_value_at_risk_with_missing_amounts_last() -> None:
    rows = at_risk_rows(hostile_report(hostile_rows(200)))
    amounts = [r.amount for r in rows]
    known = [a for a in amounts if a is not None]
    assert known == sorted(known, reverse=True)
    assert amounts[len(known) :] == [None] * (len(amounts) - len(known))


def test_worst_case_row_stays_within_its_bound() -> None:
    longest = max(
        len(render_row(r, currency="<b>" * 10, time_zone="UTC", slack_ids=SLACK_IDS))
        for r in hostile_rows(300)
    )
    assert longest <= ROW_MAX_CHARS


def test_pager_buttons_carry_the_neighbouring_pages() -> None:
    report = hostile_report(hostile_rows(3 * PAGE_SIZE))
    ref = DrilldownRef(engine=EngineName.GROWTH, pipeline="default")
    rows = at_risk_rows(report)

    first = drilldown_message(drilldown_page(rows, 0), ref=ref, heading="h", currency="USD")
    middle = drilldown_message(drilldown_page(rows, 1), ref=ref.at_page(1), heading="h", currency="USD")
    last = drilldown_message(drilldown_page(rows, 2), ref=ref.at_page(2), heading="h", currency="USD")

    assert set(_pager(first["blocks"])) == {DRILLDOWN_NEXT}
    assert DrilldownRef.decode(_pager(first["blocks"])[DRILLDOWN_NEXT]) == ref.at_page(1)
    assert DrilldownRef.decode(_pager(middle["blocks"])[DRILLDOWN_PREV]) == ref.at_page(0)
    assert DrilldownRef.decode(_pager(middle["blocks"])[DRILLDOWN_NEXT]) == ref.at_page(2)
    assert set(_pager(last["blocks"])) == {DRILLDOWN_PREV}
    assert first["response_type"] == "ephemeral"
    assert first["replace_original"] is False


def test_a_page_past_the_end_shows_the_last_page_and_empty_lists_say_so() -> None:
    rows = at_risk_rows(hostile_report(hostile_rows(10)))
    page = drilldown_page(rows, 99)
    assert (page.page, page.pages, len(page.rows)) == (1, 2, 10 - PAGE_SIZE)

    empty = drilldown_page([], 3)
    assert (empty.page, empty.pages, empty.total) == (0, 1, 0)
    ref = DrilldownRef(engine=EngineName.GROWTH)
    message = drilldown_message(empty, ref=ref, heading="Growth", currency="USD", replace_original=True)
    check_message(message)
    assert [b["block_id"] for b in message["blocks"]] == ["drilldown_title", "drilldown_empty"]
    assert message["replace_original"] is True
    check_view(drilldown_modal(empty, ref=ref, heading="Growth", currency="USD"))


def test_ref_round_trips_and_rejects_what_it_did_not_write() -> None:
    ref = DrilldownRef(engine=EngineName.FULFILLMENT, pipeline="p" * 200, signal="abc123", page=7)
    assert DrilldownRef.decode(ref.encode()) == ref
    assert len(ref.encode()) < 2000
    for junk in (None, "", "not json", "[]", '{"engine":"sales"}', '{"engine":"growth","page":-1}'):
        assert DrilldownRef.decode(junk) is None

    long_pipeline = hostile_report(()).model_copy(update={"pipeline": "x" * 201})
    assert DrilldownRef.for_report(long_pipeline) is None

    button = drilldown_open_button(ref, "Show at-risk deals " * 10).to_dict()
    assert button["action_id"] == DRILLDOWN_OPEN
    assert len(button["text"]["text"]) <= 75
    assert isinstance(ButtonElement(**button), ButtonElement)


def test_sample_at_risk_drilldown(sample: Sample) -> None:
    snapshot, reports = sample
    growth = reports[0]
    assert growth.at_risk, "the sample portal should have at-risk deals"
    ref = DrilldownRef.for_report(growth)
    assert ref is not None

    found = drilldown_rows(ref, reports, snapshot)
    assert found is not None
    rows, heading = found
    assert [r.id for r in rows] == [r.id for r in at_risk_rows(growth)]
    assert "at-risk deals" in heading

    emails = {r.owner_email for r in rows if r.owner_email}
    some = sorted(emails)[0]
    ids = {some.casefold(): "U0OWNER"}
    page = drilldown_page(rows, 0)
    message = drilldown_message(page, ref=ref, heading=heading, currency=growth.currency, slack_ids=ids)
    check_message(message, frozenset({"U0OWNER"}))
    first = message["blocks"][2]["text"]["text"]
    assert rows[0].url is not None
    assert rows[0].url in first
    assert set(page.owner_emails()) <= emails


def test_sample_signal_drilldown_uses_the_engines_reasons(sample: Sample) -> None:
    snapshot, reports = sample
    growth = reports[0]
    signal = next(s for s in growth.signals if s.deal_ids)
    ref = DrilldownRef.for_report(growth, signal)
    assert ref is not None
    assert ref.signal == signal_key(signal)
    assert find_signal(growth, ref.signal) == signal

    found = drilldown_rows(ref, reports, snapshot)
    assert found is not None
    rows, heading = found
    assert {r.id for r in rows} == set(signal.deal_ids)
    assert signal.name in heading
    flagged = {r.id: r for r in growth.at_risk}
    for row in rows:
        if row.id in flagged:
            assert row == flagged[row.id]
        else:
            assert row.reasons == ()
    check_view(drilldown_modal(drilldown_page(rows, 0), ref=ref, heading=heading, currency="USD"))

    gone = ref.model_copy(update={"signal": "000000000000"})
    assert drilldown_rows(gone, reports, snapshot) is None
    no_report = DrilldownRef(engine=EngineName.INNOVATION)
    assert drilldown_rows(no_report, reports[:1], snapshot) is None


def test_deal_row_measures_like_the_engines(sample: Sample) -> None:
    snapshot, reports = sample
    deals = {d.id: d for d in snapshot.deals}
    for flagged in reports[0].at_risk[:25]:
        rebuilt = deal_row(deals[flagged.id], snapshot, NOW)
        assert rebuilt.reasons == ()
        assert rebuilt.url == flagged.url
        assert rebuilt.stage_label == flagged.stage_label
        assert rebuilt.owner_email == flagged.owner_email
        for ours, theirs in (
            (rebuilt.days_in_stage, flagged.days_in_stage),
            (rebuilt.days_since_activity, flagged.days_since_activity),
        ):
            assert (ours is None) == (theirs is None)
            if ours is not None and theirs is not None:
                assert ours == pytest.approx(theirs, abs=0.06)
        assert deal_row(deals[flagged.id], snapshot, NOW, at_risk={flagged.id: flagged}) is flagged


def test_modal_titles_fit(sample: Sample) -> None:
    _, reports = sample
    growth = reports[0]
    for signal in (None, growth.signals[0]):
        ref = DrilldownRef.for_report(growth, signal)
        assert ref is not None
        view = drilldown_modal(drilldown_page([], 0), ref=ref, heading="x", currency="USD").to_dict()
        assert 1 <= len(view["title"]["text"]) <= 24
        assert json.loads(view["private_metadata"])["engine"] == "growth"


def test_hostile_owner_names_without_a_match_are_escaped() -> None:
    row = AtRiskDeal(id="1", name="n", owner_name="<!channel> & <@U999>", owner_email="x@example.com")
    text = render_row(row, currency="USD", slack_ids={"x@example.com": "<!here>"})
    assert "Owner: &lt;!channel&gt; &amp; &lt;@U999&gt;" in text
