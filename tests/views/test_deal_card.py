"""The one-deal card, the pick list and the not-found reply, on the sample portal and hostile data."""

from __future__ import annotations

from typing import Any

from bot.blocks.deal_card import (
    MAX_MATCHES,
    deal_card,
    deal_not_found,
    deal_reply,
    next_steps,
    single_match,
    stage_average_days,
)
from bot.blocks.ids import DEAL_OPEN_HUBSPOT, DEAL_PICK, DEAL_PICK_PATTERN
from bot.blocks.mrkdwn import escape, format_days
from bot.blocks.rows import reason_texts
from engines.deal_lookup import find_deals
from engines.models import Deal, EngineReport, PortalSnapshot
from tests.views.conftest import HOSTILE_NAMES
from tests.views.limits import check_message

Sample = tuple[PortalSnapshot, list[EngineReport]]


def _text(payload: dict[str, Any]) -> str:
    return str(payload["blocks"])


def _block(payload: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in payload["blocks"] if b.get("block_id") == block_id)


def test_card_for_an_at_risk_deal_shows_the_engines_view(sample: Sample) -> None:
    snapshot, reports = sample
    growth = reports[0]
    flagged = next(
        r for r in growth.at_risk if r.owner_email and r.url and r.stage_id and r.days_in_stage is not None
    )
    deal = next(d for d in snapshot.deals if d.id == flagged.id)
    assert flagged.owner_email is not None
    ids = {flagged.owner_email.casefold(): "U0OWNER"}

    payload = deal_card(deal, snapshot, reports, slack_ids=ids).to_dict()

    check_message(payload, frozenset({"U0OWNER"}))
    facts = " ".join(f["text"] for f in _block(payload, "deal_facts")["fields"])
    assert "<@U0OWNER>" in facts
    average = stage_average_days(reports, flagged.stage_id)
    assert average == growth.metrics["avg_days_in_stage"].value[flagged.stage_id]  # type: ignore[index]
    assert f"stage average {round(average)} days" in facts
    assert f"*Days in stage*\n{format_days(flagged.days_in_stage)} (stage average" in facts
    risk = _block(payload, "deal_risk")["text"]["text"]
    for words in reason_texts(flagged, snapshot.portal.time_zone):
        assert words in risk
    steps = _block(payload, "deal_next_steps")["text"]["text"]
    named_by = [s for r in reports for s in r.signals if deal.id in s.deal_ids]
    if named_by:
        strongest = max(named_by, key=lambda s: s.strength)
        assert escape(strongest.recommended_action)[:40] in steps
    button = _block(payload, "deal_actions")["elements"][0]
    assert button["action_id"] == DEAL_OPEN_HUBSPOT
    assert button["url"] == snapshot.deal_url(deal.id)


def test_card_for_healthy_and_closed_deals(sample: Sample) -> None:
    snapshot, reports = sample
    flagged = {r.id for r in reports[0].at_risk}
    mentioned = {i for r in reports for s in r.signals for i in s.deal_ids}
    pipelines = {p.id: p for p in snapshot.pipelines}

    def stage_of(deal: Deal) -> Any:
        pipeline = pipelines.get(deal.pipeline_id or "")
        return pipeline.stage(deal.stage_id) if pipeline else None

    quiet = next(
        d
        for d in snapshot.deals
        if d.id not in flagged and d.id not in mentioned and stage_of(d) and not stage_of(d).is_closed
    )
    payload = deal_card(quiet, snapshot, reports).to_dict()
    check_message(payload)
    assert "Not flagged at risk" in _block(payload, "deal_risk")["text"]["text"]
    assert "No risk flags or signals" in _block(payload, "deal_next_steps")["text"]["text"]

    won = next(d for d in snapshot.deals if stage_of(d) and stage_of(d).is_won)
    assert "Closed won" in _text(deal_card(won, snapshot, reports).to_dict())
    lost = next(d for d in snapshot.deals if stage_of(d) and stage_of(d).is_lost)
    assert "Closed lost" in _text(deal_card(lost, snapshot, reports).to_dict())


def test_hostile_deals_render_escaped_and_within_limits(sample: Sample) -> None:
    snapshot, reports = sample
    base = snapshot.deals[0]
    deals = tuple(
        base.model_copy(update={"id": f"9{n}", "name": name or None, "currency": "<!here>"})
        for n, name in enumerate(HOSTILE_NAMES)
    )
    owners = tuple(
        o.model_copy(update={"first_name": "<!channel>" * 30, "last_name": "&" * 500})
        for o in snapshot.owners
    )
    hostile = snapshot.model_copy(update={"deals": deals, "owners": owners})
    for deal in deals:
        check_message(deal_card(deal, hostile, reports).to_dict())
    check_message(
        deal_reply("<!channel>", find_deals(hostile, "<!channel>", limit=11), hostile, reports).to_dict()
    )
    check_message(deal_reply("&", find_deals(hostile, "&", limit=11), hostile, reports).to_dict())
    check_message(deal_not_found("<!channel> & <@U1> " * 100).to_dict())


def test_several_matches_give_a_pick_list_with_buttons(sample: Sample) -> None:
    snapshot, reports = sample
    matches = find_deals(snapshot, "a", limit=MAX_MATCHES + 1)
    assert len(matches) == MAX_MATCHES + 1

    payload = deal_reply("a", matches, snapshot, reports).to_dict()

    check_message(payload)
    picks = [b["accessory"] for b in payload["blocks"] if b["block_id"].startswith("deal_match_")]
    assert [p["value"] for p in picks] == [d.id for d in matches[:MAX_MATCHES]]
    assert [p["action_id"] for p in picks] == [f"{DEAL_PICK}_{n}" for n in range(MAX_MATCHES)]
    assert all(DEAL_PICK_PATTERN.fullmatch(p["action_id"]) for p in picks)
    assert "type more of the name" in payload["blocks"][0]["text"]["text"]


def test_exact_match_beats_partial_but_two_exact_names_are_ambiguous() -> None:
    one = Deal(id="1", name="Acme", amount=1)
    bigger = Deal(id="2", name="Acme expansion", amount=100)
    twin = Deal(id="3", name="ACME", amount=5)
    assert single_match([one, bigger], "acme") is one
    assert single_match([twin, one, bigger], "acme") is None
    assert single_match([bigger], "acme") is bigger
    assert single_match([bigger, one], "acm") is None
    assert single_match([], "acme") is None


def test_not_found_and_empty_query(sample: Sample) -> None:
    snapshot, reports = sample
    payload = deal_reply("zzz <!channel>", [], snapshot, reports).to_dict()
    check_message(payload)
    assert "&lt;!channel&gt;" in payload["blocks"][0]["text"]["text"]
    empty = deal_not_found("   ").to_dict()
    check_message(empty)
    assert "Which deal?" in empty["blocks"][0]["text"]["text"]


def test_next_steps_come_from_signals_then_reasons(sample: Sample) -> None:
    _, reports = sample
    flagged = next(r for r in reports[0].at_risk if r.reasons)
    signals = [s for r in reports for s in r.signals if flagged.id in s.deal_ids]
    steps = next_steps(flagged, signals)
    assert 1 <= len(steps) <= 4
    assert len(steps) >= min(4, len({s.recommended_action for s in signals}) + len(set(flagged.reasons)))
    assert stage_average_days(reports, None) is None
    assert stage_average_days(reports[1:], flagged.stage_id) is None
