"""Assemble one :class:`PortalSnapshot` from HubSpot: everything independent runs concurrently.

Account details and owners do not depend on anything, so they are read while the pipelines and then
the deals are read (the deal query names a stage-entry property per stage, so it waits for the
pipelines). The deals are one CRM search (open deals OR deals closed within the lookback window),
sorted by ascending ``hs_object_id``, 200 a page. Its first page announces the total, so the other
pages' offsets are known and they are requested together; the pacer spaces them at HubSpot's search
limit. HubSpot answers at most 10,000 results per query, so a larger read continues with a new query
for ``hs_object_id > last id read``: every deal is read once and no page is wasted. If fewer deals
arrive than HubSpot announced, the snapshot says so (``truncated``, ``warnings``); it is never silent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from engines.dates import utc_now
from engines.errors import (
    HubSpotBadRequestError,
    HubSpotResponseError,
    HubSpotScopeError,
    UnknownPipelineError,
)
from engines.hubspot._http import HubSpotClient
from engines.hubspot._mapping import (
    BASE_DEAL_PROPERTIES,
    RawSearchPage,
    next_after,
    parse_account,
    parse_owners,
    parse_pipelines,
    stage_entry_properties,
    stage_keys,
    to_deal,
    validate_json,
)
from engines.hubspot._objects import (
    ALL_OBJECTS,
    SEARCH_CAP,
    SEARCH_PAGE_SIZE,
    ObjectsRead,
    read_deal_line_items,
    read_objects,
    unwrap_group,
    won_deal_ids,
)
from engines.models import Deal, ObjectType, Owner, Pipeline, PortalInfo, PortalSnapshot
from engines.source import Progress

__all__ = [
    "SEARCH_CAP",
    "SEARCH_PAGE_SIZE",
    "fetch_snapshot",
    "read_account",
    "read_all_owners",
    "read_pipelines",
    "read_portal_details",
    "unwrap_group",
]

log = logging.getLogger("engines.hubspot")

OWNERS_PAGE_SIZE = 100

Report = Callable[[Progress], None]


async def read_account(client: HubSpotClient, warnings: list[str]) -> PortalInfo:
    """The account details; a missing scope is a warning (appended to ``warnings``), not a failure."""
    path = client.paths.account
    try:
        body = await client.get_json(path)
    except HubSpotScopeError:
        # Account details only add deep links, the time zone and the currency label: a report
        # without them is still right, so a missing scope here is a warning, not a failure.
        warnings.append(
            "Could not read the HubSpot account details (portal id, time zone, currency), so deal "
            "links are off and UTC/USD are assumed. Check the private app's scopes."
        )
        return PortalInfo()
    return parse_account(body, f"GET {path}")


async def _read_owners(client: HubSpotClient, *, archived: bool) -> list[Owner]:
    owners: list[Owner] = []
    after: str | None = None
    path = client.paths.owners
    endpoint = f"GET {path}"
    while True:
        params = {"limit": str(OWNERS_PAGE_SIZE), "archived": "true" if archived else "false"}
        if after is not None:
            params["after"] = after
        page, cursor = parse_owners(await client.get_json(path, params), endpoint)
        owners.extend(page)
        if cursor is None or not page or cursor == after:
            return owners
        after = cursor


async def read_all_owners(client: HubSpotClient) -> tuple[Owner, ...]:
    """Active and archived owners (both pages concurrently); an active record wins over an archived one."""
    try:
        async with asyncio.TaskGroup() as group:
            active = group.create_task(_read_owners(client, archived=False))
            archived = group.create_task(_read_owners(client, archived=True))
    except BaseExceptionGroup as group_error:
        raise unwrap_group(group_error) from None
    owners = {o.id: o for o in archived.result()}
    owners.update({o.id: o for o in active.result()})
    return tuple(owners.values())


async def read_pipelines(client: HubSpotClient, object_type: str = "deals") -> tuple[Pipeline, ...]:
    path = client.paths.pipelines(object_type)
    return parse_pipelines(await client.get_json(path), f"GET {path}")


async def read_portal_details(
    client: HubSpotClient, pipeline_types: Sequence[str] = ("deals",)
) -> tuple[PortalInfo, tuple[Owner, ...], dict[str, tuple[Pipeline, ...]], list[str]]:
    """Account details, owners and the pipelines of each object type, read concurrently; and the
    warnings (a missing account-details scope is one, not a failure)."""
    warnings: list[str] = []
    try:
        async with asyncio.TaskGroup() as group:
            account = group.create_task(read_account(client, warnings))
            owners = group.create_task(read_all_owners(client))
            pipelines = {kind: group.create_task(read_pipelines(client, kind)) for kind in pipeline_types}
    except BaseExceptionGroup as group_error:
        raise unwrap_group(group_error) from None
    return account.result(), owners.result(), {k: t.result() for k, t in pipelines.items()}, warnings


def _resolve(pipelines: tuple[Pipeline, ...], wanted: str | None) -> Pipeline | None:
    if wanted is None:
        return None
    probe = PortalSnapshot(pipelines=pipelines, taken_at=utc_now())
    found = probe.find_pipeline(wanted)
    if found is None:
        raise UnknownPipelineError(wanted, [p.label for p in pipelines])
    return found


def _filter_groups(
    pipeline_id: str | None, closed_since_ms: int, after_id: str | None
) -> list[dict[str, Any]]:
    """(open) OR (closed on/after the lookback start), optionally in one pipeline and past an id."""
    common: list[dict[str, Any]] = []
    if pipeline_id is not None:
        common.append({"propertyName": "pipeline", "operator": "EQ", "value": pipeline_id})
    if after_id is not None:
        common.append({"propertyName": "hs_object_id", "operator": "GT", "value": after_id})
    open_deals = [{"propertyName": "hs_is_closed", "operator": "EQ", "value": "false"}, *common]
    recently_closed = [
        {"propertyName": "hs_is_closed", "operator": "EQ", "value": "true"},
        {"propertyName": "closedate", "operator": "GTE", "value": str(closed_since_ms)},
        *common,
    ]
    return [{"filters": open_deals}, {"filters": recently_closed}]


class _DealReader:
    """Pages through the deal search, splitting at the 10,000 cap, reporting progress as it goes."""

    def __init__(
        self,
        client: HubSpotClient,
        *,
        pipeline_id: str | None,
        closed_since: datetime,
        properties: list[str],
        stage_ids: list[str],
        report: Report,
    ) -> None:
        self._client = client
        self._path = client.paths.search("deals")
        self._pipeline_id = pipeline_id
        self._closed_since_ms = int(closed_since.timestamp() * 1000)
        self._properties = properties
        self._stage_keys = stage_keys(stage_ids)
        self._report = report
        self.deals: dict[str, Deal] = {}
        self.announced: int | None = None
        self.warnings: list[str] = []

    def _body(self, after_id: str | None, offset: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "filterGroups": _filter_groups(self._pipeline_id, self._closed_since_ms, after_id),
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            "properties": self._properties,
            "limit": SEARCH_PAGE_SIZE,
        }
        if offset:
            body["after"] = str(offset)
        return body

    async def _page(self, after_id: str | None, offset: int) -> RawSearchPage | None:
        """One page, or ``None`` when HubSpot refuses the offset (its 10,000-result cap)."""
        try:
            content = await self._client.post_content(self._path, self._body(after_id, offset))
        except HubSpotBadRequestError:
            if offset == 0:
                raise  # a refused first page is a real error, not the cap
            return None
        return validate_json(RawSearchPage, content, f"POST {self._path}")

    def _take(self, page: RawSearchPage) -> None:
        """Keep a page's deals (by id, so a deal seen twice while the portal changes counts once)."""
        for raw in page.results:
            self.deals[raw.id] = to_deal(raw, self._stage_keys)
        self._report(Progress("deals", len(self.deals), self.announced))

    async def read(self) -> None:
        """Read every matching deal: one query per 10,000 results, its pages fetched concurrently.

        The first page of a query tells the total, so the offsets of all its other pages are known
        and they go out together (the search pacer spaces them at HubSpot's 5 a second); only the
        step from one 10,000-result query to the next waits for the previous query's last id.
        """
        after_id: str | None = None
        while True:
            first = await self._page(after_id, 0)
            assert first is not None  # offset 0 is never refused as "the cap"
            if self.announced is None:
                self.announced = first.total
            self._take(first)
            cursor = next_after(first.paging)
            if not first.results or cursor is None:
                return
            if first.total is None:  # no total to plan with: follow the cursors one by one
                pages = await self._follow(after_id, self._offset(cursor))
            else:
                reachable = min(first.total, SEARCH_CAP)
                pages = await self._pages(
                    after_id, list(range(SEARCH_PAGE_SIZE, reachable, SEARCH_PAGE_SIZE))
                )
            taken = [first]
            for page in pages:  # in offset order, up to the first refused page
                if page is None:
                    break
                taken.append(page)
            last_id = next((p.results[-1].id for p in reversed(taken) if p.results), None)
            refused = len(taken) <= len(pages)
            if not refused and (first.total is None or first.total <= SEARCH_CAP):
                return
            if last_id is None or last_id == after_id:
                self.warnings.append("HubSpot stopped returning deals before the end of the search.")
                return
            after_id = last_id

    async def _follow(self, after_id: str | None, offset: int) -> list[RawSearchPage | None]:
        pages: list[RawSearchPage | None] = []
        while offset < SEARCH_CAP:
            page = await self._page(after_id, offset)
            pages.append(page)
            if page is None:
                break
            self._take(page)
            cursor = next_after(page.paging)
            if not page.results or cursor is None:
                break
            offset = self._offset(cursor)
        if offset >= SEARCH_CAP:
            pages.append(None)  # stopped by the cap: the caller continues with a new query
        return pages

    async def _pages(self, after_id: str | None, offsets: list[int]) -> list[RawSearchPage | None]:
        results: dict[int, RawSearchPage | None] = {}

        async def one(offset: int) -> None:
            page = await self._page(after_id, offset)
            results[offset] = page
            if page is not None:
                self._take(page)

        try:
            async with asyncio.TaskGroup() as group:
                for offset in offsets:
                    group.create_task(one(offset))
        except BaseExceptionGroup as group_error:
            raise unwrap_group(group_error) from None
        return [results[o] for o in offsets]

    def _offset(self, cursor: str) -> int:
        try:
            return int(cursor)
        except ValueError:
            raise self._odd_cursor(f"POST {self._path}", cursor) from None

    @staticmethod
    def _odd_cursor(endpoint: str, cursor: str) -> HubSpotResponseError:
        return HubSpotResponseError(
            f"HubSpot sent an unexpected paging cursor from {endpoint} ({cursor[:40]!r}); expected an offset."
        )


