"""``/engine changes …`` and ``@bot what changed …`` over signed requests: the card first, then the
waterfall picture (in the mention's thread, or after a public slash answer), none for a private
answer; a refused picture is explained once; no mirror, a bad period or pipeline are said plainly.

The change reports here come from a change source over fixed deal states; the mirror-backed source
and its change log are tested against the loopback HubSpot in tests/unit/bot/mirror/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.schedules import Scheduling
from bot.storage import Storage
from engines import (
    ChangeReport,
    DealState,
    DealTimeline,
    EngineName,
    PortalSnapshot,
    SampleSource,
    cents,
    compute_changes,
    stage_order,
    utc_now,
)
from engines.sample import generate_portal
from tests.support.clock import NOW
from tests.support.harness import BOT_TOKEN, BotHarness
from tests.support.slack import FakeSlack

SNAPSHOT = generate_portal(deals=40, now=NOW)
THREAD = "1764000000.000100"


class FixedChanges:
    """Changes over fixed states in the sample portal's pipelines: one deal created, one won."""

    def __init__(self) -> None:
        self.asked: list[tuple[datetime, str | None]] = []

    async def portal(self) -> PortalSnapshot:
        return SNAPSHOT.model_copy(update={"deals": ()})

    async def changes(self, since: datetime, pipeline_id: str | None) -> ChangeReport:
        self.asked.append((since, pipeline_id))
        open_deal = DealState(
            name="Globex Platform", amount=cents("12000"), pipeline_id="default", stage_id="qualifiedtobuy"
        )
        won = DealState(
            name="Initech",
            amount=cents("30000"),
            pipeline_id="default",
            stage_id="closedwon",
            closed=True,
            won=True,
        )
        before_won = DealState(
            name="Initech", amount=cents("30000"), pipeline_id="default", stage_id="contractsent"
        )
        return compute_changes(
            [DealTimeline("101", None, open_deal), DealTimeline("102", before_won, won)],
            since=since,
            until=utc_now(),
            pipeline=pipeline_id,
            stages=stage_order(SNAPSHOT.pipelines),
        )


def card_text(payload: dict[str, object]) -> str:
    return json.dumps(payload.get("blocks", []), ensure_ascii=False)


async def test_slash_changes_posts_the_card_then_the_waterfall(slack: FakeSlack) -> None:
    source = FixedChanges()
    async with BotHarness(slack, SampleSource(now=NOW), changes=source) as bot:
        sent, key = await bot.command("changes since monday Sales Pipeline")
        assert sent.status == 200
        await slack.wait_for(lambda s: len(s.calls_to("files.completeUploadExternal")) >= 1)
        (card,) = slack.responses(key)
        assert card.payload["response_type"] == "in_channel"
        text = card_text(card.payload)
        assert "What changed · Sales Pipeline" in text
        assert "*Created* +$12k · 1 deal" in text
        assert "*Won* −$30k · 1 deal" in text
        ((since, pipeline),) = source.asked
        assert pipeline == "default"
        assert since.weekday() == 0
        assert utc_now() - since <= timedelta(days=7)
        complete = slack.calls_to("files.completeUploadExternal")[0]
        assert complete.error is None
        assert complete.payload["channel_id"] == "C0SALES"
        (shared,) = json.loads(complete.payload["files"])
        stored = slack.files[shared["id"]]
        assert stored["name"] == "waterfall.png"
        assert stored["alt_txt"].startswith("Waterfall of open pipeline value (Sales Pipeline)")
        assert slack.calls_to("upload")[0].payload["size"] == stored["size"]


async def test_mention_what_changed_answers_in_the_thread_with_the_picture(slack: FakeSlack) -> None:
    slack.messages[("C0SALES", THREAD)] = {"type": "message", "ts": THREAD, "text": "deal review"}
    async with BotHarness(slack, SampleSource(now=NOW), changes=FixedChanges()) as bot:
        await bot.mention("what changed since 7d", event_id="EvC1", ts=THREAD)
        await slack.wait_for(lambda s: len(s.calls_to("files.completeUploadExternal")) >= 1)
        (post,) = slack.calls_to("chat.postMessage")
        assert post.payload["thread_ts"] == THREAD
        assert "What changed" in post.payload["text"]
        complete = slack.calls_to("files.completeUploadExternal")[0]
        assert (complete.payload["channel_id"], complete.payload["thread_ts"]) == ("C0SALES", THREAD)
        assert complete.error is None


async def test_private_changes_carry_no_picture(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW), changes=FixedChanges()) as bot:
        _, key = await bot.command("changes private")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        assert slack.responses(key)[0].payload["response_type"] == "ephemeral"
        assert not slack.calls_to("files.getUploadURLExternal")


