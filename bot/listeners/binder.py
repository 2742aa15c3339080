"""The one binder: a handler that takes the bot's deps becomes a Bolt listener.

Bolt injects a listener's arguments by parameter name (``ack``, ``body``, ``command``, ``event``,
``action``, ``client``, ``next``...). :func:`bind` fixes ``deps`` as a keyword, so the listener Bolt
sees asks for exactly the other parameters of the handler, whatever the surface (commands, events,
actions, middleware).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from bot.answers import BotDeps

__all__ = ["bind"]


def bind(handler: Callable[..., Awaitable[Any]], deps: BotDeps) -> Callable[..., Awaitable[Any]]:
    """``handler`` as a Bolt listener (or middleware) that receives ``deps`` as a keyword."""
    return functools.partial(handler, deps=deps)
