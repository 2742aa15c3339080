"""Settings from Slack (``/engine settings``), end to end through what ``engine-bot serve`` runs.

The bot is :func:`bot.runtime.running_bot` (storage in a SQLite file in a temporary ``DATA_DIR``, the
sample portal as the CRM), served over HTTP on loopback; Slack is the loopback fake. Every request is
signed as Slack signs it: the slash command, the button clicks inside the modal, and the modal's
``view_submission``, whose HTTP answer (``response_action``) is what Slack shows in the modal.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.blocks.ids import SETTINGS_MODAL, SETTINGS_NOT_SET, SETTINGS_OPEN, settings_advanced_action
from bot.runtime import RunningBot, running_bot
from bot.settings import Settings
from engines import AnalysisConfig, EngineName, analyze
from tests.support.clock import FakeClock
from tests.support.harness import BOT_TOKEN, make_settings
from tests.support.signed import SignedSlack, post_signed
from tests.support.slack import FakeSlack
from tests.support.slack_payloads import (
    block_actions,
    event_callback,
    interaction,
    number,
    selected,
    slack_escape,
    view_submission,
)

ADMIN = "U0ADMIN"  # a workspace admin, as users.info says
OWNER = "U0OWNER"  # the workspace owner
LISTED = "U0LISTED"  # in ADMIN_USER_IDS, an ordinary member in Slack
REP = "U0REP"  # an ordinary member


@pytest.fixture
def people(slack: FakeSlack) -> FakeSlack:
    slack.bot_token = BOT_TOKEN
    slack.add_user(ADMIN, "admin@example.com", admin=True)
    slack.add_user(OWNER, "owner@example.com", owner=True)
    slack.add_user(LISTED, "listed@example.com")
    slack.add_user(REP, "rep@example.com")
    return slack


def _settings(slack: FakeSlack, data_dir: Path, **overrides: Any) -> Settings:
    return make_settings(slack, data_dir=data_dir, admin_user_ids=LISTED, **overrides)


@pytest.fixture
async def bot(people: FakeSlack, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(_settings(people, tmp_path / "data")) as running:
        yield running


async def _post(port: int, body: str) -> tuple[int, Any]:
    """POST a form body to the bot, signed as Slack signs it; the status and the JSON answered."""
    status, text = await post_signed(port, body)
    return status, json.loads(text) if text else None


async def _open(slack: FakeSlack, bot: RunningBot, user: str) -> dict[str, Any]:
    """``/engine settings`` by ``user``: the modal as filled in after the loading view."""
    before = len(slack.calls_to("views.update"))
    await SignedSlack(slack, bot.port).command("settings", user=user)
    await slack.wait_for(lambda s: len(s.calls_to("views.update")) > before)
    [opened] = slack.calls_to("views.open")[-1:]
    assert opened.error is None
    update = slack.calls_to("views.update")[-1]
    assert update.error is None
    assert update.payload["view_id"] in slack.views
    view: dict[str, Any] = update.payload["view"]
    return view


def _blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if "block_id" in b}


async def _submit(
    slack: FakeSlack, bot: RunningBot, user: str, values: dict[str, str | dict[str, Any]]
) -> Any:
    payload = view_submission(
        SETTINGS_MODAL,
        {f"settings.{name}": {"settings_value": value} for name, value in values.items()},
        team_id=slack.team_id,
        user_id=user,
    )
    status, answer = await _post(bot.port, interaction(payload))
    assert status == 200
    return answer


async def _card(slack: FakeSlack, bot: RunningBot, text: str) -> str:
    answered = await SignedSlack(slack, bot.port).answer(text, user=REP)
    return str(answered["text"])


# --------------------------------------------------------------------------- admins change settings


async def test_an_admin_changes_the_default_pipeline_and_a_threshold_and_the_next_card_uses_them(
    people: FakeSlack, bot: RunningBot
) -> None:
    slack = people
    before = await _card(slack, bot, "growth")
    assert before.endswith("pipeline: All pipelines")

    form = await _open(slack, bot, ADMIN)
    assert form["submit"]["text"] == "Save"
    blocks = _blocks(form)
    select = blocks["settings.default_pipeline"]["element"]
    assert select["type"] == "static_select"
    assert select["options"][0]["value"] == SETTINGS_NOT_SET
    chosen = select["options"][2]  # a pipeline of the sample portal, chosen by the admin
    assert blocks["settings.lookback_days"]["element"]["initial_value"] == "180"
    tickets = blocks["settings.onboarding_ticket_pipeline"]["element"]  # the portal's ticket pipelines
    assert tickets["type"] == "static_select"
    assert any("Onboarding" in o["text"]["text"] for o in tickets["options"])
    assert blocks["settings.revenue_target"]["element"]["type"] == "number_input"

    # The advanced thresholds open on top of the form (views.push) with the click's trigger.
    click = block_actions(
        settings_advanced_action(1), "1", team_id=slack.team_id, response_url=None, user_id=ADMIN
    )
    click.update(container={"type": "view", "view_id": "V1"}, view=form)
    del click["channel"], click["message"]
    status, _ = await _post(bot.port, interaction(click))
    assert status == 200
    await slack.wait_for(lambda s: len(s.calls_to("views.push")) == 1)
    advanced = _blocks(slack.calls_to("views.push")[0].payload["view"])
    assert "settings.volume_critical_below" in advanced
    assert "settings.default_pipeline" not in advanced

    # Saving the advanced page: any pipeline with fewer than a million open deals is now critical.
    saved = await _submit(slack, bot, ADMIN, {"volume_critical_below": number("1,000,000")})
    assert saved["response_action"] == "update"
    assert "Volume critical below*: 5 → 1000000" in json.dumps(saved["view"], ensure_ascii=False)
    # Saving the main page: the default pipeline.
    saved = await _submit(slack, bot, ADMIN, {"default_pipeline": selected(chosen["value"])})
    assert saved["response_action"] == "update"

    after = await _card(slack, bot, "growth")
    snapshot = await bot.deps.service.read(chosen["value"])
    expected = analyze(
        snapshot,
        EngineName.GROWTH,
        config=AnalysisConfig(volume_critical_below=1_000_000),
        pipeline=snapshot.pipeline_id,
    )
    unchanged = analyze(snapshot, EngineName.GROWTH, pipeline=snapshot.pipeline_id)
    assert expected.score != unchanged.score  # the thresholds matter on this pipeline
    assert after.startswith(f"Growth engine: {expected.score}/100 ({expected.label.value})")
    assert after.endswith(f"pipeline: {slack_escape(chosen['text']['text'])}")  # escaped once
    # "all" still asks for every pipeline, whatever the default.
    assert (await _card(slack, bot, "growth all")).endswith("pipeline: All pipelines")

    changes = await bot.storage.workspaces.changes(slack.team_id)
    assert [(c.name, c.old, c.new, c.user_id) for c in reversed(changes)] == [
        ("volume_critical_below", "5", "1000000", ADMIN),
        ("default_pipeline", None, chosen["value"], ADMIN),
    ]


async def test_invalid_values_are_answered_in_the_modal_and_nothing_is_saved(
    people: FakeSlack, bot: RunningBot
) -> None:
    answer = await _submit(
        people,
        bot,
        ADMIN,
        {"lookback_days": number("0"), "stale_activity_days": "three weeks", "conversion_benchmark": "40"},
    )
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {
        "settings.lookback_days": "Input should be greater than or equal to 1.",
        "settings.stale_activity_days": "Type a whole number, such as 30.",
    }
    # Fixed, it saves; the bound a setting has in AnalysisConfig is checked on its own too.
    answer = await _submit(people, bot, ADMIN, {"early_stage_fraction": "1.5"})
    assert answer == {
        "response_action": "errors",
        "errors": {"settings.early_stage_fraction": "Input should be less than or equal to 1."},
    }
    assert await bot.storage.workspaces.overrides(people.team_id) == {}
    assert await bot.storage.workspaces.changes(people.team_id) == []


# --------------------------------------------------------------------------- everyone else


async def test_a_member_sees_the_settings_read_only_and_a_submission_from_them_is_refused(
    people: FakeSlack, bot: RunningBot
) -> None:
    view = await _open(people, bot, REP)
    assert "submit" not in view
    assert not [b for b in view["blocks"] if b["type"] == "input"]
    text = json.dumps(view)
    assert "Only workspace admins and owners" in text
    assert "Lookback window (days)" in text

    answer = await _submit(people, bot, REP, {"lookback_days": number("30")})
    assert answer["response_action"] == "update"
    assert "submit" not in answer["view"]
    assert await bot.storage.workspaces.overrides(people.team_id) == {}
    assert (await _card(people, bot, "growth")).endswith("pipeline: All pipelines")


async def test_admin_user_ids_and_workspace_owners_may_change_settings(
    people: FakeSlack, bot: RunningBot
) -> None:
    listed = await _submit(people, bot, LISTED, {"stale_activity_days": number("21")})
    assert listed["response_action"] == "update"
    owner = await _submit(people, bot, OWNER, {"closing_soon_days": number("14")})
    assert owner["response_action"] == "update"
    assert await bot.storage.workspaces.overrides(people.team_id) == {
        "stale_activity_days": 21,
        "closing_soon_days": 14,
    }
    # ADMIN_USER_IDS needs no users.info; the owner's answer was asked once and is cached.
    asked = [c.payload.get("user") for c in people.calls_to("users.info")]
    assert LISTED not in asked
    assert asked.count(OWNER) == 1
    await _submit(people, bot, OWNER, {"closing_soon_days": number("15")})
    assert [c.payload.get("user") for c in people.calls_to("users.info")].count(OWNER) == 1


async def test_an_empty_field_goes_back_to_the_environment(people: FakeSlack, tmp_path: Path) -> None:
    settings = _settings(people, tmp_path / "data", analysis=AnalysisConfig(stale_activity_days=45))
    async with running_bot(settings) as bot:
        await _submit(people, bot, ADMIN, {"stale_activity_days": number("21")})
        assert await bot.storage.workspaces.overrides(people.team_id) == {"stale_activity_days": 21}
        answer = await _submit(people, bot, ADMIN, {"stale_activity_days": number(None)})
        assert "21 → 45" in json.dumps(answer["view"], ensure_ascii=False)
        assert await bot.storage.workspaces.overrides(people.team_id) == {}
        assert (await bot.deps.settings_for(people.team_id)).analysis.stale_activity_days == 45


# --------------------------------------------------------------------------- restarts, Home tab, mentions


async def test_settings_survive_a_restart(people: FakeSlack, tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with running_bot(_settings(people, data)) as bot:
        await _submit(people, bot, ADMIN, {"healthy_from": number("100"), "warning_from": number("99")})
    async with running_bot(_settings(people, data)) as bot:
        card = await _card(people, bot, "growth")
        assert card.startswith("Growth engine: ")
        score = int(card.removeprefix("Growth engine: ").split("/")[0])
        assert score < 99  # the sample portal's growth score, which the new bands call critical
        assert card.split(" · ")[0].endswith("(Critical)")
        view = await _open(people, bot, ADMIN)
        assert _blocks(view)["settings.default_pipeline"]  # the form, with the change log under it
        log = json.dumps(_blocks(view)["settings_changes"], ensure_ascii=False)
        assert f"<@{ADMIN}>" in log
        assert "70 → 100" in log


async def test_the_home_tab_has_a_settings_button_that_opens_the_modal(
    people: FakeSlack, bot: RunningBot
) -> None:
    opened = event_callback(
        {"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME", "tab": "home", "event_ts": "1.0"},
        team_id=people.team_id,
        bot_user_id=people.bot_user_id,
    )
    status, _ = await post_signed(bot.port, json.dumps(opened), content_type="application/json")
    assert status == 200
    await people.wait_for(lambda s: "home_controls" in json.dumps(s.home_views.get(ADMIN, {})))
    controls = _blocks(people.home_views[ADMIN])["home_controls"]
    assert SETTINGS_OPEN in [e["action_id"] for e in controls["elements"]]

    click = block_actions(SETTINGS_OPEN, "open", team_id=people.team_id, response_url=None, user_id=ADMIN)
    click.update(container={"type": "view", "view_id": people.home_views[ADMIN]["id"]})
    del click["channel"], click["message"]
    status, _ = await _post(bot.port, interaction(click))
    assert status == 200
    await people.wait_for(lambda s: len(s.calls_to("views.update")) == 1)
    assert _blocks(people.calls_to("views.update")[0].payload["view"])["settings.lookback_days"]


async def test_a_mention_asking_for_settings_gets_a_button(people: FakeSlack, bot: RunningBot) -> None:
    """A mention carries no trigger to open a modal with: the reply is a button that has one."""
    before = len(people.calls_to("chat.postMessage"))
    mention = event_callback(
        {
            "type": "app_mention",
            "user": ADMIN,
            "text": f"<@{people.bot_user_id}> settings",
            "ts": "1764000000.000900",
            "channel": "C0SALES",
            "event_ts": "1764000000.000900",
        },
        team_id=people.team_id,
        bot_user_id=people.bot_user_id,
    )
    status, _ = await post_signed(bot.port, json.dumps(mention), content_type="application/json")
    assert status == 200
    await people.wait_for(
        lambda s: len(s.calls_to("chat.postEphemeral")) + len(s.calls_to("chat.postMessage")) > before
    )
    sent = (people.calls_to("chat.postEphemeral") or people.calls_to("chat.postMessage"))[-1]
    assert SETTINGS_OPEN in json.dumps(sent.payload)
    assert people.calls_to("views.open") == []


async def test_a_scheduled_report_uses_the_workspace_thresholds(people: FakeSlack, tmp_path: Path) -> None:
    """The schedule posts into the bot token's workspace (auth.test): its settings apply there too."""
    clock = FakeClock(datetime(2026, 11, 23, 7, 58, tzinfo=UTC))  # 08:58 in Berlin, a Monday
    settings = _settings(
        people,
        tmp_path / "data",
        report_channel="C0REVOPS",
        report_schedule="weekly mon 09:00",
        report_timezone="Europe/Berlin",
        report_engines="growth",
    )
    async with running_bot(settings, clock=clock, poll_interval=timedelta(milliseconds=50)) as bot:
        await _submit(people, bot, ADMIN, {"healthy_from": number("100"), "warning_from": number("99")})
        clock.set(datetime(2026, 11, 23, 8, 0, 3, tzinfo=UTC))
        await people.wait_for(
            lambda s: any(c.payload.get("channel") == "C0REVOPS" for c in s.calls_to("chat.postMessage"))
        )
    [card] = [c for c in people.calls_to("chat.postMessage") if c.payload.get("channel") == "C0REVOPS"]
    headline = str(card.payload["text"]).split(" · ")[0]
    assert headline.startswith("Growth engine: ")
    assert int(headline.removeprefix("Growth engine: ").split("/")[0]) < 99
    assert headline.endswith("(Critical)")


async def test_a_change_saved_on_one_replica_is_used_by_the_other_on_its_next_answer(
    people: FakeSlack, tmp_path: Path, pg_url: str
) -> None:
    """Two ``engine-bot serve`` replicas on one PostgreSQL: nothing is cached, so the next answer on
    the replica that did not save already uses the new settings."""
    first_settings = _settings(people, tmp_path / "one", database_url=pg_url)
    second_settings = _settings(people, tmp_path / "two", database_url=pg_url)
    async with running_bot(first_settings) as first, running_bot(second_settings) as second:
        assert "/100 (Healthy)" in (await _card(people, second, "growth")).split(" · ")[0]
        await _submit(people, first, ADMIN, {"healthy_from": number("100"), "warning_from": number("99")})
        assert "/100 (Critical)" in (await _card(people, second, "growth")).split(" · ")[0]
