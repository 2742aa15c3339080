"""A loopback HTTP server that behaves like HubSpot's CRM API, built from any ``PortalSnapshot``.

It answers the endpoints the HubSpot source reads, at the date-based ``2026-03`` paths and their ``v3``
twins (see ``engines/hubspot/_paths.py``), in HubSpot's JSON shapes (property values are
strings or ``null``; dates ISO-8601 UTC with ``Z``, milliseconds omitted when zero), with HubSpot's
rules: search pages of at most 200, an ``after`` offset, ``total``, the 10,000-results-per-query cap
(a 400), only the requested properties, at most 5 filter groups / 6 filters a group / 18 filters,
the search limit (5 a second, 429 "secondly limit", no rate-limit headers) and the app limit (100 per
10 s with ``X-HubSpot-RateLimit-*`` headers), 401/403 error envelopes, and injected faults.

Two ways to run it::

    async with FakeHubSpot(portal) as hs:                 # inside the test's event loop
        ...hs.base_url, hs.token, hs.calls...
    with FakeHubSpot.running(portal=portal, latency=0.1) as hs:   # in a background thread
        ...

Faults: ``hs.fail("status", times=2, status=503)``, ``"slow"`` (``delay=``), ``"malformed"``,
``"truncated"``, ``"drop"`` (connection closed without an answer), ``"body"`` (answer 200 with
``body=`` as JSON), ``"ratelimit"`` (``policy=
"SECONDLY" | "TEN_SECONDLY_ROLLING" | "DAILY"``, ``retry_after=``); ``path=`` restricts a fault to
paths containing that text.

The portal can change between reads: :mod:`tests.support.hubspot_mutations` creates, edits, archives,
restores and merges deals (``GET …/objects/deals?archived=true`` lists the archived ones with
``archivedAt``), and ``before_search`` hooks run inside a search request, before it is answered.
Line items can be added to deals, edited, archived and moved between deals; each deal carries HubSpot's
calculated ``hs_num_of_associated_line_items``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import functools
import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from aiohttp import web

from engines.dates import to_utc
from engines.models import Deal, PortalSnapshot, Stage
from tests.support._runners import Loopback, serve_in_subprocess, serve_in_thread

__all__ = ["Call", "FakeHubSpot", "RemoteFakeHubSpot", "format_datetime", "hubspot_deal_properties"]

# The default (date-based) paths, then their v3 twins; both are served.
ACCOUNT = "/account-info/2026-03/details"
PIPELINES = "/crm/pipelines/2026-03/deals"
OWNERS = "/crm/owners/2026-03"
DEALS = "/crm/objects/2026-03/deals"
SEARCH = f"{DEALS}/search"
V3_PATHS = {
    ACCOUNT: "/account-info/v3/details",
    PIPELINES: "/crm/v3/pipelines/deals",
    OWNERS: "/crm/v3/owners",
    DEALS: "/crm/v3/objects/deals",
    SEARCH: "/crm/v3/objects/deals/search",
}
SEARCH_CAP = 10_000
NUM_LINE_ITEMS = "hs_num_of_associated_line_items"
DATE_PROPERTIES = {"closedate", "createdate", "hs_lastmodifieddate", "notes_last_updated"}
# Date properties of the other objects (tests/support/hubspot_objects.py), compared as dates in filters.
DATE_PROPERTIES |= {
    "closed_date",
    "hs_createdate",
    "hs_end_datetime",
    "hs_start_datetime",
    "hs_submission_timestamp",
    "lastmodifieddate",
}
NUMBER_PROPERTIES = {"amount", "hs_object_id"}
BASE_PROPERTIES = (
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "closedate",
    "createdate",
    "hs_lastmodifieddate",
    "notes_last_updated",
    "hubspot_owner_id",
    "dealtype",
    "hs_is_closed",
    "hs_is_closed_won",
    "deal_currency_code",
    "hs_object_id",
)
SCOPE_OF = {ACCOUNT: "account", PIPELINES: "pipelines", OWNERS: "owners", SEARCH: "deals", DEALS: "deals"}
SCOPE_OF.update({V3_PATHS[path]: scope for path, scope in list(SCOPE_OF.items())})


@dataclass
class Call:
    """One request as the server saw it. ``status`` 0 means the connection was dropped."""

    method: str
    path: str
    time: float
    status: int = 0
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class _Fault:
    kind: str
    times: int
    path: str | None
    options: dict[str, Any]
    skip: int = 0


def format_datetime(value: datetime | None) -> str | None:
    """HubSpot's date-time text: ISO-8601 UTC with ``Z``; milliseconds only when not zero."""
    when = to_utc(value)
    if when is None:
        return None
    millis = when.microsecond // 1000
    base = when.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{millis:03d}Z" if millis else f"{base}Z"


