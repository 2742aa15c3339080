"""Text from Slack as the person typed it: parsed once, where it enters the bot.

Slack sends what people type in slash-command ``text`` and in message and mention ``text`` in its
own markup ("formatting: escaping text"): the three characters ``&``, ``<`` and ``>`` arrive as
``&amp;``, ``&lt;`` and ``&gt;``, and the only raw ``<...>`` left are control sequences it inserted:

- ``<@U123>`` / ``<@U123|ana>``: a user mention (``W…`` ids on Enterprise Grid, ``B…`` for bots);
- ``<#C123|sales>`` / ``<#C123>``: a channel reference;
- ``<!here>``, ``<!channel>``, ``<!everyone>``, ``<!subteam^S123|@team>``, ``<!date^…|fallback>``;
- ``<https://example.com>`` / ``<https://example.com|label>`` / ``<mailto:a@b.co|a@b.co>``: a link.

:func:`parse` splits such text into plain runs (entities decoded, exactly once) and tokens for the
control sequences, so everything after it sees what was typed: ``Renewals &amp; Expansion`` becomes
``Renewals & Expansion``, and ``&amp;lt;`` becomes the ``&lt;`` someone literally typed. Escaping
for the way back to Slack happens once, where messages are built (the mrkdwn helpers), never here.

Not everything Slack sends is markup: a button's ``value`` comes back exactly as the bot set it, and
a modal's ``plain_text_input`` value exactly as typed. Those never pass through :func:`parse`
(decoding them would turn a typed ``&amp;`` into ``&``).

Nothing here raises: a ``<`` without a closing ``>``, or a sequence Slack would not send, stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ChannelRef",
    "Link",
    "SlackText",
    "Special",
    "Token",
    "UserMention",
    "parse",
    "unescape",
]

_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
# A control sequence: Slack escapes every < and > inside one, so it can hold neither.
_SEQUENCE = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"@([UWB][A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_CHANNEL = re.compile(r"#([CGD][A-Z0-9]+)(?:\|(.*))?", re.DOTALL)
_SPECIAL = re.compile(r"!([^|]+)(?:\|(.*))?", re.DOTALL)
# A URL Slack linked: a scheme, then no whitespace. (Slack sends http(s), mailto, tel, slack...)
_LINK = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:[^\s|]+)(?:\|(.*))?", re.DOTALL)
_BROADCASTS = frozenset({"here", "channel", "everyone"})


def unescape(wire: str) -> str:
    """Slack's three entities decoded in one pass (so ``&amp;lt;`` is ``&lt;``, not ``<``)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], wire)


def _label(raw: str | None) -> str | None:
    return unescape(raw) if raw else None


@dataclass(frozen=True, slots=True)
class UserMention:
    """``<@U123|ana>``: ``label`` is the name Slack added (``None`` when it sent only the id)."""

    user_id: str
    label: str | None = None

    @property
    def typed(self) -> str:
        return f"@{self.label or self.user_id}"


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """``<#C123|sales>``: ``name`` is the channel name Slack added, if any."""

    channel_id: str
    name: str | None = None

    @property
    def typed(self) -> str:
        return f"#{self.name or self.channel_id}"


@dataclass(frozen=True, slots=True)
class Link:
    """``<https://example.com|label>``: the URL (entities decoded) and the label, if any."""

    url: str
    label: str | None = None

    @property
    def typed(self) -> str:
        return self.label or self.url


@dataclass(frozen=True, slots=True)
class Special:
    """``<!here>``, ``<!subteam^S123|@team>``, ``<!date^…|fallback>``: ``command`` is what follows ``!``."""

    command: str
    label: str | None = None

    @property
    def typed(self) -> str:
        if self.label:
            return self.label
        return f"@{self.command}" if self.command in _BROADCASTS else f"<!{self.command}>"


Token = UserMention | ChannelRef | Link | Special
Part = str | Token


def _token(inner: str) -> Token | None:
    """The token for one ``<...>`` body, or ``None`` when Slack would not have sent it."""
    if match := _USER.fullmatch(inner):
        return UserMention(match.group(1), _label(match.group(2)))
    if match := _CHANNEL.fullmatch(inner):
        return ChannelRef(match.group(1), _label(match.group(2)))
    if match := _SPECIAL.fullmatch(inner):
        return Special(unescape(match.group(1)), _label(match.group(2)))
    if match := _LINK.fullmatch(inner):
        return Link(unescape(match.group(1)), _label(match.group(2)))
    return None


@dataclass(frozen=True, slots=True)
class SlackText:
    """Parsed Slack text: plain runs (decoded, never empty, never two in a row) and tokens, in order."""

    parts: tuple[Part, ...] = ()

    @property
    def text(self) -> str:
        """What the person typed: plain runs as they are, each token as it reads (``@ana``, ``#sales``,
        a link's label or URL)."""
        return "".join(part if isinstance(part, str) else part.typed for part in self.parts)

    @property
    def tokens(self) -> tuple[Token, ...]:
        return tuple(part for part in self.parts if not isinstance(part, str))

    @property
    def mentions(self) -> tuple[UserMention, ...]:
        return tuple(part for part in self.parts if isinstance(part, UserMention))

    def without_leading_mentions(self) -> SlackText:
        """The text after the user mentions it starts with (``<@BOT> growth`` -> ``growth``)."""
        parts = list(self.parts)
        while parts and (isinstance(parts[0], UserMention) or _blank(parts[0])):
            parts.pop(0)  # a mention, or the blank between two
        if parts and isinstance(parts[0], str):
            stripped = parts[0].lstrip()
            parts[0:1] = [stripped] if stripped else []
        return SlackText(tuple(parts))


def _blank(part: Part) -> bool:
    return isinstance(part, str) and not part.strip()


def parse(wire: str | None) -> SlackText:
    """Split Slack's ``text`` into decoded plain runs and tokens. ``None`` or ``""``: no parts."""
    parts: list[Part] = []
    pending: list[str] = []  # wire text not yet decoded (so "&am" + "p;" never decode apart)
    position = 0
    source = wire or ""
    for match in _SEQUENCE.finditer(source):
        token = _token(match.group(1))
        if token is None:
            continue  # not a control sequence: stays text, decoded with its neighbours
        pending.append(source[position : match.start()])
        _flush(pending, parts)
        parts.append(token)
        position = match.end()
    pending.append(source[position:])
    _flush(pending, parts)
    return SlackText(tuple(parts))


def _flush(pending: list[str], parts: list[Part]) -> None:
    text = unescape("".join(pending))
    pending.clear()
    if text:
        parts.append(text)
