"""``engine-bot serve`` as a real process with a schedule in its environment: it migrates the SQLite
file in ``DATA_DIR``, stores the environment's schedule (in the portal's time zone when
``REPORT_TIMEZONE`` is unset), and stops cleanly (exit status 0, promptly) on SIGTERM, as a
container runtime stops it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.harness import BOT_TOKEN, SIGNING_SECRET
from tests.support.processes import serve_process
from tests.support.slack import FakeSlack


def test_serve_process_runs_the_scheduler_and_stops_on_sigterm(tmp_path: Path) -> None:
    with FakeSlack.running(bot_token=BOT_TOKEN) as slack:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATA_DIR": str(tmp_path / "data"),
            "REPORT_CHANNEL": "C0REVOPS",
            "REPORT_SCHEDULE": "0 9 * * 1",
            "REPORT_ENGINES": "growth,fulfillment",
            "LOG_LEVEL": "DEBUG",
        }
        with serve_process(tmp_path, env) as serve:
            pass  # up and healthy: the schedule is stored at start
    assert serve.exit_status == 0, serve.log()
    assert serve.stop_seconds is not None
    assert serve.stop_seconds < 10
    with sqlite3.connect(tmp_path / "data" / "value-engine-bot.db") as db:
        rows = db.execute("SELECT id, channel_id, cron, timezone, engines, origin FROM schedules").fetchall()
    # No REPORT_TIMEZONE: the portal's zone (the built-in sample portal is in New York).
    assert rows == [
        ("env-default", "C0REVOPS", "0 9 * * 1", "America/New_York", "growth,fulfillment", "environment")
    ]
    output = serve.log()
    assert "Traceback" not in output
    assert BOT_TOKEN not in output
    assert SIGNING_SECRET not in output
