"""Read primitives for keeping a copy of a HubSpot object type in step: what changed, what left.

The CRM mirror (``bot.mirror``) is built on four reads, each generic over the object type:

- :func:`search_objects`: every object matching AND-ed filters (the mirrored scope, "modified at or
  after the cursor", "has a stage-entry date"), read by **keyset paging**: sorted by ascending
  ``hs_object_id``, each page a new query for ``hs_object_id`` above the last id read. No page uses an
  offset, so HubSpot's 10,000-results-per-query cap never applies, a bulk edit that gives thousands of
  objects one ``hs_lastmodifieddate`` neither loops nor skips (the order is the id, which is unique),
  and an object archived while the read runs shifts no later page (an offset would skip one object).
  A large read splits the id range into a few streams read concurrently, as many as keep HubSpot's
  search limit busy at the measured round trip; when a stream ends early it takes over half of the
  largest remaining range, so skewed id distributions still finish at the rate-limit floor.
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
    "merged_ids",
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
    groups: Groups,
    properties: Sequence[str],
    *,
    limit: int = SEARCH_PAGE_SIZE,
    descending: bool = False,
) -> RawSearchPage:
    body: dict[str, Any] = {
        "filterGroups": [{"filters": list(group)} for group in groups if group],
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
    query = with_filters(groups, filters) if groups is not None else with_filters((), filters)
    page = await _search_page(client, client.paths.search(object_type), query, ["hs_object_id"], limit=1)
    return page.total if page.total is not None else len(page.results)


def _above(last_id: str | int) -> dict[str, Any]:
    return {"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)}


def _at_most(high: int) -> dict[str, Any]:
    return {"propertyName": "hs_object_id", "operator": "LTE", "value": str(high)}


@dataclass(slots=True)
class _Range:
    low: int  # exclusive: the last id read
    high: int  # inclusive
    remaining: int | None = None  # what HubSpot announced for (low, high] at the last page


class _KeysetReader:
    """One keyset read (see the module docstring), possibly over several concurrent id streams."""

    def __init__(
        self,
        client: HubSpotClient,
        object_type: str,
        groups: Groups,
        properties: Sequence[str],
        report: ReadProgress | None,
        on_page: PageSink | None = None,
    ) -> None:
        self._client = client
        self._on_page = on_page
        self._path = client.paths.search(object_type)
        self._groups = [list(g) for g in groups]
        self._properties = list(properties)
        self._report = report
        self.objects: dict[str, RawDeal] = {}
        self.total: int | None = None
        self._ranges: list[_Range] = []
        self._idle = 0
        self._group: asyncio.TaskGroup | None = None

    def _take(self, page: RawSearchPage) -> None:
        for raw in page.results:
            self.objects[raw.id] = raw
        if self._on_page is not None and page.results:
            self._on_page(page.results)
        if self._report is not None:
            self._report(len(self.objects), self.total)

    async def _page(self, extra: Sequence[Filter]) -> RawSearchPage:
        # HubSpot ORs the groups: the id bounds go into every one of them.
        return await _search_page(
            self._client, self._path, with_filters(self._groups, extra), self._properties
        )

    async def read(self) -> None:
        started = time.monotonic()
        first = await self._page(())
        round_trip = time.monotonic() - started
        self.total = first.total
        self._take(first)
        if len(first.results) < SEARCH_PAGE_SIZE or not first.results:
            return
        last = first.results[-1].id
        low = _id_number(last)
        left = (first.total or 0) - len(first.results)
        pages_left = math.ceil(left / SEARCH_PAGE_SIZE) if first.total is not None else 1
        rate = self._client.limits.search_per_second
        # One stream already keeps the search limit busy when a page answers within 1/rate s (the
        # pacer, not the round trip, sets the pace); slower answers need that many pages in flight.
        streams = max(1, min(MAX_STREAMS, pages_left, math.ceil(round_trip * rate * 1.25)))
        if low is None or streams == 1:
            await self._follow(last, first.total)
            return
        top = await _search_page(
            self._client, self._path, self._groups, ["hs_object_id"], limit=1, descending=True
        )
        high = _id_number(top.results[0].id) if top.results else None
        if high is None or high <= low:
            await self._follow(last, first.total)
            return
        width = (high - low) / streams
        bounds = [low + round(width * i) for i in range(streams)] + [high]
        self._ranges = [_Range(bounds[i], bounds[i + 1]) for i in range(streams) if bounds[i + 1] > bounds[i]]
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                for stream in self._ranges:
                    group.create_task(self._stream(stream))
        except BaseExceptionGroup as group_error:
            raise unwrap_group(group_error) from None

    async def _follow(self, last: str, total: int | None) -> None:
        """A single stream over ids above ``last`` (non-numeric ids, or one stream is enough).

        It stops once it holds the ``total`` HubSpot announced: a full last page asks for no empty
        one. (An object created meanwhile, past the end, is newer than this read: the next delta.)
        """
        while total is None or len(self.objects) < total:
            page = await self._page([_above(last)])
            self._take(page)
            if len(page.results) < SEARCH_PAGE_SIZE or not page.results:
                return
            last = page.results[-1].id

    async def _stream(self, stream: _Range) -> None:
        while True:
            page = await self._page([_above(stream.low), _at_most(stream.high)])
            self._take(page)
            if len(page.results) < SEARCH_PAGE_SIZE or not page.results:
                break
            last = _id_number(page.results[-1].id)
            if last is None or last >= stream.high:
                break
            stream.low = last
            stream.remaining = (page.total or 0) - len(page.results)
            if self._idle > 0:
                self._hand_over(stream)
        # A free slot: the busiest stream splits itself at its next page boundary, never mid-query,
        # so no id is read twice.
        self._ranges.remove(stream)
        self._idle += 1

    def _hand_over(self, stream: _Range) -> None:
        """Split this stream's remaining ids in two and start a stream on the upper half."""
        if (stream.remaining or 0) <= 2 * SEARCH_PAGE_SIZE or self._group is None:
            return
        busiest = max(self._ranges, key=lambda r: r.remaining or 0)
        if busiest is not stream:
            return
        middle = (stream.low + stream.high) // 2
        if middle <= stream.low:
            return
        upper = _Range(middle, stream.high)
        stream.high = middle
        stream.remaining = None
        self._idle -= 1
        self._ranges.append(upper)
        self._group.create_task(self._stream(upper))


async def search_objects(
    client: HubSpotClient,
    object_type: str,
    *,
    properties: Sequence[str],
    filters: Sequence[Filter] = (),
    groups: Groups | None = None,
    report: ReadProgress | None = None,
    on_page: PageSink | None = None,
) -> tuple[dict[str, RawDeal], int | None]:
    """Every object matching ``filters`` (AND) - AND-ed to each of the OR'ed ``groups`` when given -
    by keyset paging; and HubSpot's announced total.

    ``report(read, total)`` is called after each page, ``on_page(results)`` with each page's objects
    (to store them while the read goes on).
    """
    query = with_filters(groups if groups is not None else (), filters)
    reader = _KeysetReader(client, object_type, query, properties, report, on_page)
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
