"""Signed ``/engine`` requests to a bot started with :func:`bot.runtime.running_bot`.

``BotHarness`` builds its own app; the serve-level tests need the app ``engine-bot serve`` builds, so
they talk to its port with the same signing (``tests.support.harness.sign``) Slack uses.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

import aiohttp

from bot.runtime.http import EVENTS_PATH, HEALTH_PATH
from tests.support.harness import sign
from tests.support.slack import FakeSlack

__all__ = ["SignedSlack", "post_signed"]

FORM = "application/x-www-form-urlencoded"


async def post_signed(port: int, body: str, *, content_type: str = FORM) -> tuple[int, str]:
    """POST ``body`` to the bot on ``port`` at the events path, signed as Slack signs it; status and text."""
    ts = int(time.time())
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}{EVENTS_PATH}", data=body.encode(), headers=headers
        ) as response,
    ):
        return response.status, await response.text()


class SignedSlack:
    """Sends slash commands to ``http://127.0.0.1:port`` the way Slack does; answers go to ``slack``."""

    def __init__(self, slack: FakeSlack, port: int) -> None:
        self.slack = slack
        self.port = port
        self.url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        self.health_url = f"http://127.0.0.1:{port}{HEALTH_PATH}"

    async def health(self) -> int:
        """The status of ``GET /health``: 200 while the bot serves."""
        async with aiohttp.ClientSession() as session, session.get(self.health_url) as response:
            return response.status

    async def command(self, text: str, *, user: str = "U0ALICE", channel: str = "C0REVOPS") -> str:
        """Send ``/engine text``; return the response URL key the answer goes to (after the ack)."""
        response_url = self.slack.new_response_url()
        body = urlencode(
            {
                "team_id": self.slack.team_id,
                "channel_id": channel,
                "user_id": user,
                "command": "/engine",
                "text": text,
                "api_app_id": "A0ENGINE",
                "response_url": response_url,
                "trigger_id": f"{uuid.uuid4().int % 10**12}.1.abc",
            }
        )
        status, text = await post_signed(self.port, body)
        assert status == 200, text
        return response_url.rsplit("/", 1)[-1]

    async def answer(self, text: str, **kw: str) -> dict[str, object]:
        """Send ``/engine text`` and wait for the (last) message delivered to its response URL."""
        key = await self.command(text, **kw)
        await self.slack.wait_for(lambda s: any(not _is_progress(c.payload) for c in s.responses(key)))
        return [c.payload for c in self.slack.responses(key) if not _is_progress(c.payload)][-1]


def _is_progress(payload: dict[str, object]) -> bool:
    return str(payload.get("text", "")).startswith("⏳")
