"""Reading the CRM objects besides deals: contacts, tickets (and their pipelines), survey responses,
products, goal targets and the line items of won deals.

What each read asks HubSpot for (``lookback`` is the analysis window ``L``, ``now`` the read's time):

- contacts: CRM search for ``hs_v2_date_entered_lead >= now - L`` only, with
  ``hs_v2_date_entered_<stage>`` of every lifecycle stage the portal defines (read from the
  ``lifecyclestage`` property's options, so custom stages come along; the default stages if that read
  fails with anything but a 403);
- tickets: CRM search for tickets created since ``now - 2L``, or closed since ``now - L``, or still open
  (no ``closed_date``), plus the ticket pipelines (stage ``ticketState``);
- feedback submissions: CRM search for responses submitted or created since ``now - 2L``;
- products and goal targets: the list endpoint, every record (portals hold few);
- line items: the deal -> line item associations of the deals won in the window (v4 batch read, up to
  1,000 deal ids a call, following each deal's own paging), then the line items by batch read (100 ids
  a call).

Every search sorts by ``hs_object_id`` and continues past HubSpot's 10,000-results-per-query cap with a
new query for ``hs_object_id > last id read``, like the deal search. A 403 on one object type becomes
that type's :class:`~engines.models.ObjectRead` (``scope_refused`` with the scopes HubSpot named), so
the report shows a data gap naming the scope while everything else still arrives; a 400 or 404 (a
property or object type this portal does not have) marks the type not read, with a warning. Any other
error fails the read, as it does for deals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from engines.deal_table import NO_DATE, DealTable, to_micros
from engines.errors import HubSpotBadRequestError, HubSpotResponseError, HubSpotScopeError
from engines.hubspot._http import HubSpotClient
from engines.hubspot._mapping import (
    ASSOCIATED_DEAL,
    CONTACT_STAGE_PREFIX,
    OBJECT_SPECS,
    CrmRecord,
    RawDeal,
    RawSearchPage,
    _Raw,
    _RawPaging,
    next_after,
    parse_ticket_pipelines,
    to_record,
    validate,
    validate_json,
)
from engines.models import (
    READ_SCOPES,
    Contact,
    Deal,
    FeedbackSubmission,
    GoalTarget,
    LineItem,
    ObjectRead,
    ObjectType,
    Pipeline,
    Product,
    ReadState,
    Ticket,
)

__all__ = [
    "ALL_OBJECTS",
    "ASSOCIATIONS_BATCH",
    "BATCH_READ",
    "DEFAULT_LIFECYCLE_STAGES",
    "OBJECT_NAMES",
    "ObjectsRead",
    "batch_read",
    "list_all",
    "not_read_warning",
    "read_associations",
    "read_deal_line_items",
    "read_line_items",
    "read_objects",
    "read_stage_options",
    "read_ticket_pipelines",
    "refused_read",
    "won_deal_ids",
]

ALL_OBJECTS: frozenset[ObjectType] = frozenset(ObjectType)
SEARCH_PAGE_SIZE = 200  # HubSpot's maximum for CRM search
SEARCH_CAP = 10_000  # HubSpot returns at most this many results per search query
LIST_PAGE_SIZE = 100
ASSOCIATIONS_BATCH = 1_000  # HubSpot's limit for the v4 associations batch read (since 2025-02-10)
BATCH_READ = 100  # HubSpot's limit for an object batch read
DEFAULT_LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)


# --------------------------------------------------------------------------- raw shapes


class _RawList(_Raw):
    results: list[RawDeal]
    paging: _RawPaging | None = None


class _RawOption(_Raw):
    value: str
    hidden: bool = False


class _RawProperty(_Raw):
    options: list[_RawOption] = Field(default_factory=list)


class _RawId(_Raw):
    id: str


class _RawTo(_Raw):
    toObjectId: str


class _RawAssociations(_Raw):
    from_: _RawId = Field(alias="from")
    to: list[_RawTo] = Field(default_factory=list)
    paging: _RawPaging | None = None


class _RawAssociationsBatch(_Raw):
    results: list[_RawAssociations] = Field(default_factory=list)


class _RawBatch(_Raw):
    results: list[RawDeal] = Field(default_factory=list)


# --------------------------------------------------------------------------- generic reads


def _ms(when: datetime) -> str:
    return str(int(when.timestamp() * 1000))


GroupsFor = Callable[[str | None], list[dict[str, Any]]]


async def search_all(
    client: HubSpotClient, object_type: str, groups_for: GroupsFor, properties: Iterable[str]
) -> list[RawDeal]:
    """Every match of a CRM search, sorted by id; past the 10,000 cap with ``hs_object_id > last``.

    ``groups_for(after_id)`` builds the filter groups, each with ``hs_object_id GT after_id`` when set.
    """
    path = client.paths.search(object_type)
    endpoint = f"POST {path}"
    found: dict[str, RawDeal] = {}
    after_id: str | None = None
    names = list(properties)
    while True:
        offset = 0
        last: str | None = None
        capped = False
        while True:
            body: dict[str, Any] = {
                "filterGroups": groups_for(after_id),
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": names,
                "limit": SEARCH_PAGE_SIZE,
            }
            if offset:
                body["after"] = str(offset)
            try:
                content = await client.post_content(path, body)
            except HubSpotBadRequestError:
                if offset == 0:
                    raise
                capped = True  # HubSpot refused the offset: its 10,000-result cap
                break
            page = validate_json(RawSearchPage, content, endpoint)
            for raw in page.results:
                found[raw.id] = raw
                last = raw.id
            cursor = next_after(page.paging)
            if not page.results or cursor is None:
                break
            offset = int(cursor) if cursor.isdigit() else offset + len(page.results)
            if offset >= SEARCH_CAP:
                capped = True
                break
        if not capped or last is None or last == after_id:
            return sorted(found.values(), key=lambda r: (len(r.id), r.id))
        after_id = last


def _with_after(filters: list[dict[str, Any]], after_id: str | None) -> dict[str, Any]:
    if after_id is not None:
        filters = [*filters, {"propertyName": "hs_object_id", "operator": "GT", "value": after_id}]
    return {"filters": filters}


async def list_all(client: HubSpotClient, object_type: str, properties: Iterable[str]) -> list[RawDeal]:
    """Every record of the list endpoint, 100 a page, following ``paging.next.after``."""
    path = client.paths.objects(object_type)
    endpoint = f"GET {path}"
    out: list[RawDeal] = []
    after: str | None = None
    names = ",".join(properties)
    while True:
        params = {"limit": str(LIST_PAGE_SIZE), "properties": names, "archived": "false"}
        if after is not None:
            params["after"] = after
        page = validate(_RawList, await client.get_json(path, params), endpoint)
        out.extend(page.results)
        cursor = next_after(page.paging)
        if cursor is None or not page.results or cursor == after:
            return out
        after = cursor


def unwrap_group(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real error of a task group, so callers catch ``HubSpotError`` and not a group."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return unwrap_group(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return group.exceptions[0]


def _records(object_type: ObjectType, raws: Iterable[RawDeal]) -> list[CrmRecord]:
    return [to_record(object_type, raw.id, raw.properties) for raw in raws]


# --------------------------------------------------------------------------- per object type


async def _lifecycle_stages(client: HubSpotClient) -> tuple[str, ...]:
    return await read_stage_options(client, "contacts", "lifecyclestage")


async def read_stage_options(client: HubSpotClient, object_type: str, name: str) -> tuple[str, ...]:
    """The options of an enumeration property (contacts' ``lifecyclestage``: the lifecycle stages,
    custom ones too); the default lifecycle stages when the read fails with anything but a 403."""
    path = client.paths.property(object_type, name)
    try:
        raw = validate(_RawProperty, await client.get_json(path), f"GET {path}")
    except HubSpotResponseError:  # not a 403: that one means contacts are refused, and propagates
        return DEFAULT_LIFECYCLE_STAGES
    stages = tuple(dict.fromkeys(o.value for o in raw.options if o.value))
    return stages or DEFAULT_LIFECYCLE_STAGES


async def _contacts(client: HubSpotClient, now: datetime, lookback_days: int) -> list[Contact]:
    stages = await _lifecycle_stages(client)
    since = _ms(now - timedelta(days=lookback_days))
    lead = f"{CONTACT_STAGE_PREFIX}lead"
    properties = [
        *OBJECT_SPECS[ObjectType.CONTACTS].properties,
        *(f"{CONTACT_STAGE_PREFIX}{s}" for s in stages),
    ]
    if lead not in properties:
        properties.append(lead)

    def groups(after_id: str | None) -> list[dict[str, Any]]:
        return [_with_after([{"propertyName": lead, "operator": "GTE", "value": since}], after_id)]

    raws = await search_all(client, "contacts", groups, properties)
    return [r for r in _records(ObjectType.CONTACTS, raws) if isinstance(r, Contact)]


async def read_ticket_pipelines(client: HubSpotClient) -> tuple[Pipeline, ...]:
    """The ticket pipelines (a stage is closed when its ``ticketState`` is ``CLOSED``)."""
    path = client.paths.pipelines("tickets")
    return parse_ticket_pipelines(await client.get_json(path), f"GET {path}")


async def _tickets(
    client: HubSpotClient, now: datetime, lookback_days: int
) -> tuple[list[Ticket], tuple[Pipeline, ...]]:
    pipelines = await read_ticket_pipelines(client)
    created_since = _ms(now - timedelta(days=2 * lookback_days))
    closed_since = _ms(now - timedelta(days=lookback_days))

    def groups(after_id: str | None) -> list[dict[str, Any]]:
        return [
            _with_after(
                [{"propertyName": "createdate", "operator": "GTE", "value": created_since}], after_id
            ),
            _with_after(
                [{"propertyName": "closed_date", "operator": "GTE", "value": closed_since}], after_id
            ),
            _with_after([{"propertyName": "closed_date", "operator": "NOT_HAS_PROPERTY"}], after_id),
        ]

    raws = await search_all(client, "tickets", groups, OBJECT_SPECS[ObjectType.TICKETS].properties)
    return [r for r in _records(ObjectType.TICKETS, raws) if isinstance(r, Ticket)], pipelines


async def _feedback(client: HubSpotClient, now: datetime, lookback_days: int) -> list[FeedbackSubmission]:
    since = _ms(now - timedelta(days=2 * lookback_days))

    def groups(after_id: str | None) -> list[dict[str, Any]]:
        return [
            _with_after(
                [{"propertyName": "hs_submission_timestamp", "operator": "GTE", "value": since}], after_id
            ),
            _with_after([{"propertyName": "hs_createdate", "operator": "GTE", "value": since}], after_id),
        ]

    spec = OBJECT_SPECS[ObjectType.FEEDBACK_SUBMISSIONS]
    raws = await search_all(client, "feedback_submissions", groups, spec.properties)
    return [r for r in _records(ObjectType.FEEDBACK_SUBMISSIONS, raws) if isinstance(r, FeedbackSubmission)]


async def _products(client: HubSpotClient) -> list[Product]:
    raws = await list_all(client, "products", OBJECT_SPECS[ObjectType.PRODUCTS].properties)
    return [r for r in _records(ObjectType.PRODUCTS, raws) if isinstance(r, Product)]


async def _goals(client: HubSpotClient) -> list[GoalTarget]:
    raws = await list_all(client, "goal_targets", OBJECT_SPECS[ObjectType.GOAL_TARGETS].properties)
    return [r for r in _records(ObjectType.GOAL_TARGETS, raws) if isinstance(r, GoalTarget)]


async def read_associations(
    client: HubSpotClient, from_type: str, to_type: str, ids: Iterable[str]
) -> dict[str, list[str]]:
    """``from`` id -> associated ``to`` ids, through the v4 associations batch read (1,000 ids a
    call, following each id's own paging). Ids without associations are left out, as HubSpot does."""
    path = client.paths.associations_batch_read(from_type, to_type)
    endpoint = f"POST {path}"
    found: dict[str, list[str]] = {}
    pending: list[dict[str, str]] = [{"id": i} for i in ids]
    while pending:
        batch, pending = pending[:ASSOCIATIONS_BATCH], pending[ASSOCIATIONS_BATCH:]
        raw = validate(_RawAssociationsBatch, await client.post_json(path, {"inputs": batch}), endpoint)
        for result in raw.results:
            from_id = result.from_.id
            found.setdefault(from_id, []).extend(to.toObjectId for to in result.to)
            cursor = next_after(result.paging)
            if cursor is not None:
                pending.append({"id": from_id, "after": cursor})  # the rest of this id's associations
    return found


async def _deal_line_item_ids(client: HubSpotClient, deal_ids: list[str]) -> dict[str, str]:
    """line item id -> deal id (a line item has one parent; the first deal listing it wins)."""
    owner: dict[str, str] = {}
    for deal_id, items in (await read_associations(client, "deals", "line_items", deal_ids)).items():
        for item in items:
            owner.setdefault(item, deal_id)
    return owner


async def batch_read(
    client: HubSpotClient, object_type: str, ids: Iterable[str], properties: Iterable[str]
) -> dict[str, RawDeal]:
    """Objects by id, 100 a call, the calls run concurrently; ids HubSpot no longer has (archived
    since they were listed: a 207 with ``errors``) are simply absent from the answer."""
    wanted = sorted(dict.fromkeys(ids), key=lambda i: (len(i), i))
    path = client.paths.batch_read(object_type)
    endpoint = f"POST {path}"
    names = list(properties)
    pages: list[list[RawDeal]] = [[] for _ in range(0, len(wanted), BATCH_READ)]

    async def one(index: int) -> None:
        chunk = wanted[index * BATCH_READ : (index + 1) * BATCH_READ]
        body = {"properties": names, "propertiesWithHistory": [], "inputs": [{"id": i} for i in chunk]}
        pages[index] = validate(_RawBatch, await client.post_json(path, body), endpoint).results

    try:
        async with asyncio.TaskGroup() as group:
            for index in range(len(pages)):
                group.create_task(one(index))
    except BaseExceptionGroup as group_error:
        raise unwrap_group(group_error) from None
    return {raw.id: raw for page in pages for raw in page}


async def read_line_items(client: HubSpotClient, deal_ids: list[str]) -> list[LineItem]:
    """The line items of ``deal_ids`` (associations, then batch reads of 100 run concurrently)."""
    owner = await _deal_line_item_ids(client, deal_ids)
    raws = await batch_read(client, "line_items", owner, OBJECT_SPECS[ObjectType.LINE_ITEMS].properties)
    out: list[LineItem] = []
    for raw in sorted(raws.values(), key=lambda r: (len(r.id), r.id)):
        props = {**raw.properties, ASSOCIATED_DEAL: owner.get(raw.id)}
        record = to_record(ObjectType.LINE_ITEMS, raw.id, props)
        if isinstance(record, LineItem):
            out.append(record)
    return out


# --------------------------------------------------------------------------- all of them


@dataclass(slots=True)
class ObjectsRead:
    """What :func:`read_objects` brought back, and per object type how the read went."""

    contacts: list[Contact] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    ticket_pipelines: tuple[Pipeline, ...] = ()
    feedback: list[FeedbackSubmission] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    goals: list[GoalTarget] = field(default_factory=list)
    line_items: list[LineItem] = field(default_factory=list)
    reads: dict[ObjectType, ObjectRead] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def refused_read(object_type: ObjectType, exc: HubSpotScopeError) -> ObjectRead:
    """How a 403 on one object type shows in the report: refused, naming the scopes HubSpot asked for."""
    return ObjectRead(state=ReadState.SCOPE_REFUSED, scopes=exc.scopes or (READ_SCOPES[object_type],))


_refused = refused_read


def not_read_warning(object_type: ObjectType, exc: HubSpotResponseError) -> str:
    """The warning for a 400 or 404 on one object type (a property or object this portal lacks)."""
    return f"Could not read the HubSpot {OBJECT_NAMES[object_type]}: {exc.user_message}"


OBJECT_NAMES = {
    ObjectType.CONTACTS: "contacts",
    ObjectType.TICKETS: "tickets",
    ObjectType.FEEDBACK_SUBMISSIONS: "survey responses",
    ObjectType.PRODUCTS: "products",
    ObjectType.LINE_ITEMS: "line items",
    ObjectType.GOAL_TARGETS: "goal targets",
}


async def _guarded(out: ObjectsRead, object_type: ObjectType, read: Callable[[], Any]) -> None:
    """Run one object type's read. A 403 marks it refused; a 400 or 404 (a property or object this
    portal lacks) marks it not read, with a warning; anything else fails the read as for deals."""
    try:
        await read()
    except HubSpotScopeError as exc:
        out.reads[object_type] = _refused(object_type, exc)
    except HubSpotResponseError as exc:
        if exc.status not in (400, 404):
            raise
        out.reads[object_type] = ObjectRead(state=ReadState.NOT_READ)
        out.warnings.append(not_read_warning(object_type, exc))
    else:
        out.reads[object_type] = ObjectRead(state=ReadState.READ)


async def read_objects(
    client: HubSpotClient,
    *,
    objects: frozenset[ObjectType],
    now: datetime,
    lookback_days: int,
    out: ObjectsRead,
) -> None:
    """Read every object type of ``objects`` except line items (they wait for the deals) into ``out``."""

    async def contacts() -> None:
        out.contacts = await _contacts(client, now, lookback_days)

    async def tickets() -> None:
        out.tickets, out.ticket_pipelines = await _tickets(client, now, lookback_days)

    async def feedback() -> None:
        out.feedback = await _feedback(client, now, lookback_days)

    async def products() -> None:
        out.products = await _products(client)

    async def goals() -> None:
        out.goals = await _goals(client)

    readers: Mapping[ObjectType, Callable[[], Any]] = {
        ObjectType.CONTACTS: contacts,
        ObjectType.TICKETS: tickets,
        ObjectType.FEEDBACK_SUBMISSIONS: feedback,
        ObjectType.PRODUCTS: products,
        ObjectType.GOAL_TARGETS: goals,
    }
    async with asyncio.TaskGroup() as group:
        for object_type, read in readers.items():
            if object_type in objects:
                group.create_task(_guarded(out, object_type, read))


def won_deal_ids(
    deals: Iterable[Deal], pipelines: tuple[Pipeline, ...], since: datetime, until: datetime
) -> list[str]:
    """Ids of the deals in a won stage with a close date in ``[since, until]``: the deals the
    analysis counts as won in its window (``until`` is the analysis time; a deal won with a close
    date still ahead counts only once that date has passed, so its line items are not read before)."""
    won = {(p.id, s.id) for p in pipelines for s in p.stages if s.is_won}
    if isinstance(deals, DealTable):  # from the columns: no Deal model built
        columns, low, high = deals.columns, to_micros(since), to_micros(until)
        return [
            deal_id
            for deal_id, pipeline_id, stage_id, close in zip(
                deals.ids(),
                deals.column(columns.pipeline_ids),
                deals.column(columns.stage_ids),
                deals.column(columns.close),
                strict=True,
            )
            if close != NO_DATE and low <= close <= high and (pipeline_id, stage_id) in won
        ]
    return [
        d.id
        for d in deals
        if (d.pipeline_id, d.stage_id) in won and d.close_date is not None and since <= d.close_date <= until
    ]


async def read_deal_line_items(client: HubSpotClient, deal_ids: list[str], out: ObjectsRead) -> None:
    """The line items of the won deals into ``out`` (a 403 on them is recorded like the others)."""

    async def line_items() -> None:
        out.line_items = await read_line_items(client, deal_ids) if deal_ids else []

    await _guarded(out, ObjectType.LINE_ITEMS, line_items)
