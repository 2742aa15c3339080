"""Budgeted escaping: whatever the input, the escaped text fits its budget and carries no control text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.mrkdwn import escape_within, fallback_text, format_days, link_within, mention_or_name
from tests.views.limits import control_problems

_HOSTILE = st.text(alphabet=st.sampled_from(list("<>&|!@#^*_~`: aZ🔥\n\x00\u202e")), max_size=600)


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


@settings(max_examples=300, deadline=None)
@given(text=_HOSTILE, budget=st.integers(min_value=0, max_value=400))
def test_escape_within_fits_and_is_inert(text: str, budget: int) -> None:
    out = escape_within(text, budget)
    assert len(out) <= budget
    assert control_problems(_mrkdwn(out)) == []


@settings(max_examples=200, deadline=None)
@given(label=_HOSTILE, path=_HOSTILE)
def test_links_never_break_out(label: str, path: str) -> None:
    out = link_within(f"https://app.hubspot.com/{path}", label, label_budget=150, url_budget=300)
    assert control_problems(_mrkdwn(out)) == []
    assert len(out) <= 150 + 300 + 3
    assert control_problems({"text": fallback_text(label)}) == []


def test_mentions_only_for_well_formed_ids() -> None:
    ids = {"a@x.io": "U0AAA", "b@x.io": "<!channel>", "c@x.io": "u0lower"}
    assert mention_or_name("A", " A@X.io ", ids) == "<@U0AAA>"
    assert mention_or_name("B & co", "b@x.io", ids) == "B &amp; co"
    assert mention_or_name("C", "c@x.io", ids) == "C"
    assert mention_or_name(None, None, ids) == "_no owner_"


def test_format_days() -> None:
    assert [format_days(d) for d in (None, 0.4, 1.2, 45.6, -3)] == [
        "?",
        "0 days",
        "1 day",
        "46 days",
        "0 days",
    ]
