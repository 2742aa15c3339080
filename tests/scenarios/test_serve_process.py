"""``engine-bot serve`` as a real process: HTTP mode, signed commands, report history on disk.

This is the deployment path end to end: settings from the environment, the SQLite report store in
``DATA_DIR`` (the second card shows the trend since the first), the Web API and response URLs on the
loopback fake Slack, and no secret in the process's log output.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.support.harness import BOT_TOKEN, SIGNING_SECRET, sign
from tests.support.processes import serve_process
from tests.support.slack import FakeSlack


def _command(base: str, text: str, response_url: str) -> int:
    body = urllib.parse.urlencode(
        {
            "command": "/engine",
            "text": text,
            "response_url": response_url,
            "user_id": "U1",
            "channel_id": "C1",
        }
    )
    ts = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(body, ts),
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return int(response.status)


def test_serve_process_answers_and_keeps_history(tmp_path: Path) -> None:
    with FakeSlack.running(bot_token=BOT_TOKEN) as slack:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "DEBUG",
        }
        with serve_process(tmp_path, env) as serve:
            first, second = slack.new_response_url(), slack.new_response_url()
            assert _command(serve.base, "growth", first) == 200
            slack.wait_for_sync(lambda s: len(s.responses(first.rsplit("/", 1)[-1])) >= 1, timeout=20)
            assert _command(serve.base, "growth", second) == 200
            slack.wait_for_sync(lambda s: len(s.responses(second.rsplit("/", 1)[-1])) >= 1, timeout=20)
    first_card = slack.responses(first.rsplit("/", 1)[-1])[0].payload
    second_card = slack.responses(second.rsplit("/", 1)[-1])[0].payload
    assert "since" not in first_card["text"]  # nothing to compare with yet
    assert "since" in second_card["text"]  # the SQLite history in DATA_DIR gave a trend
    assert (tmp_path / "data").is_dir()
    assert json.dumps(second_card).count("Growth engine") >= 1
    output = serve.log()
    assert BOT_TOKEN not in output
    assert SIGNING_SECRET not in output
