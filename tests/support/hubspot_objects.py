"""The CRM objects besides deals, served by :class:`tests.support.hubspot.FakeHubSpot` in HubSpot's shapes.

Contacts, tickets, feedback submissions, products, line items and goal targets of the portal snapshot
are rendered once into HubSpot property dicts (strings or ``null``; dates ISO-8601 UTC with ``Z``) and
served generically, at the ``v3`` paths and their date-based ``2026-03`` twins:

- ``POST …/objects/{type}/search``: filters, one sort, ``limit`` <= 200, the ``after`` offset, ``total``,
  the 10,000-results cap (a 400) and only the requested properties (those the portal has);
- ``GET …/objects/{type}``: the list endpoint, <= 100 a page, ``paging.next.after``;
- ``POST …/objects/{type}/batch/read``: <= 100 ids; unknown ids make it a 207 with ``errors``;
- ``GET …/pipelines/tickets``: stages with ``metadata.ticketState`` ``OPEN`` or ``CLOSED``;
- ``GET …/properties/contacts/lifecyclestage``: the lifecycle stages as enumeration options;
- ``POST /crm/v4/associations/deals/line_items/batch/read`` (and ``/crm/associations/2026-03/…``), and
  the reverse ``line_items/deals``: <= 1,000 inputs (more is a 400), ``associations_page`` associations
  per input per answer with a per-input ``paging.next.after`` that the client resends with the same id.

Line items can be created, edited, archived and moved between deals while the server runs
(:class:`tests.support.hubspot_mutations.PortalMutator` uses :meth:`ObjectStore.put`,
:meth:`ObjectStore.drop`, :meth:`ObjectStore.associate`); a line item has one parent deal.

A 403 ``MISSING_SCOPES`` for an object type comes from ``FakeHubSpot(missing_scopes={"tickets": [...]})``
keyed by the object type name (``scope_key``); deleting the key grants the scope.

The objects change between reads like deals do (:class:`ObjectStore` ``create``, ``edit``, ``archive``,
``restore``, ``add_lifecycle_stage``; the test-facing wrapper is
:class:`tests.support.hubspot_object_mutations.ObjectMutator`): an edit stamps the type's modified
property (contacts ``lastmodifieddate``, the others ``hs_lastmodifieddate``), an archived object leaves
search and the list and is listed by ``GET …/objects/{type}?archived=true`` with ``archivedAt``, a
restore stamps it modified again. Searches sort by ``hs_object_id`` either way (the mirror's keyset
reads ask for the highest id with a descending sort).
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from engines.models import PortalSnapshot
from tests.support.hubspot import _as_millis, _error, _id_bounds, _id_key, _matches, _number, format_datetime

__all__ = ["MODIFIED", "ObjectStore", "object_properties", "scope_key"]

TYPES = ("contacts", "tickets", "feedback_submissions", "products", "line_items", "goal_targets")
_TYPE_RE = "|".join(TYPES)
_PREFIXES = ("/crm/v3/objects", "/crm/objects/2026-03")
_PIPELINES = ("/crm/v3/pipelines/tickets", "/crm/pipelines/2026-03/tickets")
_PROPERTY = ("/crm/v3/properties/contacts/lifecyclestage", "/crm/properties/2026-03/contacts/lifecyclestage")
_ASSOCIATIONS = (
    "/crm/v4/associations/deals/line_items/batch/read",
    "/crm/associations/2026-03/deals/line_items/batch/read",
)
_REVERSE_ASSOCIATIONS = (
    "/crm/v4/associations/line_items/deals/batch/read",
    "/crm/associations/2026-03/line_items/deals/batch/read",
)
_OBJECT_PATH = re.compile(rf"^(?:/crm/v3/objects|/crm/objects/2026-03)/({_TYPE_RE})(?:/|$)")
# The property HubSpot stamps when an object changes (contacts: the one their search can filter on).
MODIFIED = {t: "lastmodifieddate" if t == "contacts" else "hs_lastmodifieddate" for t in TYPES}
DEFAULT_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)


def scope_key(path: str) -> str | None:
    """The ``missing_scopes`` key of a request path: its object type (line items for associations)."""
    match = _OBJECT_PATH.match(path)
    if match:
        return match.group(1)
    if path in _PIPELINES:
        return "tickets"
    if path in _PROPERTY:
        return "contacts"
    if path in _ASSOCIATIONS or path in _REVERSE_ASSOCIATIONS:
        return "line_items"
    return None


def object_properties(snapshot: PortalSnapshot) -> dict[str, list[tuple[str, dict[str, str | None]]]]:
    """Every object of ``snapshot`` as HubSpot stores it: (id, properties) per type, in id order."""
    f = format_datetime
    out: dict[str, list[tuple[str, dict[str, str | None]]]] = {t: [] for t in TYPES}
    for c in snapshot.contacts:
        props: dict[str, str | None] = {
            "lifecyclestage": c.lifecycle_stage,
            "createdate": f(c.created_at),
            "lastmodifieddate": f(c.last_modified_at or c.created_at),
            "hs_object_id": c.id,
        }
        for stage, entered in c.stage_entered_at.items():
            props[f"hs_v2_date_entered_{stage}"] = f(entered)
        out["contacts"].append((c.id, props))
    for t in snapshot.tickets:
        out["tickets"].append(
            (
                t.id,
                {
                    "subject": t.subject,
                    "content": None,
                    "hs_pipeline": t.pipeline_id,
                    "hs_pipeline_stage": t.stage_id,
                    "hs_ticket_category": t.category,
                    "hs_ticket_priority": None,
                    "hubspot_owner_id": t.owner_id,
                    "createdate": f(t.created_at),
                    "closed_date": f(t.closed_at),
                    "hs_lastmodifieddate": f(t.last_modified_at or t.closed_at or t.created_at),
                    "hs_object_id": t.id,
                },
            )
        )
    for s in snapshot.feedback:
        out["feedback_submissions"].append(
            (
                s.id,
                {
                    "hs_survey_type": s.survey_type,
                    "hs_value": _number(s.value),
                    "hs_response_group": s.response_group,
                    "hs_content": s.content,
                    "hs_submission_timestamp": f(s.submitted_at),
                    "hs_createdate": f(s.created_at),
                    "hs_lastmodifieddate": f(s.last_modified_at or s.created_at),
                    "hs_object_id": s.id,
                },
            )
        )
    for p in snapshot.products:
        out["products"].append(
            (
                p.id,
                {
                    "name": p.name,
                    "createdate": f(p.created_at),
                    "hs_lastmodifieddate": f(p.last_modified_at or p.created_at),
                    "hs_object_id": p.id,
                },
            )
        )
    for li in snapshot.line_items:
        out["line_items"].append(
            (
                li.id,
                {
                    "name": li.name,
                    "hs_product_id": li.product_id,
                    "amount": _number(li.amount),
                    "quantity": "1",
                    "hs_lastmodifieddate": f(li.last_modified_at),
                    "hs_object_id": li.id,
                },
            )
        )
    for g in snapshot.goals:
        out["goal_targets"].append(
            (
                g.id,
                {
                    "hs_goal_name": g.name,
                    "hs_target_amount": _number(g.target_amount),
                    "hs_start_datetime": f(g.start_at),
                    "hs_end_datetime": f(g.end_at),
                    "hs_lastmodifieddate": f(g.last_modified_at),
                    "hs_object_id": g.id,
                },
            )
        )
    for rows in out.values():
        rows.sort(key=lambda row: _id_key(row[0]))
    return out


def _bad(message: str) -> web.Response:
    return _error(400, f"There was a problem with the request: {message}", "VALIDATION_ERROR")


def _modified_floor(groups: list[Any], modified: str) -> float | None:
    """The earliest modified date (epoch ms) any group admits, when every group has a ``GTE`` (or
    ``GT``) filter on ``modified``: a necessary condition of a match, cheap to test first."""
    if not groups:
        return None
    floors: list[float] = []
    for group in groups:
        bounds = [
            _as_millis(f.get("value"))
            for f in group.get("filters", [])
            if f.get("propertyName") == modified and str(f.get("operator", "")).upper() in ("GTE", "GT")
        ]
        known = [b for b in bounds if b is not None]
        if not known:
            return None
        floors.append(max(known))
    return min(floors)


class ObjectStore:
    """The served objects and their routes (mounted by ``FakeHubSpot._app``)."""

    def __init__(self, snapshot: PortalSnapshot, *, search_cap: int, associations_page: int = 500) -> None:
        self.snapshot = snapshot
        self.search_cap = search_cap
        self.associations_page = associations_page
        self.rows = object_properties(snapshot)
        self.index = {t: {i: props for i, props in rows} for t, rows in self.rows.items()}
        self.known = {t: {n for _, props in rows for n in props} for t, rows in self.rows.items()}
        # The deal -> line item associations (a line item belongs to one deal), in line item id order.
        self.deal_items: dict[str, list[str]] = {}
        self.item_deal: dict[str, str] = {}
        for li in sorted(snapshot.line_items, key=lambda li: _id_key(li.id)):
            if li.deal_id is not None:
                self.deal_items.setdefault(li.deal_id, []).append(li.id)
                self.item_deal[li.id] = li.deal_id
        self.highest_line_item = 0  # ids are never reused, archived or not
        stages = {s for c in snapshot.contacts for s in c.stage_entered_at}
        self.lifecycle_stages = [*DEFAULT_STAGES, *sorted(stages - set(DEFAULT_STAGES))]
        self.known["contacts"].update(f"hs_v2_date_entered_{s}" for s in self.lifecycle_stages)
        self._key_cache: dict[str, list[tuple[int, int | str]]] = {}
        # Archived objects per type: id -> (properties, archivedAt).
        self.archived: dict[str, dict[str, tuple[dict[str, str | None], str]]] = {t: {} for t in TYPES}

    # ------------------------------------------------------------------ changes (tests)

    def _keys(self, object_type: str) -> list[tuple[int, int | str]]:
        keys = self._key_cache.get(object_type)
        if keys is None:
            keys = self._key_cache[object_type] = [_id_key(i) for i, _ in self.rows[object_type]]
        return keys

    def _position(self, object_type: str, object_id: str) -> int:
        position = bisect.bisect_left(self._keys(object_type), _id_key(object_id))
        self._key_cache.pop(object_type, None)  # the caller inserts or deletes there
        return position

    def create(self, object_type: str, object_id: str, props: dict[str, str | None]) -> None:
        if object_id in self.index[object_type] or object_id in self.archived[object_type]:
            raise ValueError(f"{object_type} {object_id} exists")
        props = {**props, "hs_object_id": object_id}
        self.rows[object_type].insert(self._position(object_type, object_id), (object_id, props))
        self.index[object_type][object_id] = props
        self.known[object_type].update(props)

    def edit(self, object_type: str, object_id: str, changes: Mapping[str, str | None], stamp: str) -> None:
        props = self.index[object_type][object_id]
        props.update(changes)
        props[MODIFIED[object_type]] = stamp
        self.known[object_type].update(props)

    def archive(self, object_type: str, object_id: str, stamp: str) -> None:
        props = self.index[object_type].pop(object_id)
        del self.rows[object_type][self._position(object_type, object_id)]
        self.archived[object_type][object_id] = (props, stamp)

    def restore(self, object_type: str, object_id: str, stamp: str) -> None:
        props, _ = self.archived[object_type].pop(object_id)
        props[MODIFIED[object_type]] = stamp
        self.rows[object_type].insert(self._position(object_type, object_id), (object_id, props))
        self.index[object_type][object_id] = props

    def add_lifecycle_stage(self, stage: str) -> None:
        """A custom lifecycle stage: a new ``lifecyclestage`` option and ``hs_v2_date_entered_<stage>``."""
        self.lifecycle_stages.append(stage)
        self.known["contacts"].add(f"hs_v2_date_entered_{stage}")

    def mount(self, app: web.Application) -> None:
        for prefix in _PREFIXES:
            app.router.add_post(prefix + rf"/{{object_type:{_TYPE_RE}}}/search", self._search)
            app.router.add_post(prefix + rf"/{{object_type:{_TYPE_RE}}}/batch/read", self._batch_read)
            app.router.add_get(prefix + rf"/{{object_type:{_TYPE_RE}}}", self._list)
        for path in _PIPELINES:
            app.router.add_get(path, self._ticket_pipelines)
        for path in _PROPERTY:
            app.router.add_get(path, self._lifecycle_property)
        for path in _ASSOCIATIONS:
            app.router.add_post(path, self._associations)
        for path in _REVERSE_ASSOCIATIONS:
            app.router.add_post(path, self._reverse_associations)

    # ------------------------------------------------------------------ changes

    def put(self, object_type: str, object_id: str, props: dict[str, str | None]) -> None:
        """Create or replace one object (kept in id order, as HubSpot's search returns them)."""
        rows = self.rows[object_type]
        key = _id_key(object_id)
        i = bisect.bisect_left(rows, key, key=lambda row: _id_key(row[0]))
        if i < len(rows) and rows[i][0] == object_id:
            rows[i] = (object_id, props)
        else:
            rows.insert(i, (object_id, props))
        self.index[object_type][object_id] = props
        self.known[object_type].update(props)

    def drop(self, object_type: str, object_id: str) -> dict[str, str | None]:
        """Archive one object: gone from search, list and batch read."""
        rows = self.rows[object_type]
        i = bisect.bisect_left(rows, _id_key(object_id), key=lambda row: _id_key(row[0]))
        if i == len(rows) or rows[i][0] != object_id:
            raise KeyError(f"no {object_type} {object_id}")
        del rows[i]
        return self.index[object_type].pop(object_id)

    def associate(self, item_id: str, deal_id: str | None) -> str | None:
        """Make ``deal_id`` the line item's one parent (``None``: no deal); returns the old parent."""
        old = self.item_deal.pop(item_id, None)
        if old is not None:
            self.deal_items[old].remove(item_id)
            if not self.deal_items[old]:
                del self.deal_items[old]
        if deal_id is not None:
            items = self.deal_items.setdefault(deal_id, [])
            bisect.insort(items, item_id, key=_id_key)
            self.item_deal[item_id] = deal_id
        return old

    # ------------------------------------------------------------------ objects

    def _names(self, object_type: str, wanted: list[str]) -> list[str]:
        defaults = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")
        if object_type != "feedback_submissions":
            defaults = ("createdate", "hs_lastmodifieddate", "hs_object_id")
        known = self.known[object_type]
        return [n for n in dict.fromkeys([*wanted, *defaults]) if n in known or n == "hs_object_id"]

    def _result(self, object_type: str, object_id: str, names: list[str]) -> dict[str, Any]:
        props = self.index[object_type][object_id]
        created = props.get("createdate") or props.get("hs_createdate")
        return {
            "id": object_id,
            "properties": {n: props.get(n) for n in names},
            "createdAt": created,
            "updatedAt": props.get("hs_lastmodifieddate") or props.get("lastmodifieddate") or created,
            "archived": False,
        }

    async def _search(self, request: web.Request) -> web.Response:
        object_type = request.match_info["object_type"]
        try:
            body = await request.json()
        except ValueError:
            return _bad("invalid JSON")
        groups = body.get("filterGroups") or []
        filters = [f for g in groups for f in g.get("filters", [])]
        if len(groups) > 5 or any(len(g.get("filters", [])) > 6 for g in groups) or len(filters) > 18:
            return _bad("too many filters (at most 5 filterGroups, 6 filters in each, 18 in all).")
        sorts = body.get("sorts") or []
        if len(sorts) > 1:
            return _bad("only one sort is allowed.")
        try:
            limit = int(body.get("limit", 10))
            offset = int(body.get("after") or 0)
        except (TypeError, ValueError):
            return _bad("limit and after must be numbers")
        if not 1 <= limit <= 200:
            return _bad(f"limit must be between 1 and 200, got {limit}.")
        if offset >= self.search_cap:
            return _bad(
                f"the search API returns at most {self.search_cap} results; use filters to narrow it."
            )
        rows = self.rows[object_type]
        bounds, rest = _id_bounds(groups)
        if bounds is not None:
            # Keyset pages (the same hs_object_id range in every group): only that range is scanned.
            low, low_open, high, high_open = bounds
            keys = self._keys(object_type)
            start, end = 0, len(rows)
            if low is not None:
                start = (bisect.bisect_right if low_open else bisect.bisect_left)(keys, low)
            if high is not None:
                end = (bisect.bisect_left if high_open else bisect.bisect_right)(keys, high)
            rows, groups = rows[start:end], rest
        floor = _modified_floor(groups, MODIFIED[object_type])
        if floor is not None:
            # A delta ("modified at or after" in every group): only the objects modified since can
            # match, found by one date comparison each before the full filters run on the few left
            # (the generic match of 100k contacts took ~1 s a page, measured as the client's time).
            modified = MODIFIED[object_type]
            rows = [(i, p) for i, p in rows if (_as_millis(p.get(modified)) or -math.inf) >= floor]
        try:
            matched = [
                object_id
                for object_id, props in rows
                if not groups or any(all(_matches(props, f) for f in g.get("filters", [])) for g in groups)
            ]
        except ValueError as exc:
            return _bad(str(exc))
        if sorts:
            sort = sorts[0]
            name = sort.get("propertyName") if isinstance(sort, dict) else str(sort).lstrip("-")
            if name != "hs_object_id":
                return _bad("this fake sorts by hs_object_id only")
            if (sort.get("direction") if isinstance(sort, dict) else "") == "DESCENDING":
                matched.reverse()  # the keyset reader reads a range from both ends
        names = self._names(object_type, [str(p) for p in body.get("properties") or []])
        end = min(offset + limit, len(matched), self.search_cap)
        out: dict[str, Any] = {
            "total": len(matched),
            "results": [self._result(object_type, i, names) for i in matched[offset:end]],
        }
        if end < len(matched):
            out["paging"] = {"next": {"after": str(end), "link": f"?after={end}"}}
        return web.json_response(out)

    async def _list(self, request: web.Request) -> web.Response:
        object_type = request.match_info["object_type"]
        try:
            limit = max(1, min(int(request.query.get("limit", "10")), 100))
            offset = int(request.query.get("after", "0"))
        except ValueError:
            return _bad("limit and after must be numbers")
        names = self._names(object_type, [n for n in request.query.get("properties", "").split(",") if n])
        if request.query.get("archived", "false").lower() == "true":
            archived = sorted(self.archived[object_type].items(), key=lambda item: _id_key(item[0]))
            results = []
            for object_id, (props, archived_at) in archived[offset : offset + limit]:
                result = {"id": object_id, "properties": {n: props.get(n) for n in names}}
                results.append(
                    {**result, "archived": True, "archivedAt": archived_at, "updatedAt": archived_at}
                )
            listed: dict[str, Any] = {"results": results}
            if offset + limit < len(archived):
                after = str(offset + limit)
                listed["paging"] = {"next": {"after": after, "link": f"{request.path}?after={after}"}}
            return web.json_response(listed)
        rows = self.rows[object_type]
        out: dict[str, Any] = {
            "results": [self._result(object_type, i, names) for i, _ in rows[offset : offset + limit]]
        }
        if offset + limit < len(rows):
            after = str(offset + limit)
            out["paging"] = {"next": {"after": after, "link": f"{request.path}?after={after}"}}
        return web.json_response(out)

    async def _batch_read(self, request: web.Request) -> web.Response:
        object_type = request.match_info["object_type"]
        body = await request.json()
        inputs = body.get("inputs") or []
        if len(inputs) > 100:
            return _bad(f"at most 100 inputs, got {len(inputs)}")
        names = self._names(object_type, [str(p) for p in body.get("properties") or []])
        ids = [str(i.get("id")) for i in inputs]
        found = [i for i in ids if i in self.index[object_type]]
        missing = [i for i in ids if i not in self.index[object_type]]
        out: dict[str, Any] = {
            "status": "COMPLETE",
            "results": [self._result(object_type, i, names) for i in found],
            "startedAt": "2026-11-25T12:00:00.000Z",
            "completedAt": "2026-11-25T12:00:00.050Z",
        }
        if missing:
            out["numErrors"] = 1
            out["errors"] = [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some objects, they may be deleted or not exist.",
                    "context": {"ids": missing},
                }
            ]
            return web.json_response(out, status=207)
        return web.json_response(out)

    # ------------------------------------------------------------------ the rest

    async def _ticket_pipelines(self, request: web.Request) -> web.Response:
        stamp = format_datetime(self.snapshot.taken_at)
        results = [
            {
                "label": p.label,
                "displayOrder": p.display_order,
                "id": p.id,
                "stages": [
                    {
                        "label": s.label,
                        "displayOrder": s.display_order,
                        "metadata": {"ticketState": "CLOSED" if s.is_closed else "OPEN"},
                        "id": s.id,
                        "createdAt": stamp,
                        "updatedAt": stamp,
                        "archived": s.archived,
                    }
                    for s in p.stages
                ],
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": p.archived,
            }
            for p in self.snapshot.ticket_pipelines
        ]
        return web.json_response({"results": results})

    async def _lifecycle_property(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "name": "lifecyclestage",
                "label": "Lifecycle Stage",
                "type": "enumeration",
                "fieldType": "radio",
                "groupName": "contactinformation",
                "options": [
                    {"label": stage.title(), "value": stage, "displayOrder": i, "hidden": False}
                    for i, stage in enumerate(self.lifecycle_stages)
                ],
            }
        )

    async def _associations(self, request: web.Request) -> web.Response:
        return await self._associated(request, self.deal_items.get, type_id=19)  # deal -> line item

    async def _reverse_associations(self, request: web.Request) -> web.Response:
        def deal_of(item_id: str) -> list[str] | None:
            deal_id = self.item_deal.get(item_id)
            return [deal_id] if deal_id is not None else None

        return await self._associated(request, deal_of, type_id=20)  # line item -> deal

    async def _associated(
        self, request: web.Request, targets: Callable[[str], list[str] | None], *, type_id: int
    ) -> web.Response:
        body: Mapping[str, Any] = await request.json()
        inputs = body.get("inputs") or []
        if len(inputs) > 1000:
            return _bad(f"at most 1000 inputs, got {len(inputs)}")
        results = []
        for item in inputs:
            from_id = str(item.get("id"))
            items = targets(from_id)
            if not items:
                continue  # HubSpot leaves out inputs without associations
            start = int(item.get("after") or 0)
            page = items[start : start + self.associations_page]
            result: dict[str, Any] = {
                "from": {"id": from_id},
                "to": [
                    {
                        "toObjectId": int(i) if i.isdigit() else i,
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}
                        ],
                    }
                    for i in page
                ],
            }
            if start + self.associations_page < len(items):
                result["paging"] = {"next": {"after": str(start + self.associations_page)}}
            results.append(result)
        text = json.dumps(
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": "2026-11-25T12:00:00.000Z",
                "completedAt": "2026-11-25T12:00:00.050Z",
            }
        )
        return web.Response(text=text, content_type="application/json")
