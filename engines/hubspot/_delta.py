"""Read primitives for keeping a copy of a HubSpot object type in step: what changed, what left.

The CRM mirror (``bot.mirror``) is built on four reads, each generic over the object type:

- :func:`search_objects`: every object matching AND-ed filters (the mirrored scope, "modified at or
  after the cursor"), or OR-ed groups of them ("has one of these stage-entry dates"), read by
  **keyset paging**: sorted by ``hs_object_id``, each page a new query for ids above the last id
  read (or below, read from the top). No page uses an offset, so HubSpot's 10,000-results-per-query
  cap never applies, a bulk edit that gives thousands of objects one ``hs_lastmodifieddate`` neither
  loops nor skips (the order is the id, which is unique), and an object archived while the read
  runs shifts no later page (an offset would skip one object). A read of more than two pages reads
  its id range from both ends at once (two pages in flight at no extra call: each page is full but
  the one where the ends meet), and splits it further only when HubSpot's round trip needs more
  pages in flight to keep the search limit busy (see :class:`_KeysetReader`).
- :func:`count_objects`: HubSpot's ``total`` for a query (one call, one result): the cheap check that
  tells whether anything left the mirrored scope since the mirror was last in step.
- :func:`read_archived`: the archived listing (``GET …/objects/{type}?archived=true``) with
  ``archivedAt``: every archived object of the type, so it is read only when the count says so.
- :func:`merged_ids`: the ids a surviving object absorbed (``hs_merged_object_ids``).

:class:`MirroredType` describes one mirrored type: the properties read, the modified-date property
(``lastmodifieddate`` for contacts: HubSpot's ``hs_lastmodifieddate`` filter silently fails there),
the scope filters, whose pipelines add stage-entry properties, and which properties the change log
tracks. :data:`DEALS` is the deal type the engines read today.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from engines.dates import to_utc
from engines.hubspot._fetch import SEARCH_PAGE_SIZE, unwrap_group
from engines.hubspot._http import HubSpotClient
from engines.hubspot._mapping import (
    BASE_DEAL_PROPERTIES,
    RawDeal,
    RawSearchPage,
    _Raw,
    _RawPaging,
    next_after,
    validate,
    validate_json,
)

__all__ = [
    "DEALS",
    "MERGED_IDS",
    "ArchivedObject",
    "Condition",
    "Filter",
    "Groups",
    "MirroredType",
    "Since",
    "count_objects",
    "filter_groups_per_search",
    "merged_ids",
    "outside_scope",
    "property_millis",
    "read_archived",
    "scope_matches",
    "search_objects",
    "with_filters",
]

Filter = Mapping[str, Any]
Groups = Sequence[Sequence[Filter]]  # OR'ed filter groups, each AND-ed (HubSpot's filterGroups)
ReadProgress = Callable[[int, int | None], None]
PageSink = Callable[[list[RawDeal]], None]

LIST_PAGE_SIZE = 100  # HubSpot's maximum for the object list endpoints
MAX_STREAMS = 8
# HubSpot's search takes at most 5 filter groups (OR-ed), 6 filters in a group, 18 in all; the
# keyset reader adds two id filters (above the last id read, at most the range's top) to each group.
MAX_FILTER_GROUPS = 5
MAX_GROUP_FILTERS = 6
MAX_FILTERS = 18
KEYSET_FILTERS = 2
MERGED_IDS = "hs_merged_object_ids"


@dataclass(frozen=True, slots=True)
class Since:
    """A window that moves with the clock: ``property >= anchor - days`` (as HubSpot's ``GTE`` on a
    date property, in epoch milliseconds). Resolved against a sync's start, or an answer's time."""

    property: str
    days: int

    def filter(self, anchor: datetime) -> dict[str, Any]:
        return {
            "propertyName": self.property,
            "operator": "GTE",
            "value": millis(anchor - timedelta(days=self.days)),
        }


Condition = Filter | Since


@dataclass(frozen=True, slots=True)
class MirroredType:
    """One HubSpot object type as the mirror reads it.

    ``name`` is the API's object type (``deals``); ``properties`` are always read; ``modified`` is
    the property the delta filters on; ``scope`` are AND-ed filters for the objects worth keeping
    (empty: all of them); ``groups``, when given, are OR'ed filter groups (each AND-ed with
    ``scope``; :class:`Since` conditions move with the clock and are resolved at each sync's start);
    ``pipelines`` names the object type whose pipeline stages add a ``hs_v2_date_entered_<stage>``
    property each (``None``: no stage dates); ``tracked`` are the properties whose changes the change
    log records (empty: no change log for this type). ``listed``: read whole with the list endpoint
    on every sync (a type with few objects: one call, outside the search limit, deletions free);
    ``stage_options``: the property whose enumeration options are the stages that add a
    ``hs_v2_date_entered_<option>`` property each (contacts: ``lifecyclestage``);
    ``own_pipelines``: the type's pipelines are read with it (tickets: stage ``ticketState``).
    """

    name: str
    properties: tuple[str, ...]
    modified: str = "hs_lastmodifieddate"
    scope: tuple[Filter, ...] = ()
    pipelines: str | None = None
    tracked: tuple[str, ...] = ()
    groups: tuple[tuple[Condition, ...], ...] = ()
    listed: bool = False
    stage_options: str | None = None
    own_pipelines: bool = False

    def __post_init__(self) -> None:
        if self.modified not in self.properties:
            raise ValueError(f"{self.name}: the modified-date property {self.modified} must be read")
        if len(self.groups) > 5:
            raise ValueError(f"{self.name}: HubSpot allows at most 5 filter groups")

    @property
    def windowed(self) -> bool:
        """Whether the scope moves with the clock (objects age out of it without changing)."""
        return any(isinstance(c, Since) for g in self.groups for c in g)

    def scope_at(self, anchor: datetime) -> list[list[Filter]]:
        """The scope as HubSpot filter groups, windows resolved at ``anchor`` (``[]``: everything)."""
        if not self.groups:
            return [list(self.scope)] if self.scope else []
        return [
            [*self.scope, *(c.filter(anchor) if isinstance(c, Since) else c for c in group)]
            for group in self.groups
        ]


def property_millis(value: Any) -> float | None:
    """A date property's value in epoch milliseconds, as HubSpot's search compares it (``None``: no
    value; ``-inf``: a value that is not a date, which no date filter matches)."""
    if value is None or value == "":
        return None
    when = to_utc(value)
    return float(round(when.timestamp() * 1000)) if when is not None else -math.inf


def _holds(props: Mapping[str, Any], flt: Filter) -> bool:
    name = str(flt.get("propertyName", ""))
    operator = str(flt.get("operator", "")).upper()
    value = props.get(name)
    if operator == "HAS_PROPERTY":
        return value is not None and value != ""
    if operator == "NOT_HAS_PROPERTY":
        return value is None or value == ""
    have = property_millis(value)
    want = float(flt.get("value", "nan"))
    if have is None:
        return False
    comparisons = {"GTE": have >= want, "GT": have > want, "LTE": have <= want, "LT": have < want}
    if operator not in comparisons:
        raise ValueError(f"the mirror cannot evaluate {operator} locally")
    return comparisons[operator]


def scope_matches(props: Mapping[str, Any], groups: Groups) -> bool:
    """Whether an object's properties match HubSpot filter groups (date comparisons and presence
    only): how the mirror finds the objects that aged out of a moving window without a read."""
    return not groups or any(all(_holds(props, f) for f in group) for group in groups)


DEALS = MirroredType(
    name="deals",
    properties=(*BASE_DEAL_PROPERTIES, MERGED_IDS),
    pipelines="deals",
    tracked=("dealstage", "amount", "closedate", "hubspot_owner_id", "pipeline"),
)


class RawArchived(_Raw):
    id: str
    properties: dict[str, str | None] = Field(default_factory=dict)
    archivedAt: str | None = None
    updatedAt: str | None = None


class RawArchivedPage(_Raw):
    results: list[RawArchived]
    paging: _RawPaging | None = None


@dataclass(frozen=True, slots=True)
class ArchivedObject:
    id: str
    archived_at: str | None
    properties: dict[str, str | None] = field(default_factory=dict)


def millis(when: datetime) -> str:
    """A date filter value: epoch milliseconds as text (what HubSpot's search documents)."""
    return str(int(when.timestamp() * 1000))


def merged_ids(properties: Mapping[str, str | None]) -> list[str]:
    """The ids an object absorbed in merges (HubSpot lists them separated by ``;``)."""
    raw = properties.get(MERGED_IDS) or ""
    return [part.strip() for part in raw.split(";") if part.strip()]


def filter_groups_per_search(filters_per_group: int) -> int:
    """How many OR-ed groups of ``filters_per_group`` filters one keyset search can carry."""
    per_group = filters_per_group + KEYSET_FILTERS
    if per_group > MAX_GROUP_FILTERS:
        raise ValueError(f"{filters_per_group} filters a group leave no room for the keyset's two")
    return min(MAX_FILTER_GROUPS, MAX_FILTERS // per_group)


_COMPLEMENT = {
    "EQ": "NEQ",
    "NEQ": "EQ",
    "IN": "NOT_IN",
    "NOT_IN": "IN",
    "HAS_PROPERTY": "NOT_HAS_PROPERTY",
    "NOT_HAS_PROPERTY": "HAS_PROPERTY",
    "GT": "LTE",
    "GTE": "LT",
    "LT": "GTE",
    "LTE": "GT",
    "CONTAINS_TOKEN": "NOT_CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN": "CONTAINS_TOKEN",
}
# Operators that never match an object without a value: their complement must add "no value".
_VALUE_ONLY = {"GT", "GTE", "LT", "LTE", "BETWEEN", "CONTAINS_TOKEN"}


def outside_scope(scope: Sequence[Filter]) -> list[list[Filter]]:
    """OR-ed filter groups matching exactly the objects the AND-ed ``scope`` does not match.

    Each filter is negated (``EQ`` -> ``NEQ``, ``GTE`` -> ``LT``, ``BETWEEN`` -> below or above);
    a comparison never matches an object without a value, so its complement also takes "has no
    value" (``NEQ`` and ``NOT_IN`` match objects without a value, as ``EQ`` and ``IN`` do not). The
    mirror reads these to find objects that left its scope (moved to another pipeline, say): the
    scoped delta cannot return them.
    """
    groups: list[list[Filter]] = []
    for flt in scope:
        name, operator = flt["propertyName"], str(flt["operator"]).upper()
        if operator == "BETWEEN":
            groups.append([{"propertyName": name, "operator": "LT", "value": flt["value"]}])
            groups.append([{"propertyName": name, "operator": "GT", "value": flt["highValue"]}])
        elif operator in _COMPLEMENT:
            groups.append([{**flt, "operator": _COMPLEMENT[operator]}])
        else:
            raise ValueError(f"no complement known for the scope operator {operator}")
        if operator in _VALUE_ONLY:
            groups.append([{"propertyName": name, "operator": "NOT_HAS_PROPERTY"}])
    return groups


def _id_number(object_id: str) -> int | None:
    return int(object_id) if object_id.isdigit() else None


def with_filters(groups: Groups, extra: Sequence[Filter]) -> list[list[Filter]]:
    """``extra`` AND-ed to every OR'ed group (one group of ``extra`` alone when there are none)."""
    if not groups:
        return [list(extra)] if extra else []
    return [[*group, *extra] for group in groups]


async def _search_page(
    client: HubSpotClient,
    path: str,
    groups: Sequence[Sequence[Filter]],
    properties: Sequence[str],
    *,
    limit: int = SEARCH_PAGE_SIZE,
    descending: bool = False,
) -> RawSearchPage:
    """One search call; ``groups`` are OR-ed groups of AND-ed filters (no filters: everything)."""
    body: dict[str, Any] = {
        "filterGroups": [{"filters": list(g)} for g in groups] if any(groups) else [],
        "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING" if descending else "ASCENDING"}],
        "properties": list(properties),
        "limit": limit,
    }
    content = await client.post_content(path, body)
    return validate_json(RawSearchPage, content, f"POST {path}")


