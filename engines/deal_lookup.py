"""Find the deals a person means when they type ``@bot deal <name or id>``.

People type a HubSpot deal id (copied from a URL) or part of a deal name, in any case, sometimes in
Slack's smart quotes. An id wins outright because it is unambiguous; otherwise exact name matches
come before partial ones, and within each group the largest deals first, because in a deal review the
big deal is almost always the one meant. Archived deals are gone from HubSpot's UI, so never offered.
"""

from __future__ import annotations

from engines.models import Deal, PortalSnapshot

__all__ = ["find_deals", "matches_exactly", "normalize_query"]

_QUOTES = "\"'`“”‘’«»"


def normalize_query(query: str) -> str:
    """Trim whitespace and one pair of surrounding quotes, collapse inner whitespace runs."""
    text = " ".join(query.split())
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = " ".join(text[1:-1].split())
    return text


def _folded_name(deal: Deal) -> str:
    return " ".join((deal.name or "").split()).casefold()


def matches_exactly(deal: Deal, query: str) -> bool:
    """True when ``query`` is the deal's id or its whole name (case-insensitively).

    The deal card uses this to decide between showing one deal and asking which one was meant.
    """
    wanted = normalize_query(query)
    return bool(wanted) and (deal.id == wanted or _folded_name(deal) == wanted.casefold())


def _by_amount_desc(deals: list[Deal]) -> list[Deal]:
    # sorted() is stable, so equal amounts keep the snapshot's order; missing amounts go last.
    return sorted(deals, key=lambda d: -(d.amount if d.amount is not None else float("-inf")))


def find_deals(snapshot: PortalSnapshot, query: str, *, limit: int = 10) -> list[Deal]:
    """Deals matching ``query``: by id exactly, else by name (exact first, then substring).

    Each name group is ordered by amount, largest first. At most ``limit`` deals are returned; an
    empty query or a non-positive limit returns none.
    """
    wanted = normalize_query(query)
    if not wanted or limit <= 0:
        return []
    live = [d for d in snapshot.deals if not d.archived]
    by_id = [d for d in live if d.id == wanted]
    if by_id:
        return by_id[:limit]
    folded = wanted.casefold()
    exact: list[Deal] = []
    partial: list[Deal] = []
    for deal in live:
        name = _folded_name(deal)
        if not name:
            continue
        if name == folded:
            exact.append(deal)
        elif folded in name:
            partial.append(deal)
    return (_by_amount_desc(exact) + _by_amount_desc(partial))[:limit]
