"""``/engine settings``: open the workspace's settings modal (see :mod:`bot.answers.workspace`).

A slash command carries a ``trigger_id``, so the modal opens at once. A mention carries none, and a
trigger may have expired while the answer queued: then the reply is a private message with a
Settings button, whose click opens the modal.
"""

from __future__ import annotations

from bot.answers.answering import Invocation, Subcommand
from bot.blocks.settings_modal import settings_open_message

__all__ = ["SETTINGS", "SETTINGS_SUBCOMMAND", "handle_settings"]

SETTINGS = "settings"


async def handle_settings(invocation: Invocation) -> None:
    workspaces = invocation.deps.workspaces
    if workspaces is None:  # the subcommand is registered only with storage; kept honest anyway
        return
    opened = invocation.client is not None and await workspaces.open_modal(
        invocation.client,
        invocation.trigger_id,
        user_id=invocation.user_id,
        team_id=invocation.team_id,
        service=invocation.deps.service,
    )
    if not opened:
        await invocation.reply.send(settings_open_message(), private=True)


SETTINGS_SUBCOMMAND = Subcommand(
    SETTINGS,
    handle_settings,
    examples=(
        ("/engine settings", "pipelines, revenue target, lookback and thresholds (admins change them)"),
    ),
)
