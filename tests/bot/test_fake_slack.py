"""The fake Slack itself behaves like Slack where the bot depends on it (so other tests can trust it)."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack.web import web_client
from tests.fakes.slack import FakeSlack


def _client(slack: FakeSlack, token: str | None = None) -> AsyncWebClient:
    settings = Settings(
        _env_file=None, slack_bot_token=token or slack.bot_token, slack_api_url=slack.base_url
    )
    return web_client(settings)


async def test_envelope_auth_and_recording(slack: FakeSlack) -> None:
    client = _client(slack)
    assert (await client.auth_test())["user_id"] == slack.bot_user_id
    with pytest.raises(SlackApiError) as caught:
        await _client(slack, "xoxb-wrong").auth_test()
    assert caught.value.response["error"] == "invalid_auth"
    posted = await client.chat_postMessage(channel="C1", text="hi", thread_ts="1.2")
    assert posted["ts"]
    assert slack.calls_to("chat.postMessage")[0].payload["thread_ts"] == "1.2"


async def test_block_limits_are_enforced_like_slack(slack: FakeSlack) -> None:
    client = _client(slack)
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C1", text="x", blocks=too_many)
    assert caught.value.response["error"] == "invalid_blocks"
    long = [{"type": "section", "text": {"type": "mrkdwn", "text": "a" * 2900}}] * 5
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C1", text="x", blocks=long)
    assert caught.value.response["error"] == "msg_blocks_too_long"
    assert slack.problems


async def test_rate_limits_and_server_errors(slack: FakeSlack) -> None:
    client = _client(slack)
    slack.rate_limit("chat.postMessage", retry_after=0, times=2)
    await client.chat_postMessage(channel="C1", text="eventually")  # the retry handler waits it out
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]
    slack.server_error("chat.update")
    with pytest.raises(SlackApiError):
        await client.chat_update(channel="C1", ts="1", text="x")


async def test_channels_membership_and_users(slack: FakeSlack) -> None:
    client = _client(slack)
    slack.not_member.add("C2")
    slack.private_channels.add("G3")
    slack.not_member.add("G3")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        await client.chat_postMessage(channel="C2", text="x")
    await client.conversations_join(channel="C2")
    await client.chat_postMessage(channel="C2", text="x")
    with pytest.raises(SlackApiError, match="method_not_supported_for_channel_type"):
        await client.conversations_join(channel="G3")
    slack.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.chat_postMessage(channel="C2", text="x")
    slack.users["ana@example.com"] = "U0ANA"
    assert (await client.users_lookupByEmail(email="ana@example.com"))["user"]["id"] == "U0ANA"
    with pytest.raises(SlackApiError, match="users_not_found"):
        await client.users_lookupByEmail(email="nobody@example.com")


async def test_views(slack: FakeSlack) -> None:
    client = _client(slack)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": [{"type": "divider"}]}
    opened = await client.views_open(trigger_id="1.2.3", view=view)
    updated = await client.views_update(view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=view)
    assert updated["view"]["id"] == opened["view"]["id"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=opened["view"]["id"], hash="stale", view=view)
    home = {"type": "home", "blocks": [{"type": "divider"}] * 100}
    assert (await client.views_publish(user_id="U1", view=home))["ok"]


def test_background_thread_mode_and_response_url_uses() -> None:
    import json
    import urllib.request

    with FakeSlack.running() as slack:
        url = slack.new_response_url()
        statuses = []
        for _ in range(6):
            request = urllib.request.Request(  # noqa: S310 - loopback only
                url, data=json.dumps({"text": "x"}).encode(), headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    statuses.append(response.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
        assert statuses == [200] * 5 + [404]  # a response_url allows 5 uses
        slack.wait_for_sync(lambda s: len(s.responses()) == 5)


async def test_users_info_and_lookup_by_email_as_get_requests(slack: FakeSlack) -> None:
    client = _client(slack)
    slack.add_user("U0MAYA", "Maya@Example.com")
    slack.add_user("U0NOMAIL")
    slack.add_user("U0GONE", "gone@example.com", deleted=True)
    assert (await client.users_lookupByEmail(email="maya@example.com"))["user"]["id"] == "U0MAYA"
    assert (await client.users_info(user="U0MAYA"))["user"]["profile"]["email"] == "Maya@Example.com"
    assert "email" not in (await client.users_info(user="U0NOMAIL"))["user"]["profile"]
    assert (await client.users_lookupByEmail(email="gone@example.com"))["user"]["deleted"] is True
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="U0NOBODY")
    assert slack.calls_to("users.info")[0].payload == {"user": "U0MAYA"}


async def test_views_are_checked_like_slack_checks_them(slack: FakeSlack) -> None:
    client = _client(slack)
    long_title = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_open(trigger_id="1.2.3", view=long_title)
    metadata = {"type": "home", "private_metadata": "m" * 3001, "blocks": [{"type": "divider"}]}
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_publish(user_id="U1", view=metadata)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_publish(user_id="U1", view={"type": "home", "blocks": [{"type": "divider"}] * 101})
    assert len(slack.problems) == 3
    slack.problems.clear()
    first = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    again = await client.views_publish(user_id="U1", view={"type": "home", "blocks": [{"type": "divider"}]})
    assert first["view"]["id"] == again["view"]["id"]  # one Home tab per user
    assert slack.home_views["U1"]["blocks"] == [{"type": "divider"}]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_publish(
            user_id="U1", hash=first["view"]["hash"], view={"type": "home", "blocks": []}
        )


async def test_slow_answers(slack: FakeSlack) -> None:
    client = _client(slack)
    slack.slow("auth.test", 0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await client.auth_test())["ok"]
    assert loop.time() - started >= 0.3
    started = loop.time()
    await client.auth_test()
    assert loop.time() - started < 0.3
