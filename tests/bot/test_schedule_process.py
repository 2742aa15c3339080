"""``engine-bot serve`` as a real process with a schedule in its environment: it migrates the SQLite
file in ``DATA_DIR``, stores the environment's schedule (in the portal's time zone when
``REPORT_TIMEZONE`` is unset), and stops cleanly (exit status 0, promptly) on SIGTERM, as a
container runtime stops it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.bot.harness import BOT_TOKEN, SIGNING_SECRET
from tests.bot.processes import free_port, http_status
from tests.fakes.slack import FakeSlack


def test_serve_process_runs_the_scheduler_and_stops_on_sigterm(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("engine-bot")
    port = free_port()
    log_path = tmp_path / "serve.log"
    with FakeSlack.running(bot_token=BOT_TOKEN) as slack, log_path.open("w") as log:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATA_DIR": str(tmp_path / "data"),
            "REPORT_CHANNEL": "C0REVOPS",
            "REPORT_SCHEDULE": "0 9 * * 1",
            "REPORT_ENGINES": "growth,fulfillment",
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
            while http_status(f"http://127.0.0.1:{port}/health") != 200:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.1)
        finally:
            process.terminate()  # SIGTERM
            stopped_at = time.monotonic()
            status = process.wait(timeout=15)
    assert status == 0, log_path.read_text()
    assert time.monotonic() - stopped_at < 10
    with sqlite3.connect(tmp_path / "data" / "value-engine-bot.db") as db:
        rows = db.execute("SELECT id, channel_id, cron, timezone, engines, origin FROM schedules").fetchall()
    # No REPORT_TIMEZONE: the portal's zone (the built-in sample portal is in New York).
    assert rows == [
        ("env-default", "C0REVOPS", "0 9 * * 1", "America/New_York", "growth,fulfillment", "environment")
    ]
    output = log_path.read_text()
    assert "Traceback" not in output
    assert BOT_TOKEN not in output
    assert SIGNING_SECRET not in output
