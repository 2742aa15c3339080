"""Delivery against the loopback Slack Web API (tests/support/slack.py): post, join, DM, 429."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.schedules import DeliveryError, ScheduleRunner, ensure_rate_limit_retries, post_cards
from bot.storage import Database, FiringStatus, Schedule, ScheduleStore
from tests.support.clock import FakeClock
from tests.support.slack import FakeSlack

BLOCKS = [SectionBlock(text=MarkdownTextObject(text="*Growth* 72 ▲ 8"))]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)


async def test_posts_the_cards_with_a_text_fallback(slack: FakeSlack, client: AsyncWebClient) -> None:
    delivery = await post_cards(client, "C0REVOPS", BLOCKS, "Growth 72", scheduled_by="U0ALICE")
    [call] = slack.calls_to("chat.postMessage")
    assert call.payload["channel"] == "C0REVOPS"
    assert call.payload["text"] == "Growth 72"
    assert call.payload["blocks"] == [block.to_dict() for block in BLOCKS]
    assert (delivery.channel, delivery.joined) == ("C0REVOPS", False)
    assert delivery.ts


async def test_joins_a_public_channel_and_retries_once(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.not_member.add("C0PUBLIC")
    delivery = await post_cards(client, "C0PUBLIC", BLOCKS, "Growth 72", scheduled_by="U0ALICE")
    assert slack.summary() == [
        "chat.postMessage:200:not_in_channel",
        "conversations.join:200:ok",
        "chat.postMessage:200:ok",
    ]
    assert delivery.joined is True


@pytest.mark.parametrize(
    ("setup", "expected_calls"),
    [
        (
            # The fake's private channel: not_in_channel, and joining is refused.
            lambda s: (s.not_member.add("C0SECRET"), s.private_channels.add("C0SECRET")),
            [
                "chat.postMessage:200:not_in_channel",
                "conversations.join:200:method_not_supported_for_channel_type",
            ],
        ),
        (
            # What Slack really says for a private channel the bot was never invited to.
            lambda s: s.missing_channels.add("C0SECRET"),
            ["chat.postMessage:200:channel_not_found", "conversations.join:200:channel_not_found"],
        ),
    ],
)
async def test_private_channel_dms_the_scheduler_how_to_invite_the_bot(
    slack: FakeSlack, client: AsyncWebClient, setup: object, expected_calls: list[str]
) -> None:
    setup(slack)  # type: ignore[operator]
    with pytest.raises(DeliveryError) as caught:
        await post_cards(client, "C0SECRET", BLOCKS, "Growth 72", scheduled_by="U0ALICE")

    assert slack.summary() == [*expected_calls, "chat.postMessage:200:ok"]
    dm = slack.calls_to("chat.postMessage")[-1].payload
    assert dm["channel"] == "U0ALICE"
    assert "/invite @Value Engine`" in dm["text"]
    assert "<#C0SECRET>" in dm["text"]
    assert caught.value.notified == "U0ALICE"
    assert caught.value.reason.startswith("not in channel and could not join it")


async def test_without_a_scheduler_nobody_is_messaged(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.missing_channels.add("C0GONE")
    with pytest.raises(DeliveryError) as caught:
        await post_cards(client, "C0GONE", BLOCKS, "Growth 72", scheduled_by=None)
    assert caught.value.notified is None
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_other_slack_errors_are_reported_not_retried(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail("chat.postMessage", "is_archived")
    with pytest.raises(DeliveryError, match="is_archived"):
        await post_cards(client, "C0OLD", BLOCKS, "Growth 72", scheduled_by="U0ALICE")
    assert slack.summary() == ["chat.postMessage:200:is_archived"]


async def test_a_server_error_is_reported_by_status_and_not_reposted(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """A 5xx may still have posted the message, so it is reported, not retried into a duplicate."""
    slack.server_error("chat.postMessage", status=503)
    with pytest.raises(DeliveryError, match="http_503"):
        await post_cards(client, "C0REVOPS", BLOCKS, "Growth 72", scheduled_by="U0ALICE")
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_rate_limit_waits_for_retry_after(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.rate_limit("chat.postMessage", retry_after=1)
    started = time.monotonic()
    await post_cards(client, "C0REVOPS", BLOCKS, "Growth 72", scheduled_by=None)
    limited, posted = slack.calls_to("chat.postMessage")
    assert (limited.status, posted.status, posted.error) == (429, 200, None)
    assert posted.at - limited.at >= 1.0  # Retry-After: 1 was honoured
    assert time.monotonic() - started < 5


def test_rate_limit_handler_is_added_once() -> None:
    client = AsyncWebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/")
    ensure_rate_limit_retries(client)
    ensure_rate_limit_retries(client)
    assert sum(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers) == 1


async def test_runner_records_a_delivery_failure_on_the_claim(
    slack: FakeSlack, client: AsyncWebClient, db: Database, clock: FakeClock
) -> None:
    """End to end: the runner posts through post_cards to the loopback Slack, and writes the outcome."""
    store = ScheduleStore(db, clock=clock)
    ok = await store.add(channel_id="C0REVOPS", cron="0 9 * * *", spec="daily 09:00", timezone="UTC")
    private = await store.add(
        channel_id="C0SECRET", cron="0 9 * * *", spec="daily 09:00", timezone="UTC", created_by="U0BOB"
    )
    slack.missing_channels.add("C0SECRET")

    async def post_report(schedule: Schedule, fire_at: datetime) -> None:
        await post_cards(client, schedule.channel_id, BLOCKS, "Growth 72", scheduled_by=schedule.created_by)

    nine = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    await ScheduleRunner(store, post_report).run_once(nine + timedelta(seconds=1))

    last = await store.last_firings()
    assert last[ok.id].status is FiringStatus.POSTED
    assert last[private.id].status is FiringStatus.FAILED
    assert last[private.id].detail == (
        "not in channel and could not join it: channel_not_found (told <@U0BOB> how to fix it)"
    )
    dms = [c for c in slack.calls_to("chat.postMessage") if c.payload["channel"] == "U0BOB"]
    assert len(dms) == 1


async def test_blocks_slack_refuses_are_replaced_by_the_text(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """Nobody watches a scheduled post: the scores in the fallback text beat no post at all."""
    slack.fail("chat.postMessage", "msg_blocks_too_long")
    delivery = await post_cards(client, "C0REVOPS", BLOCKS, "Growth 72", scheduled_by="U0ALICE")
    refused, posted = slack.calls_to("chat.postMessage")
    assert (refused.error, posted.error) == ("msg_blocks_too_long", None)
    assert posted.payload["text"] == "Growth 72"
    assert "blocks" not in posted.payload
    assert delivery.ts
