"""Helpers for tests that run ``engine-bot serve`` as a real process and talk to it over loopback."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

__all__ = ["free_port", "http_status"]


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
