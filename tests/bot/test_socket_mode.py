"""Socket Mode: the same app over a WebSocket, as ``engine-bot serve`` runs it with ``SLACK_APP_TOKEN``.

The fake Slack hands out the WebSocket URL from ``apps.connections.open`` and pushes envelopes the way
Slack does; the bot must acknowledge each envelope on the socket and then answer as in HTTP mode.
"""

from __future__ import annotations

import json
from typing import Any

from bot.answers.answering import BotDeps
from bot.answers.service import ReportService
from bot.app import build_app
from bot.runtime.socket_mode import connect_socket_mode
from engines import SampleSource
from tests.bot.conftest import NOW
from tests.bot.harness import BOT_TOKEN, make_settings
from tests.fakes.slack import FakeSlack


async def test_slash_command_and_mention_over_socket_mode(slack: FakeSlack) -> None:
    slack.bot_token = BOT_TOKEN
    settings = make_settings(slack, slack_app_token=slack.app_token, slack_signing_secret=None)
    assert settings.socket_mode
    app = build_app(settings, BotDeps(service=ReportService(SampleSource(now=NOW))))
    handler = await connect_socket_mode(app, slack.app_token)
    try:
        await slack.wait_for(lambda s: s.socket_count > 0)
        url = slack.new_response_url()
        command: dict[str, Any] = {
            "envelope_id": "env-cmd-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {
                "team_id": slack.team_id,
                "channel_id": "C0SALES",
                "user_id": "U0ASKER",
                "command": "/engine",
                "text": "growth",
                "api_app_id": "A0ENGINE",
                "response_url": url,
                "trigger_id": "1.2.3",
            },
        }
        await slack.socket_send(command)
        await slack.wait_for(lambda s: any(a["envelope_id"] == "env-cmd-1" for a in s.socket_acks))
        ack = next(a for a in slack.socket_acks if a["envelope_id"] == "env-cmd-1")
        assert ack["payload"]["text"] == "⏳ Working on the growth engine…"
        key = url.rsplit("/", 1)[-1]
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        assert slack.responses(key)[0].payload["response_type"] == "in_channel"

        event = {
            "envelope_id": "env-ev-1",
            "type": "events_api",
            "accepts_response_payload": False,
            "payload": {
                "team_id": slack.team_id,
                "api_app_id": "A0ENGINE",
                "type": "event_callback",
                "event_id": "EvSock1",
                "event": {
                    "type": "app_mention",
                    "user": "U0ASKER",
                    "text": "<@U0BOT> innovation",
                    "ts": "1764000000.000300",
                    "channel": "C0SALES",
                },
            },
        }
        await slack.socket_send(event)
        await slack.socket_send({**event, "envelope_id": "env-ev-2", "retry_attempt": 1})
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)
        await slack.wait_for(lambda s: {"env-ev-1", "env-ev-2"} <= {a["envelope_id"] for a in s.socket_acks})
        post = slack.calls_to("chat.postMessage")[0].payload
        assert post["thread_ts"] == "1764000000.000300"
        assert "Innovation engine" in json.dumps(post)
        assert len(slack.calls_to("chat.postMessage")) == 1  # the redelivery was dropped
        assert [c.method for c in slack.calls if c.method == "apps.connections.open"] == [
            "apps.connections.open"
        ]
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
