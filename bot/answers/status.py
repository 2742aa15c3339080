"""``/engine status``: when the CRM mirror last synced, what it read, what it cost, any drift."""

from __future__ import annotations

from bot.answers.answering import Invocation, Subcommand
from bot.blocks import notice_message
from bot.mirror import Mirror
from bot.mirror.status import status_line
from engines import utc_now

__all__ = ["STATUS_EXAMPLES", "mirror_line", "status_subcommand"]

STATUS_EXAMPLES = (("/engine status", "When the CRM mirror last synced, what it read and cost, any drift"),)


async def mirror_line(mirror: Mirror) -> str:
    """The mirror's status line (never raises: a database hiccup reads as "unknown")."""
    try:
        return status_line(await mirror.status(), utc_now())
    except Exception:  # the status is a nicety; never let it break the tab or the command
        return "CRM mirror: status unavailable right now."


def status_subcommand(mirror: Mirror) -> Subcommand:
    async def handler(invocation: Invocation) -> None:
        line = await mirror_line(mirror)
        await invocation.reply.send(notice_message(f":card_file_box: {line}"), private=True)

    return Subcommand("status", handler, examples=STATUS_EXAMPLES)
