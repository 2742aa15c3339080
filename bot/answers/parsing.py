"""What a person asked for, from the text of ``/engine ...`` or ``@bot ...``.

Parsing is separate from the listeners so the slash command and mentions understand exactly the
same words, and so new subcommands (``schedule ...``, ``deal ...``) can be added by name without
touching this grammar. Nothing here raises: anything not understood becomes a :class:`HelpRequest`
carrying the word that was not understood.

The text is Slack's (entity-escaped, with ``<@U…>`` tokens); :func:`bot.slack.text.parse` turns it
into what the person typed before any word is read, so a pipeline called ``Renewals & Expansion``
is looked up as such, and subcommands get their ``args`` as typed (never escaped, never twice).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.slack.text import SlackText, parse
from engines import EngineName

__all__ = ["HelpRequest", "ReportRequest", "Request", "SubcommandRequest", "parse_request"]

ENGINE_WORDS = frozenset({*(e.value for e in EngineName), "all"})
_HELP_WORDS = frozenset({"help", "?", "-h", "--help", "usage"})
_PRIVATE = "private"
_CHANGES = "changes"
_MAX_TEXT = 4000


@dataclass(frozen=True)
class ReportRequest:
    """Score ``engine`` (an engine name or ``all``) for ``pipeline`` (id or label; ``None``: all)."""

    engine: str
    pipeline: str | None = None
    private: bool = False
    refresh: bool = False  # set by the card's Refresh button, never parsed from text
    # No pipeline named: the workspace's default pipeline (settings) applies. False for "all
    # pipelines" typed out, and for buttons, which show what their card showed.
    use_default_pipeline: bool = True

    @property
    def engines(self) -> list[EngineName]:
        return list(EngineName) if self.engine == "all" else [EngineName(self.engine)]


@dataclass(frozen=True)
class HelpRequest:
    """Show help. ``unknown`` is the first word we did not understand (``None``: help was asked for)."""

    unknown: str | None = None
    private: bool = False


@dataclass(frozen=True)
class SubcommandRequest:
    """A registered subcommand (``schedule``, ``deal``...) with the rest of the text as ``args``."""

    name: str
    args: str
    private: bool = False


Request = ReportRequest | HelpRequest | SubcommandRequest


def parse_request(text: SlackText | str | None, subcommands: Collection[str] = ()) -> Request:
    """Parse ``/engine`` or mention text. ``subcommands`` are the extra first words to accept.

    ``all`` or ``all pipelines`` after the engine asks for every pipeline, whatever the workspace's
    default pipeline.

    ``text`` is Slack's text, parsed (:class:`SlackText`) or as Slack sent it (``str``, parsed here).
    Grammar: ``[engine|all|help|<subcommand>] [for] [pipeline words...]``, with ``private`` allowed
    anywhere; ``what changed …`` is the ``changes`` subcommand. A mention's leading ``<@U123>`` is
    ignored.
    """
    parsed = text if isinstance(text, SlackText) else parse((text or "")[:_MAX_TEXT])
    words = parsed.without_leading_mentions().text[:_MAX_TEXT].split()
    private = any(w.casefold() == _PRIVATE for w in words)
    words = [w for w in words if w.casefold() != _PRIVATE]
    if not words:
        return HelpRequest(private=private)
    first = words[0].casefold()
    rest = words[1:]
    if first in _HELP_WORDS:
        return HelpRequest(private=private)
    known = {s.casefold() for s in subcommands}
    if first in known:
        return SubcommandRequest(first, " ".join(rest), private)
    if first == "what" and rest and rest[0].casefold() == "changed" and _CHANGES in known:
        return SubcommandRequest(_CHANGES, " ".join(rest[1:]), private)  # "@bot what changed since monday"
    if first not in ENGINE_WORDS:
        return HelpRequest(words[0], private=private)
    if rest and rest[0].casefold() == "for":
        rest = rest[1:]
    if [w.casefold() for w in rest] in (["all"], ["all", "pipelines"]):
        return ReportRequest(first, None, private, use_default_pipeline=False)
    pipeline = " ".join(rest) or None
    return ReportRequest(first, pipeline, private)
