"""OwnerDirectory against the loopback Slack Web API (``tests/fakes/slack.py``): hits, cached misses,
TTL, bound, single-flight, errors that never escape, and no secret in the logs."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.mrkdwn import mention_or_name
from bot.runtime import build_deps, build_owner_directory
from bot.settings import Settings
from bot.slack.owners import OwnerDirectory
from tests.fakes.slack import FakeSlack
from tests.owners.conftest import TOKEN, FakeClock


async def _mention(directory: OwnerDirectory, name: str | None, email: str | None) -> str:
    """An owner as the cards show one: a mention when the e-mail resolves, else the escaped name."""
    return mention_or_name(name, email, await directory.slack_user_ids([email]), budget=80)


async def test_hit_is_returned_and_cached(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U0123ABC", "Maya@Example.com")
    directory = OwnerDirectory(client)

    assert await directory.slack_user_id("maya@example.com") == "U0123ABC"
    assert await directory.slack_user_id("  MAYA@example.com ") == "U0123ABC"

    (call,) = slack.calls_to("users.lookupByEmail")
    assert call.error is None  # the fake accepted the bot token (it answers invalid_auth otherwise)
    assert call.payload["email"] == "maya@example.com"


async def test_miss_is_cached_for_the_ttl_then_asked_again(
    slack: FakeSlack, client: AsyncWebClient, clock: FakeClock
) -> None:
    directory = OwnerDirectory(client, ttl=3600, clock=clock)

    assert await directory.slack_user_id("nobody@example.com") is None
    clock.advance(3599)
    assert await directory.slack_user_id("nobody@example.com") is None
    assert len(slack.calls_to("users.lookupByEmail")) == 1

    slack.add_user("U0NEW", "nobody@example.com")
    clock.advance(2)
    assert await directory.slack_user_id("nobody@example.com") == "U0NEW"
    assert len(slack.calls_to("users.lookupByEmail")) == 2


async def test_cache_is_bounded_and_evicts_the_oldest(slack: FakeSlack, client: AsyncWebClient) -> None:
    for n in range(4):
        slack.add_user(f"U000{n}", f"rep{n}@example.com")
    directory = OwnerDirectory(client, max_entries=3)

    for n in range(4):
        assert await directory.slack_user_id(f"rep{n}@example.com") == f"U000{n}"
    assert len(slack.calls_to("users.lookupByEmail")) == 4

    # rep1..rep3 are still cached; rep0 was the oldest and was evicted.
    for n in (1, 2, 3):
        await directory.slack_user_id(f"rep{n}@example.com")
    assert len(slack.calls_to("users.lookupByEmail")) == 4
    assert await directory.slack_user_id("rep0@example.com") == "U0000"
    assert len(slack.calls_to("users.lookupByEmail")) == 5


async def test_concurrent_lookups_of_one_email_make_one_call(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user("U0SAME", "same@example.com")
    slack.slow("users.lookupByEmail", 0.2)
    directory = OwnerDirectory(client)

    results = await asyncio.gather(*(directory.slack_user_id("same@example.com") for _ in range(10)))

    assert results == ["U0SAME"] * 10
    assert len(slack.calls_to("users.lookupByEmail")) == 1


async def test_a_cancelled_caller_does_not_cancel_the_shared_lookup(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user("U0SAME", "same@example.com")
    slack.slow("users.lookupByEmail", 0.2)
    directory = OwnerDirectory(client)

    impatient = asyncio.create_task(directory.slack_user_id("same@example.com"))
    patient = asyncio.create_task(directory.slack_user_id("same@example.com"))
    await asyncio.sleep(0.05)
    impatient.cancel()

    assert await patient == "U0SAME"
    assert impatient.cancelled()
    assert len(slack.calls_to("users.lookupByEmail")) == 1


async def test_slack_error_returns_none_logs_no_secret_and_is_retried_later(
    slack: FakeSlack, client: AsyncWebClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    slack.add_user("U0123ABC", "maya@example.com")
    slack.fail("users.lookupByEmail", "invalid_auth")
    directory = OwnerDirectory(client, error_ttl=30, clock=clock)

    with caplog.at_level(logging.DEBUG, logger="bot.slack.owners"):
        assert await directory.slack_user_id("maya@example.com") is None
        assert await _mention(directory, "Maya <!channel>", "maya@example.com") == "Maya &lt;!channel&gt;"

    assert len(slack.calls_to("users.lookupByEmail")) == 1  # the failure is remembered briefly
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "invalid_auth" in logged
    assert TOKEN not in logged
    assert "maya@example.com" not in logged

    clock.advance(31)
    assert await directory.slack_user_id("maya@example.com") == "U0123ABC"


async def test_rate_limit_waits_at_least_retry_after(
    slack: FakeSlack, client: AsyncWebClient, clock: FakeClock
) -> None:
    slack.add_user("U0123ABC", "maya@example.com")
    slack.rate_limit("users.lookupByEmail", retry_after=120)
    directory = OwnerDirectory(client, error_ttl=30, clock=clock)

    assert await directory.slack_user_id("maya@example.com") is None
    clock.advance(60)
    assert await directory.slack_user_id("maya@example.com") is None  # still inside Retry-After
    clock.advance(61)
    assert await directory.slack_user_id("maya@example.com") == "U0123ABC"
    assert len(slack.calls_to("users.lookupByEmail")) == 2


async def test_non_json_answer_returns_none(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.server_error("users.lookupByEmail", status=502)
    slack.server_error("users.info", status=502)
    directory = OwnerDirectory(client)

    assert await directory.slack_user_id("maya@example.com") is None
    assert await directory.email_for_user("U0123ABC") is None


async def test_unreachable_slack_returns_none() -> None:
    with socket.socket() as sock:  # a port nothing listens on once the socket closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = AsyncWebClient(
        token=TOKEN, base_url=f"http://127.0.0.1:{port}/api/", timeout=2, retry_handlers=[]
    )
    directory = OwnerDirectory(client)

    assert await directory.slack_user_id("maya@example.com") is None
    assert await _mention(directory, "Jonas & Co", "jonas@example.com") == "Jonas &amp; Co"


async def test_deactivated_user_is_not_mentioned(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U0GONE", "gone@example.com", deleted=True)
    directory = OwnerDirectory(client)

    assert await directory.slack_user_id("gone@example.com") is None
    assert await _mention(directory, "Gone Rep", "gone@example.com") == "Gone Rep"


async def test_owner_mention_and_batch_resolution(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U0MAYA", "maya@example.com")
    slack.add_user("W0JONAS", "jonas@example.com")
    directory = OwnerDirectory(client)

    assert await _mention(directory, "Maya", "maya@example.com") == "<@U0MAYA>"
    assert await _mention(directory, None, None) == "_no owner_"
    assert (
        await _mention(directory, "<@U1> & <!here>", "nobody@example.com")
        == "&lt;@U1&gt; &amp; &lt;!here&gt;"
    )

    ids = await directory.slack_user_ids(
        ["MAYA@example.com", "maya@example.com", "jonas@example.com", None, "", "nobody@example.com"]
    )
    assert ids == {"maya@example.com": "U0MAYA", "jonas@example.com": "W0JONAS"}
    emails_asked = [c.payload["email"] for c in slack.calls_to("users.lookupByEmail")]
    assert sorted(emails_asked) == ["jonas@example.com", "maya@example.com", "nobody@example.com"]


async def test_invalid_inputs_make_no_call(slack: FakeSlack, client: AsyncWebClient) -> None:
    directory = OwnerDirectory(client)

    assert await directory.slack_user_id(None) is None
    assert await directory.slack_user_id("   ") is None
    assert await directory.slack_user_id("not-an-email") is None
    assert await directory.email_for_user(None) is None
    assert await directory.email_for_user("<!channel>") is None
    assert slack.calls == []


async def test_email_for_user_reads_the_profile_and_caches(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U0MAYA", "maya@example.com")
    slack.add_user("U0NOMAIL", None)
    directory = OwnerDirectory(client)

    assert await directory.email_for_user("U0MAYA") == "maya@example.com"
    assert await directory.email_for_user("U0MAYA") == "maya@example.com"
    assert await directory.email_for_user("U0NOMAIL") is None
    assert await directory.email_for_user("U0UNKNOWN") is None
    assert await directory.email_for_user("U0UNKNOWN") is None
    assert [c.payload["user"] for c in slack.calls_to("users.info")] == ["U0MAYA", "U0NOMAIL", "U0UNKNOWN"]


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        OwnerDirectory(AsyncWebClient(token=TOKEN), max_entries=0)


async def test_a_slow_slack_is_cut_off_by_the_timeout(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U0SLOW", "slow@example.com")
    slack.slow("users.lookupByEmail", 0.6)
    directory = OwnerDirectory(client, timeout=0.1)

    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await directory.slack_user_id("slow@example.com") is None
    assert loop.time() - started < 0.5


async def test_the_bots_directory_has_its_own_client_that_never_waits_out_a_rate_limit(
    slack: FakeSlack,
) -> None:
    settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_api_url=slack.base_url.rstrip("/"))
    assert build_owner_directory(Settings(_env_file=None)) is None  # no token: owners shown by name
    deps = build_deps(Settings(_env_file=None, engine_source="sample", slack_bot_token=TOKEN))
    assert isinstance(deps.owners, OwnerDirectory)
    directory = build_owner_directory(settings)
    assert directory is not None
    slack.add_user("U0MAYA", "maya@example.com")
    slack.rate_limit("users.lookupByEmail", retry_after=30)

    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await directory.slack_user_id("maya@example.com") is None  # the shared client would sleep 30 s
    assert loop.time() - started < 2
    assert await directory.slack_user_id("jonas@example.com") is None
    assert [c.status for c in slack.calls_to("users.lookupByEmail")] == [429, 200]