async def count_objects(
    client: HubSpotClient, object_type: str, filters: Sequence[Filter] = (), *, groups: Groups | None = None
) -> int:
    """HubSpot's ``total`` for the filters, or the OR'ed ``groups`` (one search call of one result)."""
    query = [list(g) for g in groups] if groups is not None else [list(filters)]
    page = await _search_page(client, client.paths.search(object_type), query, ["hs_object_id"], limit=1)
    return page.total if page.total is not None else len(page.results)


def _above(last_id: str | int) -> dict[str, Any]:
    return {"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)}


def _below(high: int) -> dict[str, Any]:
    return {"propertyName": "hs_object_id", "operator": "LT", "value": str(high)}


@dataclass(slots=True)
class _Span:
    """Ids still to read: those above ``low`` and below ``high`` (``None``: no upper bound yet).

    A span is read from both ends at once: ascending pages move ``low`` up, descending pages move
    ``high`` down, and the span is done when they meet or a page comes back short. Each page's
    ``total`` (what its range held when asked) keeps ``left``, the estimate of what is still
    unread, from which a reader decides whether another page is worth asking for now.
    """

    low: int
    high: int | None
    left: float
    read: int = 0  # objects this span has read (to turn a page's total into what is left)
    done: bool = False
    flights: int = 0
    splits: int = 0


@dataclass(slots=True)
class _Flight:
    """One page in flight: which span it reads (a split may hand it to the new upper span)."""

    span: _Span
    ascending: bool


class _KeysetReader:
    """One keyset read (see the module docstring).

    After the first page (ascending, no id bound) the rest is one span read from both ends by
    concurrent readers: two when HubSpot answers faster than its search limit lets pages start (the
    limit, not the round trip, then sets the pace), more when slower answers need more pages in
    flight. Two ends cost no extra call: each page is full but the last, where the two ends meet
    (asked for only when ``left`` says it is needed). More pages in flight split a span in two at
    its id midpoint (each half again read from both ends), which costs at most one short page per
    split, so a span splits only while it still holds several pages and only while the fastest
    round trip seen (the first answers, often slower, are corrected by the next ones) says more
    pages in flight are needed.
    """

    SPLIT_PAGES = 4  # a span splits only if this many pages are left beyond those in flight
    TIMED = 3  # pages after the first whose round trips are measured (before any pacing)

    def __init__(
        self,
        client: HubSpotClient,
        object_type: str,
        groups: Sequence[Sequence[Filter]],
        properties: Sequence[str],
        report: ReadProgress | None,
        on_page: PageSink | None = None,
    ) -> None:
        self._client = client
        self._on_page = on_page
        self._path = client.paths.search(object_type)
        self._groups = [list(g) for g in groups] or [[]]
        self._properties = list(properties)
        self._report = report
        self.objects: dict[str, RawDeal] = {}
        self.total: int | None = None
        self._spans: list[_Span] = []
        self._flights: list[_Flight] = []
        self._round_trip = 0.0  # the fastest answer seen, in seconds
        self._rate = 1
        self._timed = 0
        self._changed: asyncio.Condition | None = None

    def _take(self, page: RawSearchPage) -> None:
        for raw in page.results:
            self.objects[raw.id] = raw
        if self._on_page is not None and page.results:
            self._on_page(page.results)
        if self._report is not None:
            self._report(len(self.objects), self.total)

    async def _page(self, extra: Sequence[Filter], *, descending: bool = False) -> RawSearchPage:
        groups = [[*g, *extra] for g in self._groups]
        return await _search_page(self._client, self._path, groups, self._properties, descending=descending)

    async def read(self) -> None:
        started = time.monotonic()
        first = await self._page(())
        round_trip = time.monotonic() - started
        self.total = first.total
        self._take(first)
        if _exhausted(first):
            return
        last = first.results[-1].id
        low = _id_number(last)
        left = (first.total or 0) - len(first.results)
        pages_left = math.ceil(left / SEARCH_PAGE_SIZE)
        if low is None or first.total is None or pages_left < 2:
            await self._follow(last)
            return
        rate = self._client.limits.search_per_second
        # Pages in flight that keep the search limit busy at this round trip; two cost nothing
        # (two ends of one span), each one more costs at most a short page, so only for long reads.
        self._round_trip, self._rate = round_trip, rate
        workers = max(2, min(MAX_STREAMS, self._wanted(), 2 + pages_left // (2 * self.SPLIT_PAGES)))
        self._spans = [_Span(low, None, float(left))]
        self._changed = asyncio.Condition()
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(self._worker())
        except BaseExceptionGroup as group_error:
            raise unwrap_group(group_error) from None

    async def _follow(self, last: str) -> None:
        """A single stream over ids above ``last`` (non-numeric ids, or at most a page left).

        Each page's ``total`` is what its range (ids above the last read) held when asked: a page
        holding all of it is the last, so a full last page asks for no empty one. (Stopping at the
        first page's total instead would be wrong: an object modified during a delta read enters
        the range, and the read would stop one object short of the end. What enters after its page
        was asked is modified after the sync started: the next delta reads it.)
        """
        while True:
            page = await self._page([_above(last)])
            self._take(page)
            if _exhausted(page):
                return
            last = page.results[-1].id

    def _choose(self) -> _Flight | None:
        """The next page worth asking for now, or ``None`` (wait for a page in flight)."""
        open_spans = [s for s in self._spans if not s.done]
        # A span with nothing in flight must move (its estimate may be short); else the span with
        # the most left beyond what its pages in flight will bring.
        idle = [s for s in open_spans if s.flights == 0]
        if idle:
            span = max(idle, key=lambda s: s.left)
            return self._fly(span, ascending=True)
        best = max(open_spans, key=lambda s: s.left - s.flights * SEARCH_PAGE_SIZE, default=None)
        if best is None:
            return None
        beyond = best.left - best.flights * SEARCH_PAGE_SIZE
        if best.flights == 1 and beyond > 0:
            return self._fly(best, ascending=not self._ascending_in_flight(best))
        splittable = best.high is not None and best.high - best.low > 2
        wanted = len(self._flights) < self._wanted()
        if splittable and wanted and beyond >= self.SPLIT_PAGES * SEARCH_PAGE_SIZE:
            assert best.high is not None
            middle = (best.low + best.high) // 2
            upper = _Span(middle, best.high, best.left / 2)
            best.high, best.left = middle + 1, best.left / 2
            best.splits += 1
            for flight in self._flights:
                if flight.span is best and not flight.ascending:
                    flight.span = upper  # the descending page reads the upper half
                    best.flights -= 1
                    upper.flights += 1
            self._spans.append(upper)
            return self._fly(upper if upper.flights == 0 else best, ascending=upper.flights == 0)
        return None

    def _wanted(self) -> int:
        """Pages in flight that keep the search limit busy at the fastest round trip seen."""
        return max(1, math.ceil(self._round_trip * self._rate * 1.25))

    def _ascending_in_flight(self, span: _Span) -> bool:
        return any(f.span is span and f.ascending for f in self._flights)

    def _fly(self, span: _Span, *, ascending: bool) -> _Flight:
        flight = _Flight(span, ascending)
        span.flights += 1
        self._flights.append(flight)
        return flight

    async def _worker(self) -> None:
        assert self._changed is not None
        while True:
            async with self._changed:
                while (flight := self._choose()) is None:
                    if all(s.done for s in self._spans):
                        return
                    await self._changed.wait()
            await self._fly_page(flight)
            async with self._changed:
                self._changed.notify_all()

    async def _fly_page(self, flight: _Flight) -> None:
        span = flight.span
        extra: list[Filter] = [_above(span.low)]
        if span.high is not None:
            extra.append(_below(span.high))
        read_before, splits_before = span.read, span.splits
        started, unpaced = time.monotonic(), self._timed < self.TIMED
        try:
            page = await self._page(extra, descending=not flight.ascending)
            if unpaced:
                # The first pages start together, before the search limit makes anyone wait: their
                # round trips are HubSpot's (a first answer is often slower: warm-up, connection).
                self._timed += 1
                self._round_trip = min(self._round_trip, time.monotonic() - started)
        finally:
            self._flights.remove(flight)
            flight.span.flights -= 1
        moved = flight.span is not span or span.splits != splits_before
        span = flight.span  # a split may have handed this page to the new upper span
        self._take(page)
        span.read += len(page.results)
        ids = [n for raw in page.results if (n := _id_number(raw.id)) is not None]
        if _exhausted(page) or not ids:
            # The range asked for held no more than this page: all of it is read (a split only
            # ever narrows a span, so the span's range is inside the one asked for).
            span.done = True
            return
        if flight.ascending:
            span.low = max(span.low, max(ids))
        else:
            span.high = min(span.high, min(ids)) if span.high is not None else min(ids)
        if span.high is not None and span.low + 1 >= span.high:
            span.done = True  # the two ends met
            return
        if moved:  # the page's total counts a range since split: keep the split's estimate
            span.left = max(0.0, span.left - len(page.results))
        else:  # what the range held, less what this span read since the page was asked for
            span.left = max(0.0, float((page.total or 0) - (span.read - read_before)))


def _exhausted(page: RawSearchPage) -> bool:
    """Whether a page holds all its query matched when asked (a short page, or ``total`` reached)."""
    short = len(page.results) < SEARCH_PAGE_SIZE
    return short or (page.total is not None and page.total <= len(page.results))


async def search_objects(
    client: HubSpotClient,
    object_type: str,
    *,
    properties: Sequence[str],
    filters: Sequence[Filter] = (),
    groups: Sequence[Sequence[Filter]] | None = None,
    report: ReadProgress | None = None,
    on_page: PageSink | None = None,
) -> tuple[dict[str, RawDeal], int | None]:
    """Every object matching ``filters`` (AND) or, given ``groups``, any of those groups of filters
    (OR of ANDs; see :func:`filter_groups_per_search` for how many fit), by keyset paging; and
    HubSpot's announced total.

    ``report(read, total)`` is called after each page, ``on_page(results)`` with each page's objects
    (to store them while the read goes on).
    """
    if groups is not None and filters:
        raise ValueError("give filters or groups, not both")
    reader = _KeysetReader(client, object_type, groups or [filters], properties, report, on_page)
    await reader.read()
    return reader.objects, reader.total


async def read_archived(
    client: HubSpotClient, object_type: str, properties: Sequence[str] = ()
) -> list[ArchivedObject]:
    """The archived listing: every archived object of the type, with ``archivedAt``."""
    path = client.paths.objects(object_type)
    endpoint = f"GET {path}"
    found: list[ArchivedObject] = []
    after: str | None = None
    while True:
        params = {"archived": "true", "limit": str(LIST_PAGE_SIZE)}
        if properties:
            params["properties"] = ",".join(properties)
        if after is not None:
            params["after"] = after
        page = validate(RawArchivedPage, await client.get_json(path, params), endpoint)
        found.extend(
            ArchivedObject(r.id, r.archivedAt or r.updatedAt, dict(r.properties)) for r in page.results
        )
        cursor = next_after(page.paging)
        if cursor is None or not page.results or cursor == after:
            return found
        after = cursor
