"""Answers: from what a person typed or clicked to the message that goes back, whatever the surface.

- :mod:`~bot.answers.parsing`: the words of ``/engine ...`` and ``@bot ...`` as a request.
- :mod:`~bot.answers.answering`: :func:`answer` (help, a report card or a subcommand), the answer gate
  that keeps acks ahead of answer work, and :class:`BotDeps`, what every listener shares.
- :mod:`~bot.answers.service`: the one path from a request to reports (read, analyse, record).
- :mod:`~bot.answers.replies`: where an answer goes (response_url, thread, the clicked card).
- :mod:`~bot.answers.changes`: the ``changes`` subcommand (what changed, from the mirror);
  :mod:`~bot.answers.since`: its period as typed.
- :mod:`~bot.answers.deal`: the ``deal`` subcommand; :mod:`~bot.answers.home`: publishing App Home.
"""

from __future__ import annotations

from bot.answers.answering import (
    BUSY,
    AnswerGate,
    BotDeps,
    ChangeSource,
    GatedReply,
    Invocation,
    Scheduler,
    Subcommand,
    answer,
    answer_click,
    progress_text,
    working_text,
)
from bot.answers.parsing import HelpRequest, ReportRequest, Request, SubcommandRequest, parse_request
from bot.answers.replies import (
    ActionReply,
    ChatUpdateReply,
    CommandReply,
    MentionReply,
    Reply,
    in_place_reply,
)
from bot.answers.service import ReportBundle, ReportService

__all__ = [
    "BUSY",
    "ActionReply",
    "AnswerGate",
    "BotDeps",
    "ChangeSource",
    "ChatUpdateReply",
    "CommandReply",
    "GatedReply",
    "HelpRequest",
    "Invocation",
    "MentionReply",
    "Reply",
    "ReportBundle",
    "ReportRequest",
    "ReportService",
    "Request",
    "Scheduler",
    "Subcommand",
    "SubcommandRequest",
    "answer",
    "answer_click",
    "in_place_reply",
    "parse_request",
    "progress_text",
    "working_text",
]
