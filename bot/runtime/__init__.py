"""The runtime: how one process is wired and served. Everything above the app.

- :mod:`~bot.runtime.deps`: :func:`build_deps`, the listeners' shared parts from the settings.
- :mod:`~bot.runtime.sources`: which snapshot source the settings ask for (HubSpot or the sample).
- :mod:`~bot.runtime.http`: the aiohttp server (signature and replay gate, ``/health``).
- :mod:`~bot.runtime.socket_mode`: the Socket Mode connection.
- :mod:`~bot.runtime.serve`: ``engine-bot serve``: storage, scheduler, app and server, started and
  stopped in order.
"""

from __future__ import annotations

from bot.runtime.deps import build_deps, build_owner_directory
from bot.runtime.http import EVENTS_PATH, HEALTH_PATH, SignatureGate, http_app, start_http
from bot.runtime.serve import RunningBot, running_bot, serve
from bot.runtime.socket_mode import connect_socket_mode
from bot.runtime.sources import SourceName, build_source

__all__ = [
    "EVENTS_PATH",
    "HEALTH_PATH",
    "RunningBot",
    "SignatureGate",
    "SourceName",
    "build_deps",
    "build_owner_directory",
    "build_source",
    "connect_socket_mode",
    "http_app",
    "running_bot",
    "serve",
    "start_http",
]
