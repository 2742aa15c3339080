"""Helpers for tests that run ``engine-bot serve`` as a real process and talk to it over loopback."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServeProcess", "free_port", "http_status", "serve_process"]


def free_port() -> int:
    """A loopback port nobody listens on right now (the process under test binds it next)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_status(url: str) -> int:
    """The status of a GET to a loopback URL, or 0 while nothing answers there yet."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return int(response.status)
    except (urllib.error.URLError, ConnectionError):
        return 0


@dataclass
class ServeProcess:
    """A running ``engine-bot serve``: its base URL, its log file, and how it ended."""

    process: subprocess.Popen[bytes]
    base: str
    log_path: Path
    exit_status: int | None = None
    stop_seconds: float | None = None

    def log(self) -> str:
        return self.log_path.read_text()


@contextlib.contextmanager
def serve_process(tmp_path: Path, env: dict[str, str]) -> Iterator[ServeProcess]:
    """Run ``engine-bot serve`` over HTTP on a free loopback port with only ``env`` (plus PATH and
    HOME), in ``tmp_path``; yield once ``/health`` answers; on exit send SIGTERM and record how long
    it took to stop and with what status."""
    script = Path(sys.executable).with_name("engine-bot")
    port = free_port()
    log_path = tmp_path / "serve.log"
    full_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env}
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        running = ServeProcess(process, f"http://127.0.0.1:{port}", log_path)
        try:
            deadline = time.monotonic() + 30
            while http_status(running.base + "/health") != 200:
                assert process.poll() is None, running.log()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.1)
            yield running
        finally:
            process.terminate()  # SIGTERM
            stopped_at = time.monotonic()
            running.exit_status = process.wait(timeout=15)
            running.stop_seconds = time.monotonic() - stopped_at
