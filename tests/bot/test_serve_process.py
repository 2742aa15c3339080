"""``engine-bot serve`` as a real process: HTTP mode, signed commands, report history on disk.

This is the deployment path end to end: settings from the environment, the SQLite report store in
``DATA_DIR`` (the second card shows the trend since the first), the Web API and response URLs on the
loopback fake Slack, and no secret in the process's log output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.bot.harness import BOT_TOKEN, SIGNING_SECRET, sign
from tests.bot.processes import free_port, http_status
from tests.fakes.slack import FakeSlack


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
    script = Path(sys.executable).with_name("engine-bot")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with FakeSlack.running(bot_token=BOT_TOKEN) as slack, log_path.open("w") as log:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "DEBUG",
        }
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while http_status(base + "/health") != 200:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.1)
            first, second = slack.new_response_url(), slack.new_response_url()
            assert _command(base, "growth", first) == 200
            slack.wait_for_sync(lambda s: len(s.responses(first.rsplit("/", 1)[-1])) >= 1, timeout=20)
            assert _command(base, "growth", second) == 200
            slack.wait_for_sync(lambda s: len(s.responses(second.rsplit("/", 1)[-1])) >= 1, timeout=20)
        finally:
            process.terminate()
            process.wait(timeout=10)
    first_card = slack.responses(first.rsplit("/", 1)[-1])[0].payload
    second_card = slack.responses(second.rsplit("/", 1)[-1])[0].payload
    assert "since" not in first_card["text"]  # nothing to compare with yet
    assert "since" in second_card["text"]  # the SQLite history in DATA_DIR gave a trend
    assert (tmp_path / "data").is_dir()
    assert json.dumps(second_card).count("Growth engine") >= 1
    output = log_path.read_text()
    assert BOT_TOKEN not in output
    assert SIGNING_SECRET not in output
