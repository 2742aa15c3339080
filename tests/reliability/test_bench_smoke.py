"""A tiny run of ``benchmarks/bench_load.py``, so the load benchmark cannot rot between releases.

The real run (500 commands at 50 concurrent, HubSpot at 300 ms a call) is a separate script; here
the same script starts the same three processes (``engine-bot serve``, fake HubSpot, fake Slack)
with 20 commands and 4 mentions, and its correctness lines are checked - not its timing targets,
which belong to the dedicated run on a quiet machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_load_smoke_every_command_and_mention_answered_exactly_once() -> None:
    args = ["--commands", "20", "--mentions", "4", "--retry-every", "2", "--concurrency", "5"]
    args += ["--latency", "0.05", "--deals", "300"]
    done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(ROOT / "benchmarks" / "bench_load.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    out = done.stdout
    assert "cards per command (by response_url): {1: 20}" in out, out + done.stderr
    assert "progress lines: 0; other deliveries: {}" in out
    assert "thread replies per mention: {1: 4}" in out
    assert "non-200 acks: 0; acks >= 3 s: 0" in out
    assert "refused deliveries: 0; Block Kit problems seen by Slack: 0" in out
    assert "snapshot reads 1 " in out
    assert "bot memory: RSS at start" in out