def _number(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def hubspot_deal_properties(
    deal: Deal, stage: Stage | None, *, stage_dates: str = "v2"
) -> dict[str, str | None]:
    """A deal as HubSpot stores it: every known property, as a string or ``None``."""
    closed = stage is not None and stage.is_closed
    props: dict[str, str | None] = {
        "dealname": deal.name,
        "amount": _number(deal.amount),
        "dealstage": deal.stage_id,
        "pipeline": deal.pipeline_id,
        "closedate": format_datetime(deal.close_date),
        "createdate": format_datetime(deal.created_at),
        "hs_lastmodifieddate": format_datetime(deal.last_modified_at or deal.created_at),
        "notes_last_updated": format_datetime(deal.last_activity_at),
        "hubspot_owner_id": deal.owner_id,
        "dealtype": deal.deal_type,
        "hs_is_closed": "true" if closed else "false",
        "hs_is_closed_won": "true" if closed and stage is not None and stage.is_won else "false",
        "deal_currency_code": deal.currency,
        "hs_object_id": deal.id,
    }
    if deal.stage_id is not None and deal.stage_id in deal.stage_entered_at:
        props["hs_v2_date_entered_current_stage"] = format_datetime(deal.stage_entered_at[deal.stage_id])
    for stage_id, entered in deal.stage_entered_at.items():
        if stage_dates in ("v2", "both"):
            props[f"hs_v2_date_entered_{stage_id}"] = format_datetime(entered)
        if stage_dates in ("legacy", "both"):
            props[f"hs_date_entered_{stage_id}"] = format_datetime(entered)
    return props


def _id_key(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def _as_millis(value: Any) -> float | None:
    if isinstance(value, str):
        return _text_millis(value)
    when = to_utc(value)
    return when.timestamp() * 1000 if when is not None else None


@functools.lru_cache(maxsize=1 << 20)
def _text_millis(value: str) -> float | None:
    """Dates repeat across scans of a large portal: parse each text once."""
    when = to_utc(value)
    return when.timestamp() * 1000 if when is not None else None


def _comparable(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in DATE_PROPERTIES or "date_entered_" in name:
        return _as_millis(value)
    if name in NUMBER_PROPERTIES:
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return str(value).lower()


def _matches(props: Mapping[str, str | None], flt: Mapping[str, Any]) -> bool:
    name = str(flt.get("propertyName", ""))
    op = str(flt.get("operator", "EQ")).upper()
    have = _comparable(name, props.get(name))
    if op == "HAS_PROPERTY":
        return have is not None
    if op == "NOT_HAS_PROPERTY":
        return have is None
    if op in ("IN", "NOT_IN"):
        wanted = [_comparable(name, v) for v in flt.get("values", [])]
        return (have in wanted) == (op == "IN")
    want = _comparable(name, flt.get("value"))
    if op == "EQ":
        return bool(have == want)
    if op == "NEQ":
        return bool(have != want)
    if have is None or want is None:
        return False
    if op == "BETWEEN":
        high = _comparable(name, flt.get("highValue"))
        return high is not None and bool(want <= have <= high)
    comparisons = {"GT": have > want, "GTE": have >= want, "LT": have < want, "LTE": have <= want}
    if op not in comparisons:
        raise ValueError(f"Unsupported operator {op}")
    return bool(comparisons[op])


IdBounds = tuple[tuple[int, int | str] | None, bool, tuple[int, int | str] | None, bool]


def _id_bounds(groups: Sequence[Mapping[str, Any]]) -> tuple[IdBounds | None, list[dict[str, Any]]]:
    """The ``hs_object_id`` range every filter group shares, and the groups without it.

    ``None`` when the groups do not all carry the same id range (the query is then matched whole).
    """
    shared: IdBounds | None = None
    rest: list[dict[str, Any]] = []
    for group in groups:
        low: tuple[int, int | str] | None = None
        high: tuple[int, int | str] | None = None
        low_open = high_open = False
        others = []
        for flt in group.get("filters", []):
            op = str(flt.get("operator", "")).upper()
            if flt.get("propertyName") == "hs_object_id" and op in ("GT", "GTE", "LT", "LTE"):
                value = _id_key(str(flt.get("value")))
                if op in ("GT", "GTE"):
                    low, low_open = value, op == "GT"
                else:
                    high, high_open = value, op == "LT"
            else:
                others.append(flt)
        bounds: IdBounds = (low, low_open, high, high_open)
        if (low is None and high is None) or (shared is not None and bounds != shared):
            return None, []
        shared = bounds
        rest.append({**group, "filters": others})
    return shared, rest


def _date_range(groups: Sequence[Mapping[str, Any]]) -> tuple[str, str, float] | None:
    """``(property, "GTE" or "LT", ms)`` when the query is one group with one such date filter: a
    delta's "modified at or after" and the deletion check's count of "modified before"."""
    if len(groups) != 1 or len(groups[0].get("filters", [])) != 1:
        return None
    flt = groups[0]["filters"][0]
    name = str(flt.get("propertyName", ""))
    op = str(flt.get("operator", "")).upper()
    if op not in ("GTE", "LT") or name not in DATE_PROPERTIES:
        return None
    bound = _as_millis(flt.get("value"))
    return (name, op, bound) if bound is not None else None


def _ascending_by_id(sorts: Sequence[Any]) -> bool:
    if not sorts:
        return True
    sort = sorts[0]
    if isinstance(sort, str):
        return sort == "hs_object_id"
    return bool(sort.get("propertyName") == "hs_object_id" and sort.get("direction") != "DESCENDING")


def _descending_by_id(sorts: Sequence[Any]) -> bool:
    if len(sorts) != 1 or isinstance(sorts[0], str):
        return bool(sorts) and sorts[0] == "-hs_object_id"
    return bool(sorts[0].get("propertyName") == "hs_object_id" and sorts[0].get("direction") == "DESCENDING")


def object_scope_key(path: str) -> str | None:
    from tests.support.hubspot_objects import scope_key

    return scope_key(path)


def _error(status: int, message: str, category: str, **extra: Any) -> web.Response:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    body.update(extra)
    return web.json_response(body, status=status)


class FakeHubSpot(Loopback):
    """HubSpot's CRM API on ``127.0.0.1`` (ephemeral port), serving the data of ``portal``."""

    def __init__(
        self,
        portal: PortalSnapshot,
        *,
        token: str | None = None,
        latency: float = 0.0,
        search_per_second: int | None = 5,
        app_limit: int | None = 100,
        app_window: float = 10.0,
        daily_limit: int = 250_000,
        missing_scopes: Mapping[str, Sequence[str]] | None = None,
        stage_dates: str = "v2",
        owners_page_max: int = 100,
        search_cap: int = SEARCH_CAP,
        associations_page: int = 500,
    ) -> None:
        self.portal = portal
        self.token = token or f"pat-na1-{uuid.uuid4()}"
        self.latency = latency
        self.search_per_second = search_per_second
        self.app_limit = app_limit
        self.app_window = app_window
        self.daily_limit = daily_limit
        self.missing_scopes = dict(missing_scopes or {})
        self.owners_page_max = owners_page_max
        self.search_cap = search_cap
        self.calls: list[Call] = []
        self.base_url = ""
        self._faults: list[_Fault] = []
        self._search_times: deque[float] = deque()
        self._app_times: deque[float] = deque()
        self._daily_used = 0
        self._query_cache: dict[str, list[int]] = {}
        self._date_indexes: dict[str, tuple[list[int], list[float]]] = {}
        self._render_cache: dict[tuple[str, ...], dict[int, str]] = {}
        # Archived deals: (properties, archivedAt), listed by GET …/objects/deals?archived=true.
        self.archived: dict[str, tuple[dict[str, str | None], str]] = {}
        # Called with each search body before it is answered (an edit landing mid-sync).
        self.before_search: list[Callable[[Mapping[str, Any]], None]] = []
        self._build_index(stage_dates)
        from tests.support.hubspot_objects import ObjectStore  # it imports this module's helpers

        # Contacts, tickets, survey responses, products, line items, goals: served generically.
        self.objects = ObjectStore(portal, search_cap=search_cap, associations_page=associations_page)
        # HubSpot's calculated count of a deal's line items ("0" when it has none).
        for deal, props in zip(self._deals, self._props, strict=True):
            props[NUM_LINE_ITEMS] = str(len(self.objects.deal_items.get(deal.id, ())))
        for object_id, (props, _) in self.archived.items():
            props[NUM_LINE_ITEMS] = str(len(self.objects.deal_items.get(object_id, ())))
        self._known.add(NUM_LINE_ITEMS)

    # ------------------------------------------------------------------ data

    def _build_index(self, stage_dates: str) -> None:
        stages: dict[tuple[str | None, str], Stage] = {}
        for pipeline in self.portal.pipelines:
            for stage in pipeline.stages:
                stages[(pipeline.id, stage.id)] = stage
        deals = sorted((d for d in self.portal.deals if not d.archived), key=lambda d: _id_key(d.id))
        self._deals = deals
        self._keys = [_id_key(d.id) for d in deals]
        self._props = [
            hubspot_deal_properties(d, stages.get((d.pipeline_id, d.stage_id or "")), stage_dates=stage_dates)
            for d in deals
        ]
        # Properties the portal defines: HubSpot returns these (null when empty) and omits others.
        self._known = {name for props in self._props for name in props}
        prefixes = {"v2": ["hs_v2_date_entered_"], "legacy": ["hs_date_entered_"]}.get(
            stage_dates, ["hs_v2_date_entered_", "hs_date_entered_"]
        )
        self._known.update(f"{x}{s.id}" for p in self.portal.pipelines for s in p.stages for x in prefixes)
        self._known.update(BASE_PROPERTIES)
        self._known.update(("hs_v2_date_entered_current_stage", "hs_merged_object_ids"))
        for deal in self.portal.deals:
            if deal.archived:
                props = hubspot_deal_properties(deal, stages.get((deal.pipeline_id, deal.stage_id or "")))
                self.archived[deal.id] = (props, props["hs_lastmodifieddate"] or "")

    def changed(self) -> None:
        """Forget cached query results and renderings: the portal's data changed."""
        self._query_cache.clear()
        self._date_indexes.clear()
        self._render_cache.clear()

    # ------------------------------------------------------------------ control

    def fail(
        self, kind: str, *, times: int = 1, path: str | None = None, skip: int = 0, **options: Any
    ) -> None:
        """Make ``times`` matching requests, after the next ``skip`` ones, fail as ``kind`` names."""
        kinds = {"status", "slow", "malformed", "truncated", "drop", "ratelimit", "body"}
        if kind not in kinds:
            raise ValueError(f"fault kind must be one of {sorted(kinds)}")
        self._faults.append(_Fault(kind, times, path, options, skip))

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def matching_deals(self, body: Mapping[str, Any]) -> int:
        """How many deals a search body matches (ignoring paging): for 'minimum pages' arithmetic."""
        return len(self._match(body))

    # ------------------------------------------------------------------ lifecycle

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        for paths in ({p: p for p in V3_PATHS}, V3_PATHS):
            app.router.add_get(paths[ACCOUNT], self._account)
            app.router.add_get(paths[PIPELINES], self._pipelines)
            app.router.add_get(paths[OWNERS], self._owners)
            app.router.add_get(paths[DEALS], self._list_deals)
            app.router.add_post(paths[SEARCH], self._search)
        self.objects.mount(app)
        return app

    async def start(self) -> None:
        self.base_url = f"http://127.0.0.1:{await self._listen(self._app())}"

    @classmethod
    @contextlib.contextmanager
    def running(cls, portal: PortalSnapshot, **options: Any) -> Iterator[FakeHubSpot]:
        """Run the server in a background thread with its own event loop (for code in another loop)."""
        fake = cls(portal, **options)
        with serve_in_thread(fake, "fake-hubspot"):
            yield fake

    @classmethod
    @contextlib.contextmanager
    def in_subprocess(cls, portal: PortalSnapshot, **options: Any) -> Iterator[RemoteFakeHubSpot]:
        """Run the server in a child process: no GIL shared with the client, as with the real HubSpot.

        For benchmarks, where the server's own work must not slow the client being measured.
        """
        with serve_in_subprocess(_serve_in_child, (portal, options), "fake HubSpot") as (hello, conn):
            base_url, token = hello
            yield RemoteFakeHubSpot(base_url, token, conn)

    # ------------------------------------------------------------------ request pipeline

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.times > 0 and (fault.path is None or fault.path in path):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _rate_headers(self, now: float) -> dict[str, str]:
        if self.app_limit is None:
            return {}
        used = sum(1 for t in self._app_times if t > now - self.app_window)
        return {
            "X-HubSpot-RateLimit-Max": str(self.app_limit),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.app_limit - used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.app_window * 1000)),
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_limit - self._daily_used)),
        }

    def _rate_limited(self, path: str, now: float) -> web.Response | None:
        if path.endswith("/search"):
            window, limit, times = 1.0, self.search_per_second, self._search_times
        else:
            window, limit, times = self.app_window, self.app_limit, self._app_times
        if limit is None:
            return None
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= limit:
            if path.endswith("/search"):
                return _rate_limit_body("You have reached your secondly limit.", "SECONDLY", None)
            return _rate_limit_body(
                "You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING", None
            )
        times.append(now)
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        now = time.monotonic()
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        call = Call(request.method, request.path, now, query=dict(request.query), body=body)
        self.calls.append(call)
        response = await self._respond(request, handler, call, now)
        if response is not None:
            call.status = response.status
        return response if response is not None else web.Response(status=500)

    async def _respond(
        self, request: web.Request, handler: Any, call: Call, now: float
    ) -> web.StreamResponse | None:
        fault = self._take_fault(request.path)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(float(fault.options.get("delay", 1.0)))
            fault = None
        if fault is not None and fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # aiohttp treats this as a vanished client: nothing is sent
        if fault is not None and fault.kind == "status":
            status = int(fault.options.get("status", 503))
            if fault.options.get("html"):
                return web.Response(status=status, text="<html><body>Bad gateway</body></html>")
            message = str(fault.options.get("message", "Internal error"))
            return _error(status, message, "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")
        if fault is not None and fault.kind == "body":
            return web.json_response(fault.options.get("body"))
        if fault is not None and fault.kind == "ratelimit":
            policy = str(fault.options.get("policy", "SECONDLY"))
            message = {
                "DAILY": "You have reached your daily limit.",
                "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
            }.get(policy, "You have reached your secondly limit.")
            return _rate_limit_body(message, policy, fault.options.get("retry_after"))

        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.token}":
            return _error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "INVALID_AUTHENTICATION",
            )
        scopes = self.missing_scopes.get(SCOPE_OF.get(request.path) or object_scope_key(request.path) or "")
        if scopes:
            return _error(
                403,
                "This app hasn't been granted all required scopes to make this call. Read more about "
                "required scopes here: https://developers.hubspot.com/scopes.",
                "MISSING_SCOPES",
                errors=[
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": list(scopes)},
                    }
                ],
                links={"scopes": "https://developers.hubspot.com/scopes"},
            )
        limited = self._rate_limited(request.path, now)
        if limited is not None:
            return limited
        self._daily_used += 1
        response: web.StreamResponse = await handler(request)
        # ``latency`` is the whole time HubSpot takes to answer, its own work included: wait only for
        # what is left of it once this server has built the answer.
        remaining = self.latency - (time.monotonic() - now)
        if remaining > 0:
            await asyncio.sleep(remaining)
        if (
            fault is not None
            and fault.kind in ("malformed", "truncated")
            and isinstance(response, web.Response)
        ):
            text = response.text or ""
            broken = text[: len(text) // 2] if fault.kind == "truncated" else "<html>Service Unavailable"
            response = web.Response(status=200, text=broken, content_type="application/json")
        if not request.path.endswith("/search"):
            response.headers.update(self._rate_headers(now))
        return response

    # ------------------------------------------------------------------ endpoints

    async def _account(self, request: web.Request) -> web.Response:
        info = self.portal.portal
        return web.json_response(
            {
                "portalId": info.portal_id,
                "accountType": "STANDARD",
                "timeZone": info.time_zone,
                "companyCurrency": info.currency,
                "additionalCurrencies": [],
                "utcOffset": "+00:00",
                "utcOffsetMilliseconds": 0,
                "uiDomain": info.ui_domain,
                "dataHostingLocation": "na1",
            }
        )

    async def _pipelines(self, request: web.Request) -> web.Response:
        stamp = format_datetime(self.portal.taken_at)
        results = [
            {
                "label": p.label,
                "displayOrder": p.display_order,
                "id": p.id,
                "stages": [
                    {
                        "label": s.label,
                        "displayOrder": s.display_order,
                        "metadata": {
                            "isClosed": "true" if s.is_closed else "false",
                            **({"probability": str(s.probability)} if s.probability is not None else {}),
                        },
                        "id": s.id,
                        "createdAt": stamp,
                        "updatedAt": stamp,
                        "archived": s.archived,
                        "writePermissions": "CRUD_ALL",
                    }
                    for s in p.stages
                ],
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": p.archived,
            }
            for p in self.portal.pipelines
        ]
        return web.json_response({"results": results})

    async def _owners(self, request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", "100"))
            offset = int(request.query.get("after", "0"))
        except ValueError:
            return _error(400, "Invalid input: limit and after must be numbers", "VALIDATION_ERROR")
        limit = max(1, min(limit, self.owners_page_max))
        archived = request.query.get("archived", "false").lower() == "true"
        owners = [o for o in self.portal.owners if o.archived == archived]
        page = owners[offset : offset + limit]
        stamp = format_datetime(self.portal.taken_at)
        body: dict[str, Any] = {
            "results": [
                {
                    "id": o.id,
                    "email": o.email,
                    "firstName": o.first_name,
                    "lastName": o.last_name,
                    "userId": int(o.id) if o.id.isdigit() else None,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "archived": o.archived,
                }
                for o in page
            ]
        }
        if offset + limit < len(owners):
            after = str(offset + limit)
            body["paging"] = {"next": {"after": after, "link": f"{OWNERS}?after={after}"}}
        return web.json_response(body)

    def _match(self, body: Mapping[str, Any]) -> list[int]:
        groups = body.get("filterGroups") or []
        sorts = body.get("sorts") or []
        bounds, rest = _id_bounds(groups)
        by_id = _ascending_by_id(sorts) or _descending_by_id(sorts)
        if bounds is not None and by_id:
            # Keyset paging (``hs_object_id`` > last id, sorted by id either way): the rest of the
            # query is matched once and cached, the id range is a bisection of it, so a read of n
            # pages costs n bisections instead of n scans of the portal.
            matched = self._match({"filterGroups": rest, "sorts": []})
            low, low_open, high, high_open = bounds
            start, end = 0, len(matched)
            if low is not None:
                find = bisect.bisect_right if low_open else bisect.bisect_left
                start = find(matched, low, key=self._keys.__getitem__)
            if high is not None:
                find = bisect.bisect_left if high_open else bisect.bisect_right
                end = find(matched, high, key=self._keys.__getitem__)
            return matched[start:end] if _ascending_by_id(sorts) else matched[start:end][::-1]
        key = json.dumps([groups, sorts], sort_keys=True)
        cached = self._query_cache.get(key)
        if cached is not None:
            return cached
        dated = _date_range(groups)
        if dated is not None and _ascending_by_id(sorts):
            # A date range: answered from an index by date, as HubSpot's search index does, so a
            # delta's (and its deletion count's) cost on a large portal is the fake's bisection,
            # not a scan that would be measured as the client's time.
            name, op, bound = dated
            order, when = self._date_index(name)
            cut = bisect.bisect_left(order, bound, key=when.__getitem__)
            found = sorted(order[cut:] if op == "GTE" else order[:cut])
            self._query_cache[key] = found
            return found
        indexes = [
            i
            for i, props in enumerate(self._props)
            if not groups or any(all(_matches(props, f) for f in g.get("filters", [])) for g in groups)
        ]
        if sorts:
            sort = sorts[0]
            name = sort if isinstance(sort, str) else sort.get("propertyName", "hs_object_id")
            descending = (
                name.startswith("-") if isinstance(sort, str) else sort.get("direction") == "DESCENDING"
            )
            name = name.lstrip("-")
            if name != "hs_object_id" or descending:  # deals are already in ascending id order

                def sort_key(i: int) -> tuple[bool, Any]:
                    value = _comparable(name, self._props[i].get(name))
                    return (value is None, value if value is not None else 0)

                indexes.sort(key=sort_key, reverse=descending)
        if len(self._query_cache) > 16:
            self._query_cache.clear()
        self._query_cache[key] = indexes
        return indexes

    async def _search(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        if not isinstance(body, dict):
            return _error(400, "Invalid input JSON: expected an object", "VALIDATION_ERROR")
        groups = body.get("filterGroups") or []
        filters = [f for g in groups for f in g.get("filters", [])]
        if len(groups) > 5 or any(len(g.get("filters", [])) > 6 for g in groups) or len(filters) > 18:
            return _error(
                400,
                "There was a problem with the request: too many filters (at most 5 filterGroups, "
                "6 filters in each, 18 in all).",
                "VALIDATION_ERROR",
            )
        if len(body.get("sorts") or []) > 1:
            return _error(
                400, "There was a problem with the request: only one sort is allowed.", "VALIDATION_ERROR"
            )
        try:
            limit = int(body.get("limit", 10))
            offset = int(body.get("after") or 0)
        except (TypeError, ValueError):
            return _error(400, "Invalid input: limit and after must be numbers", "VALIDATION_ERROR")
        for hook in list(self.before_search):
            hook(body)
        if limit > 200 or limit < 1:
            return _error(
                400,
                f"There was a problem with the request: limit must be between 1 and 200, got {limit}.",
                "VALIDATION_ERROR",
            )
        if offset >= self.search_cap:
            return _error(
                400,
                "There was a problem with the request: the search API returns at most "
                f"{self.search_cap} results; "
                "use filters to narrow the search.",
                "VALIDATION_ERROR",
            )
        try:
            indexes = self._match(body)
        except ValueError as exc:
            return _error(400, f"There was a problem with the request: {exc}", "VALIDATION_ERROR")
        wanted = [str(p) for p in body.get("properties") or []] or ["dealname", "amount", "dealstage"]
        defaults = ("createdate", "hs_lastmodifieddate", "hs_object_id")
        names = [n for n in dict.fromkeys([*wanted, *defaults]) if n in self._known]
        end = min(offset + limit, len(indexes), self.search_cap)
        rendered = self._rendered(tuple(names))
        results = []
        for i in indexes[offset:end]:
            text = rendered.get(i)
            if text is None:
                deal, props = self._deals[i], self._props[i]
                text = rendered[i] = json.dumps(
                    {
                        "id": deal.id,
                        "properties": {n: props.get(n) for n in names},
                        "createdAt": props.get("createdate"),
                        "updatedAt": props.get("hs_lastmodifieddate"),
                        "archived": False,
                    }
                )
            results.append(text)
        paging = ""
        if end < len(indexes):
            paging = f',"paging":{{"next":{{"after":"{end}","link":"?after={end}"}}}}'
        # Deals are serialised once per property list and spliced in: the server's own work must be
        # small next to the latency it simulates, or it would be measured as the client's.
        text = f'{{"total":{len(indexes)},"results":[{",".join(results)}]{paging}}}'
        return web.Response(text=text, content_type="application/json")

    async def _list_deals(self, request: web.Request) -> web.Response:
        """``GET …/objects/deals``: live deals, or with ``archived=true`` only the archived ones, each
        with ``archivedAt``; 100 a page, ``after`` an opaque cursor."""
        try:
            limit = max(1, min(int(request.query.get("limit", "10")), 100))
            offset = int(request.query.get("after", "0"))
        except ValueError:
            return _error(400, "Invalid input: limit and after must be numbers", "VALIDATION_ERROR")
        wanted = [n for n in request.query.get("properties", "").split(",") if n]
        names = [n for n in dict.fromkeys([*wanted, "createdate", "hs_lastmodifieddate", "hs_object_id"])]
        if request.query.get("archived", "false").lower() == "true":
            rows = [
                (object_id, props, archived_at)
                for object_id, (props, archived_at) in sorted(
                    self.archived.items(), key=lambda item: _id_key(item[0])
                )
            ]
        else:
            rows = [(d.id, props, None) for d, props in zip(self._deals, self._props, strict=True)]
        results = []
        for object_id, props, archived_at in rows[offset : offset + limit]:
            result: dict[str, Any] = {
                "id": object_id,
                "properties": {n: props.get(n) for n in names if n in props or n in self._known},
                "createdAt": props.get("createdate"),
                "updatedAt": archived_at or props.get("hs_lastmodifieddate"),
                "archived": archived_at is not None,
            }
            if archived_at is not None:
                result["archivedAt"] = archived_at
            results.append(result)
        body: dict[str, Any] = {"results": results}
        if offset + limit < len(rows):
            after = str(offset + limit)
            body["paging"] = {"next": {"after": after, "link": f"{request.path}?after={after}"}}
        return web.json_response(body)

    def _date_index(self, name: str) -> tuple[list[int], list[float]]:
        """Deal indexes with a value of date property ``name``, oldest first, and every deal's value
        (``inf`` when it has none). Kept until a change; rebuilt from the values, which are parsed
        once each (``_text_millis``) and sorted by key, so a rebuild after one edit stays cheap."""
        cached = self._date_indexes.get(name)
        if cached is None:
            inf = float("inf")
            when = [_as_millis(p.get(name)) or inf for p in self._props]
            order = sorted(range(len(when)), key=when.__getitem__)
            cut = bisect.bisect_left(order, inf, key=when.__getitem__)
            cached = self._date_indexes[name] = (order[:cut], when)
        return cached

    def _rendered(self, names: tuple[str, ...]) -> dict[int, str]:
        cached = self._render_cache.get(names)
        if cached is None:
            if len(self._render_cache) >= 4:
                self._render_cache.clear()
            cached = self._render_cache[names] = {}
        return cached


@dataclass
class RemoteFakeHubSpot:
    """A handle on a :class:`FakeHubSpot` running in a child process."""

    base_url: str
    token: str
    _conn: Connection

    def calls(self) -> list[Call]:
        self._conn.send("calls")
        calls: list[Call] = self._conn.recv()
        return calls

    def mutate(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``PortalMutator.<name>(*args, **kwargs)`` on the fake in the child; return its result."""
        self._conn.send(("mutate", name, args, kwargs))
        return self._conn.recv()

    def mutate_objects(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``ObjectMutator.<name>(*args, **kwargs)`` (contacts, tickets, ...) in the child."""
        self._conn.send(("mutate_objects", name, args, kwargs))
        return self._conn.recv()


def _serve_in_child(portal: PortalSnapshot, options: dict[str, Any], conn: Connection) -> None:
    async def serve() -> None:
        from tests.support.hubspot_mutations import PortalMutator  # it builds on this module
        from tests.support.hubspot_object_mutations import ObjectMutator

        fake = FakeHubSpot(portal, **options)
        mutator = PortalMutator(fake)
        objects = ObjectMutator(mutator)
        await fake.start()
        conn.send((fake.base_url, fake.token))
        loop = asyncio.get_running_loop()
        while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
            if command == "calls":
                conn.send(fake.calls)
            elif isinstance(command, tuple) and command[0] in ("mutate", "mutate_objects"):
                kind, name, args, kwargs = command
                conn.send(getattr(mutator if kind == "mutate" else objects, name)(*args, **kwargs))
        await fake.stop()

    asyncio.run(serve())


def _rate_limit_body(message: str, policy: str, retry_after: float | None) -> web.Response:
    response = web.json_response(
        {
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "groupName": "publicapi-private-app",
        },
        status=429,
    )
    if retry_after is not None:
        response.headers["Retry-After"] = f"{retry_after:g}"
    return response
