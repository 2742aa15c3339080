"""Slack's text markup in, what the person typed out (bot.slack.text).

Inputs are built with tests.fakes.slack_payloads, which escapes text the way Slack documents
("formatting: escaping text"), independently of the parser under test.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.mrkdwn import escape, plain
from bot.slack.text import ChannelRef, Link, SlackText, Special, UserMention, parse, unescape
from tests.fakes.slack_payloads import Wire, channel, link, slack_escape, special, user, wire


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("growth Renewals &amp; Expansion", "growth Renewals & Expansion"),
        ("deal &amp; Partners", "deal & Partners"),
        ("growth &lt;Enterprise&gt;", "growth <Enterprise>"),
        # Someone typing the entity itself: Slack escapes its &, we give back the entity.
        ("growth A &amp;amp; B", "growth A &amp; B"),
        ("&amp;lt;b&amp;gt;", "&lt;b&gt;"),
        # Unknown entities are not Slack's: left as they are.
        ("caf&eacute; &quot;x&quot; &#38;", "caf&eacute; &quot;x&quot; &#38;"),
        ("", ""),
    ],
)
def test_entities_are_decoded_exactly_once(sent: str, typed: str) -> None:
    parsed = parse(sent)
    assert parsed.text == typed
    assert parsed.tokens == ()


def test_none_is_empty() -> None:
    assert parse(None) == SlackText(())


def test_control_sequences_become_tokens_and_the_rest_is_decoded() -> None:
    sent = (
        "<@U0BOT|valuebot> growth for <#C024BE7LR|general> &amp; <@W12AB34|ana> "
        "<https://app.hubspot.com/x?a=1&amp;b=2|A &amp; B> <mailto:ana@example.com> "
        "<!here> <!subteam^S0TEAM|@sales-team> <!date^1392734382^{date}|Feb 18, 2014>"
    )
    parsed = parse(sent)
    assert parsed.tokens == (
        UserMention("U0BOT", "valuebot"),
        ChannelRef("C024BE7LR", "general"),
        UserMention("W12AB34", "ana"),
        Link("https://app.hubspot.com/x?a=1&b=2", "A & B"),
        Link("mailto:ana@example.com"),
        Special("here"),
        Special("subteam^S0TEAM", "@sales-team"),
        Special("date^1392734382^{date}", "Feb 18, 2014"),
    )
    assert parsed.text == (
        "@valuebot growth for #general & @ana A & B mailto:ana@example.com @here @sales-team Feb 18, 2014"
    )
    assert parsed.mentions == (UserMention("U0BOT", "valuebot"), UserMention("W12AB34", "ana"))


def test_tokens_without_labels_read_as_their_ids() -> None:
    parsed = parse("<@U0BOT> <#C0SALES> <https://example.com> <!channel> <!subteam^S1>")
    assert parsed.text == "@U0BOT #C0SALES https://example.com @channel <!subteam^S1>"


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        # None of these can come from Slack (it escapes every < and > people type), but a stray
        # bracket must not swallow text or raise.
        ("a < b", "a < b"),
        ("<not a token>", "<not a token>"),
        ("<@lowercase>", "<@lowercase>"),
        ("<>", "<>"),
        ("x <@U1", "x <@U1"),
        ("<<@U1>", "<@U1"),
        ("a &amp; <b &amp; c>", "a & <b & c>"),
    ],
)
def test_what_slack_would_not_send_stays_text(sent: str, typed: str) -> None:
    assert parse(sent).text == typed


def test_leading_mentions_are_dropped_only_at_the_start() -> None:
    parsed = parse("<@U0BOT> <@U0OTHER|bo>  growth for <@U0ANA> &amp; co")
    rest = parsed.without_leading_mentions()
    assert rest.text == "growth for @U0ANA & co"
    assert rest.mentions == (UserMention("U0ANA"),)
    assert parse("<@U0BOT>").without_leading_mentions() == SlackText(())
    assert parse("growth").without_leading_mentions().text == "growth"


def test_unescape_is_one_pass() -> None:
    assert unescape("&amp;amp; &amp;lt; &lt;&gt;&amp;") == "&amp; &lt; <>&"


# ---------------------------------------------------------------------------- properties

_TYPED = st.text(st.characters(codec="utf-8"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(_TYPED)
def test_whatever_is_typed_comes_back_as_typed(typed: str) -> None:
    parsed = parse(slack_escape(typed))
    assert parsed.text == typed
    assert parsed.tokens == ()


_ID_TAIL = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=11)
_LABEL = st.one_of(st.none(), st.text(st.characters(codec="utf-8"), min_size=1, max_size=20))
_URL = st.builds(
    lambda host, path: f"https://{host}.example.com/{path}",
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~/?#=&%+;,", max_size=20),
)
_TOKENS = st.one_of(
    st.builds(UserMention, st.builds("U{}".format, _ID_TAIL), _LABEL),
    st.builds(ChannelRef, st.builds("C{}".format, _ID_TAIL), _LABEL),
    st.builds(Link, _URL, _LABEL),
    st.builds(Special, st.sampled_from(["here", "channel", "everyone", "subteam^S0TEAM"]), _LABEL),
)


def _wire(token: UserMention | ChannelRef | Link | Special) -> Wire:
    match token:
        case UserMention(user_id=uid, label=label):
            return user(uid, label)
        case ChannelRef(channel_id=cid, name=name):
            return channel(cid, name)
        case Link(url=url, label=label):
            return link(url, label)
        case Special(command=command, label=label):
            return special(command, label)
    raise AssertionError(token)


def _normalised(parts: list[str | UserMention | ChannelRef | Link | Special]) -> tuple[object, ...]:
    out: list[object] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
                continue
        out.append(part)
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_TYPED, _TOKENS), max_size=8))
def test_mixed_text_and_tokens_round_trip(
    parts: list[str | UserMention | ChannelRef | Link | Special],
) -> None:
    sent = wire(*(p if isinstance(p, str) else _wire(p) for p in parts))
    assert parse(sent).parts == _normalised(parts)


@settings(max_examples=300, deadline=None)
@given(_TYPED)
def test_what_the_bot_escapes_reads_back_as_the_text_it_showed(typed: str) -> None:
    """Replies escape once (bot's mrkdwn helper); Slack would show exactly the cleaned text, and a
    reply quoted back at the bot parses to it: no token can be smuggled through a name."""
    shown = escape(typed)
    assert parse(shown).tokens == ()
    assert parse(shown).text == plain(typed)