async def test_refused_picture_is_explained_once_per_channel(slack: FakeSlack) -> None:
    slack.missing_scopes.add("files:write")
    async with BotHarness(slack, SampleSource(now=NOW), changes=FixedChanges()) as bot:
        _, first = await bot.command("changes")
        await slack.wait_for(lambda s: len(s.responses(first)) >= 2)
        card, hint = slack.responses(first)
        assert "What changed" in card.payload["text"]
        assert hint.payload["response_type"] == "ephemeral"
        assert "`files:write`" in hint.payload["text"]
        _, second = await bot.command("changes")
        await slack.wait_for(lambda s: len(s.calls_to("files.getUploadURLExternal")) >= 2)
        await slack.wait_for(lambda s: len(s.responses(second)) >= 1)
        assert len(slack.responses(second)) == 1  # the card, and no second hint


async def test_without_a_mirror_it_says_what_is_needed(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("changes since monday")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        (answer,) = slack.responses(key)
        assert answer.payload["response_type"] == "ephemeral"
        assert "CRM mirror" in answer.payload["text"]


async def test_bad_period_and_unknown_pipeline_are_said(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW), changes=FixedChanges()) as bot:
        _, bad = await bot.command("changes since someday")
        _, unknown = await bot.command("changes 7d Nonexistent Pipeline")
        await slack.wait_for(lambda s: len(s.responses(bad)) >= 1 and len(s.responses(unknown)) >= 1)
        assert "`someday`" in slack.responses(bad)[0].payload["text"]
        assert "Nonexistent Pipeline" in slack.responses(unknown)[0].payload["text"]
        assert not slack.calls_to("files.getUploadURLExternal")


async def test_what_changed_button_posts_a_new_card_and_pictures_the_clicked_thread(slack: FakeSlack) -> None:
    card_ts = "1764000000.000300"
    slack.messages[("C0SALES", card_ts)] = {"type": "message", "ts": card_ts, "text": "Growth card"}
    source = FixedChanges()
    async with BotHarness(slack, SampleSource(now=NOW), changes=source) as bot:
        url = slack.new_response_url()
        sent = await bot.click("engine.changes", '{"e":"growth","p":"default"}', response_url=url, ts=card_ts)
        assert sent.status == 200
        await slack.wait_for(lambda s: len(s.calls_to("files.completeUploadExternal")) >= 1)
        (card,) = slack.responses(url.rsplit("/", 1)[-1])
        assert "replace_original" not in card.payload  # the engine card stays
        assert "What changed · Sales Pipeline" in card_text(card.payload)
        assert source.asked[0][1] == "default"
        complete = slack.calls_to("files.completeUploadExternal")[0]
        assert complete.payload["thread_ts"] == card_ts


async def test_scheduled_post_adds_the_change_card_since_the_previous_post(
    slack: FakeSlack, tmp_path: Path
) -> None:
    source = FixedChanges()
    harness = BotHarness(slack, SampleSource(now=NOW), data_dir=tmp_path / "data")
    storage = Storage.open(harness.settings, clock=lambda: datetime(2026, 11, 16, 8, tzinfo=UTC))
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    scheduling = Scheduling(harness.settings, storage, harness.deps.service, client, changes=source)
    try:
        await storage.schedules.add(
            channel_id="C0REVOPS",
            cron="0 9 * * mon",
            spec="weekly mon 09:00",
            timezone="UTC",
            engines=(EngineName.GROWTH,),
        )
        first, second = datetime(2026, 11, 16, 9, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)
        await scheduling.runner.run_once(first + timedelta(seconds=1))
        assert source.asked == []  # the first post has nothing to compare with
        posts_before = len(slack.calls_to("chat.postMessage"))
        await scheduling.runner.run_once(second + timedelta(seconds=1))
        assert source.asked == [(first, None)]
        change_post = slack.calls_to("chat.postMessage")[-1]
        assert len(slack.calls_to("chat.postMessage")) > posts_before + 1  # the report, then the changes
        assert change_post.payload["text"].startswith("What changed since the previous post")
        ts = next(c for c in slack.calls_to("chat.update")).payload["ts"]
        complete = slack.calls_to("files.completeUploadExternal")[0]
        assert (complete.payload["channel_id"], complete.payload["thread_ts"]) == ("C0REVOPS", ts)
        blocks = slack.messages[("C0REVOPS", ts)]["blocks"]
        assert blocks[-1]["type"] == "image"
        assert blocks[-1]["alt_text"].startswith("Waterfall of open pipeline value")
    finally:
        storage.close()
