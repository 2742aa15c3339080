"""The App Home tab: scores and trends per engine, the viewer's deals at risk, and every fallback."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.blocks.home import (
    HOME_MAX_DEALS,
    home_error_view,
    home_loading_view,
    home_view,
    my_at_risk,
    owner_for_email,
)
from bot.blocks.ids import (
    ALL_PIPELINES,
    DRILLDOWN_OPEN,
    DRILLDOWN_OPEN_PATTERN,
    HOME_PIPELINE,
    HOME_REFRESH,
    DrilldownRef,
    home_pipeline_from_metadata,
)
from bot.storage.history import Trend
from engines.models import EngineName, EngineReport, Owner, Pipeline, PortalSnapshot
from tests.views.conftest import HOSTILE_NAMES, NOW, hostile_report, hostile_rows
from tests.views.limits import check_view

Sample = tuple[PortalSnapshot, list[EngineReport]]


def _blocks(view: dict[str, object], prefix: str) -> list[dict[str, object]]:
    return [b for b in view["blocks"] if str(b.get("block_id", "")).startswith(prefix)]  # type: ignore[union-attr,attr-defined]


def _note(view: dict[str, object]) -> str:
    return str(_blocks(view, "home_mine_note")[0]["text"]["text"])  # type: ignore[index]


def test_scores_trends_and_my_deals_for_a_matched_owner(sample: Sample) -> None:
    snapshot, reports = sample
    counts: dict[str, int] = {}
    for row in reports[0].at_risk:
        counts[row.owner_id or ""] = counts.get(row.owner_id or "", 0) + 1
    owner = next(o for o in snapshot.owners if counts.get(o.id))
    trend = Trend(previous_at=NOW - timedelta(days=8), previous_score=70, score_delta=8)

    view = check_view(
        home_view(
            reports,
            viewer_email=(owner.email or "").upper(),
            owner=owner_for_email(snapshot, (owner.email or "").upper()),
            trends={EngineName.GROWTH: trend, EngineName.FULFILLMENT: None},
            pipelines=snapshot.pipelines,
        )
    )

    assert view["type"] == "home"
    engines = [b for b in _blocks(view, "home_engine_") if not str(b["block_id"]).endswith("_more")]
    assert [b["block_id"] for b in engines] == [
        "home_engine_growth",
        "home_engine_fulfillment",
        "home_engine_innovation",
    ]
    growth_text = engines[0]["text"]["text"]  # type: ignore[index]
    assert f"{reports[0].score}/100" in growth_text
    assert "▲ 8 since" in growth_text
    accessory = engines[0]["accessory"]  # type: ignore[index]
    assert accessory["action_id"] == f"{DRILLDOWN_OPEN}_growth"  # type: ignore[index]
    assert DRILLDOWN_OPEN_PATTERN.fullmatch(accessory["action_id"])  # type: ignore[index]
    assert DrilldownRef.decode(accessory["value"]) == DrilldownRef(engine=EngineName.GROWTH)  # type: ignore[index]
    mine = my_at_risk(reports, owner)
    rows = _blocks(view, "home_mine_")
    shown = [b for b in rows if str(b["block_id"]).split("_")[-1].isdigit()]
    assert len(shown) == min(len(mine), HOME_MAX_DEALS)
    assert all(r.owner_id == owner.id for r in mine)
    assert "Owner:" not in str(shown)  # the viewer's own list does not repeat their name
    assert home_pipeline_from_metadata(view["private_metadata"]) is None


def test_viewer_without_email_without_owner_and_without_risk(sample: Sample) -> None:
    snapshot, reports = sample
    no_email = check_view(home_view(reports, viewer_email=None, owner=None))
    assert "can't read an e-mail address" in _note(no_email)

    stranger = check_view(home_view(reports, viewer_email="<!channel>@x.io", owner=None))
    assert "No HubSpot owner uses your e-mail address (&lt;!channel&gt;@x.io)" in _note(stranger)

    flagged_owners = {r.owner_id for r in reports[0].at_risk} | {r.owner_id for r in reports[1].at_risk}
    calm = next((o for o in snapshot.owners if o.id not in flagged_owners), None)
    calm = calm or Owner(id="nobody", email="calm@example.com")
    relaxed = check_view(home_view(reports, viewer_email=calm.email, owner=calm))
    assert "None of your deals are at risk" in _note(relaxed)


def test_1000_hostile_deals_for_one_owner_stay_within_limits() -> None:
    rows = hostile_rows(1000, owner_email="Me@Example.com")
    reports = [hostile_report(rows, engine) for engine in EngineName]
    pipelines = tuple(
        Pipeline(id=str(n) if n % 3 else "x" * 200, label=HOSTILE_NAMES[n % len(HOSTILE_NAMES)] * 3 or "p")
        for n in range(250)
    )
    me = Owner(id="o-none", email="me@example.com")
    view = check_view(
        home_view(reports, viewer_email="me@example.com", owner=me, pipelines=pipelines, pipeline="x" * 200),
        max_chars=30_000,
    )
    # The pipeline picker can hold up to 100 options (Slack's cap); everything else stays within the
    # ~10k characters a message may have, so the tab is as light as a card.
    rest = [b for b in view["blocks"] if b.get("block_id") != "home_controls"]
    assert len(json.dumps(rest, ensure_ascii=False)) <= 10_000
    assert len(view["blocks"]) <= 100
    select = _blocks(view, "home_controls")[0]["elements"][0]  # type: ignore[index]
    assert select["action_id"] == HOME_PIPELINE  # type: ignore[index]
    assert len(select["options"]) <= 100  # type: ignore[index]
    assert all(len(o["value"]) <= 150 and len(o["text"]["text"]) <= 75 for o in select["options"])  # type: ignore[index]
    more = _blocks(view, "home_mine_more")
    unique = len({r.id for r in rows})  # some hostile rows share an id; each deal is listed once
    assert f"{unique - HOME_MAX_DEALS} more" in str(more)


def test_pipeline_choice_round_trips(sample: Sample) -> None:
    snapshot, reports = sample
    chosen = snapshot.pipelines[1]
    view = check_view(
        home_view(reports, viewer_email=None, owner=None, pipelines=snapshot.pipelines, pipeline=chosen.id)
    )
    controls = _blocks(view, "home_controls")[0]["elements"]  # type: ignore[index]
    assert controls[0]["initial_option"]["value"] == chosen.id  # type: ignore[index]
    assert controls[1]["action_id"] == HOME_REFRESH  # type: ignore[index]
    assert controls[1]["value"] == chosen.id  # type: ignore[index]
    assert home_pipeline_from_metadata(view["private_metadata"]) == chosen.id
    assert home_pipeline_from_metadata("garbage") is None
    assert home_pipeline_from_metadata(json.dumps({"p": 3})) is None


def test_loading_and_error_views() -> None:
    loading = check_view(home_loading_view("default"))
    assert home_pipeline_from_metadata(loading["private_metadata"]) == "default"
    error = check_view(home_error_view("HubSpot said <!channel> & no. " * 200, None))
    assert error["blocks"][1]["elements"][0]["value"] == ALL_PIPELINES
    assert "&lt;!channel&gt; &amp;" in error["blocks"][0]["text"]["text"]


def test_owner_for_email_prefers_active_owners() -> None:
    old = Owner(id="1", email="rep@example.com", archived=True)
    new = Owner(id="2", email="REP@example.com")
    snap = PortalSnapshot(taken_at=NOW, owners=(old, new))
    assert owner_for_email(snap, " rep@EXAMPLE.com ") == new
    assert owner_for_email(snap, None) is None
    assert owner_for_email(snap, "other@example.com") is None