async def _read_pipelines_and_deals(
    client: HubSpotClient,
    *,
    wanted: str | None,
    lookback_days: int,
    now: datetime,
    report: Report,
) -> tuple[tuple[Pipeline, ...], Pipeline | None, _DealReader]:
    pipelines = await read_pipelines(client)
    chosen = _resolve(pipelines, wanted)
    scope = (chosen,) if chosen is not None else pipelines
    stage_ids = list(dict.fromkeys(s.id for p in scope for s in p.stages))
    reader = _DealReader(
        client,
        pipeline_id=chosen.id if chosen is not None else None,
        closed_since=now - timedelta(days=lookback_days),
        properties=[*BASE_DEAL_PROPERTIES, *stage_entry_properties(stage_ids)],
        stage_ids=stage_ids,
        report=report,
    )
    report(Progress("deals", 0, None))
    await reader.read()
    return pipelines, chosen, reader


async def fetch_snapshot(
    client: HubSpotClient,
    *,
    pipeline: str | None,
    lookback_days: int,
    report: Report,
    now: datetime | None = None,
    objects: frozenset[ObjectType] = ALL_OBJECTS,
) -> PortalSnapshot:
    """Read one portal snapshot (all pipelines, or the one whose id or label is ``pipeline``).

    ``objects`` are the CRM object types read besides deals (:mod:`engines.hubspot._objects`), all by
    default; they are read concurrently with the deals, the line items once the won deals are known.
    """
    taken_at = now or utc_now()
    warnings: list[str] = []
    others = ObjectsRead()
    report(Progress("starting"))

    async def line_items_of_won_deals() -> None:
        pipelines, _, reader = await deals
        since = taken_at - timedelta(days=lookback_days)
        won = won_deal_ids(reader.deals.values(), pipelines, since, taken_at)
        await read_deal_line_items(client, won, others)

    try:
        async with asyncio.TaskGroup() as group:
            account = group.create_task(read_account(client, warnings))
            owners = group.create_task(read_all_owners(client))
            deals = group.create_task(
                _read_pipelines_and_deals(
                    client, wanted=pipeline, lookback_days=lookback_days, now=taken_at, report=report
                )
            )
            if objects:
                group.create_task(
                    read_objects(
                        client, objects=objects, now=taken_at, lookback_days=lookback_days, out=others
                    )
                )
            if ObjectType.LINE_ITEMS in objects:
                group.create_task(line_items_of_won_deals())
    except BaseExceptionGroup as group_error:
        raise unwrap_group(group_error) from None
    pipelines, chosen, reader = deals.result()
    read = len(reader.deals)
    announced = reader.announced if reader.announced is not None else read
    warnings.extend(reader.warnings)
    warnings.extend(others.warnings)
    truncated = read < announced
    if truncated:
        warnings.append(
            f"Only {read:,} of the {announced:,} deals HubSpot announced could be read; "
            "figures cover the deals that were read."
        )
        log.warning("HubSpot snapshot truncated: %d of %d deals read", read, announced)
    report(Progress("done", read, announced))
    return PortalSnapshot(
        portal=account.result(),
        pipelines=pipelines,
        owners=owners.result(),
        deals=tuple(sorted(reader.deals.values(), key=lambda d: (len(d.id), d.id))),  # id order
        taken_at=taken_at,
        source="hubspot",
        pipeline_id=chosen.id if chosen is not None else None,
        lookback_days=lookback_days,
        deals_total=announced,
        truncated=truncated,
        warnings=tuple(warnings),
        contacts=tuple(others.contacts),
        tickets=tuple(others.tickets),
        ticket_pipelines=others.ticket_pipelines,
        feedback=tuple(others.feedback),
        products=tuple(others.products),
        line_items=tuple(others.line_items),
        goals=tuple(others.goals),
        object_reads=others.reads,
    )
