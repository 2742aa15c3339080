"""HubSpot JSON -> :mod:`engines.models`.

The raw shapes are declared as small pydantic models so a response that is not what HubSpot
documents fails validation in one place and becomes a :class:`HubSpotResponseError` naming the
endpoint, instead of a ``KeyError`` somewhere in the analysis. Every deal property value arrives as a
string or ``null``; :class:`engines.models.Deal` already parses amounts and dates leniently, so this
module only decides which property feeds which field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines.errors import HubSpotResponseError
from engines.models import (
    Contact,
    Deal,
    FeedbackSubmission,
    GoalTarget,
    LineItem,
    ObjectType,
    Owner,
    Pipeline,
    PortalInfo,
    Product,
    Stage,
    Ticket,
    hubspot_order,
)

__all__ = [
    "ASSOCIATED_DEAL",
    "BASE_DEAL_PROPERTIES",
    "CURRENT_STAGE_ENTERED",
    "OBJECT_SPECS",
    "CrmRecord",
    "ObjectSpec",
    "RawDeal",
    "RawOwnersPage",
    "RawSearchPage",
    "StageKeys",
    "next_after",
    "parse_account",
    "parse_owners",
    "parse_pipelines",
    "parse_ticket_pipelines",
    "property_text",
    "stage_entry_properties",
    "stage_keys",
    "to_deal",
    "to_record",
    "validate",
    "validate_json",
]

# Only what the analysis reads: less to transfer, and HubSpot's search cost grows with properties.
BASE_DEAL_PROPERTIES: tuple[str, ...] = (
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
    "hs_v2_date_entered_current_stage",
)
V2_ENTERED = "hs_v2_date_entered_"
# When the deal entered the stage it is in: the time in stage of a deal whose stage the pipeline no
# longer lists (so no hs_v2_date_entered_<stage> property was asked for).
CURRENT_STAGE_ENTERED = "hs_v2_date_entered_current_stage"
V1_ENTERED = "hs_date_entered_"


class _Raw(BaseModel):
    # HubSpot ids are strings, but some older payloads carry numbers: accept both as text.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class _RawNext(_Raw):
    after: str


class _RawPaging(_Raw):
    next: _RawNext | None = None


class RawStage(_Raw):
    id: str
    label: str = ""
    displayOrder: int = 0
    archived: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)


class RawPipeline(_Raw):
    id: str
    label: str = ""
    displayOrder: int = 0
    archived: bool = False
    stages: list[RawStage] = Field(default_factory=list)


class RawPipelines(_Raw):
    results: list[RawPipeline]


class RawOwner(_Raw):
    id: str
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    archived: bool = False


class RawOwnersPage(_Raw):
    results: list[RawOwner]
    paging: _RawPaging | None = None


class RawAccount(_Raw):
    portalId: int | None = None
    timeZone: str | None = None
    companyCurrency: str | None = None
    uiDomain: str | None = None


class RawDeal(_Raw):
    id: str
    properties: dict[str, str | None] = Field(default_factory=dict)
    archived: bool = False


class RawSearchPage(_Raw):
    total: int | None = None
    results: list[RawDeal]
    paging: _RawPaging | None = None


RawT = TypeVar("RawT", bound=_Raw)
ItemT = TypeVar("ItemT", Stage, Pipeline)


def validate(model: type[RawT], data: Mapping[str, Any], endpoint: str) -> RawT:
    """Validate a response body, turning a shape mismatch into an error that names the endpoint."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _shape_error(exc, endpoint) from None


def validate_json(model: type[RawT], content: bytes, endpoint: str) -> RawT:
    """Parse and validate a response body in one pass (pydantic's JSON parser, no dict in between)."""
    try:
        return model.model_validate_json(content)
    except ValidationError as exc:
        if any(error.get("type") == "json_invalid" for error in exc.errors()):
            raise HubSpotResponseError(
                f"HubSpot sent a response from {endpoint} that is not valid JSON ({len(content)} bytes). "
                "Try again; if it persists, HubSpot may be degraded."
            ) from None
        if any(error.get("type") == "model_type" and not error.get("loc") for error in exc.errors()):
            raise HubSpotResponseError(
                f"HubSpot sent an unexpected response from {endpoint}: a JSON object was expected."
            ) from None
        raise _shape_error(exc, endpoint) from None


def _shape_error(exc: ValidationError, endpoint: str) -> HubSpotResponseError:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    problem = first.get("msg", "is invalid")
    return HubSpotResponseError(f"HubSpot sent an unexpected response from {endpoint}: '{where}' {problem}.")


def next_after(paging: _RawPaging | None) -> str | None:
    return paging.next.after if paging is not None and paging.next is not None else None


def _flag(value: Any) -> bool:
    return str(value).strip().lower() == "true" if value is not None else False


def _probability(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _text(value: str | None) -> str | None:
    """HubSpot sends '' for a cleared property; the models use ``None`` for "not known"."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


property_text = _text  # public name: the bot's in-memory mirror reads text properties the same way


def parse_pipelines(body: Mapping[str, Any], endpoint: str) -> tuple[Pipeline, ...]:
    """Pipelines and their stages in the order HubSpot shows them: by ``displayOrder``, and
    alphabetically by label where several share one (HubSpot's documented rule for pipelines, which
    its board applies to stages too). Funnels, conversion pairs and pick lists follow this order."""
    raw = validate(RawPipelines, body, endpoint)
    pipelines = (
        Pipeline(
            id=p.id,
            label=p.label or p.id,
            display_order=p.displayOrder,
            archived=p.archived,
            stages=_in_hubspot_order(
                Stage(
                    id=s.id,
                    label=s.label or s.id,
                    display_order=s.displayOrder,
                    is_closed=_flag(s.metadata.get("isClosed")),
                    probability=_probability(s.metadata.get("probability")),
                    archived=s.archived,
                )
                for s in p.stages
            ),
        )
        for p in raw.results
    )
    return _in_hubspot_order(pipelines)


def _in_hubspot_order(items: Iterable[ItemT]) -> tuple[ItemT, ...]:
    return tuple(sorted(items, key=hubspot_order))


def parse_owners(body: Mapping[str, Any], endpoint: str) -> tuple[list[Owner], str | None]:
    """One page of owners and the cursor of the next page (``None`` on the last page)."""
    raw = validate(RawOwnersPage, body, endpoint)
    owners = [
        Owner(
            id=o.id,
            email=_text(o.email),
            first_name=_text(o.firstName),
            last_name=_text(o.lastName),
            archived=o.archived,
        )
        for o in raw.results
    ]
    return owners, next_after(raw.paging)


def parse_account(body: Mapping[str, Any], endpoint: str) -> PortalInfo:
    raw = validate(RawAccount, body, endpoint)
    defaults = PortalInfo()
    return PortalInfo(
        portal_id=raw.portalId,
        time_zone=_text(raw.timeZone) or defaults.time_zone,
        currency=_text(raw.companyCurrency) or defaults.currency,
        ui_domain=_text(raw.uiDomain) or defaults.ui_domain,
    )


def stage_entry_properties(stage_ids: Iterable[str]) -> list[str]:
    """The stage-entry timestamp properties to ask for: the v2 name and the older one per stage."""
    names: list[str] = []
    for stage_id in stage_ids:
        names.append(f"{V2_ENTERED}{stage_id}")
        names.append(f"{V1_ENTERED}{stage_id}")
    return names


StageKeys = tuple[tuple[str, str, str], ...]


def stage_keys(stage_ids: Iterable[str]) -> StageKeys:
    """(stage id, v2 property, older property) per stage, built once per read rather than per deal."""
    return tuple((sid, f"{V2_ENTERED}{sid}", f"{V1_ENTERED}{sid}") for sid in stage_ids)


def to_deal(raw: RawDeal, stages: StageKeys) -> Deal:
    """One search result as a :class:`Deal`; v2 stage-entry dates win over the older names."""
    props = raw.properties
    entered: dict[str, str] = {}
    for stage_id, v2_key, v1_key in stages:
        value = props.get(v2_key) or props.get(v1_key)
        if value:
            entered[stage_id] = value  # Deal's validator parses it (and drops what is unreadable)
    current = _text(props.get("dealstage"))
    if current is not None and current not in entered and props.get(CURRENT_STAGE_ENTERED):
        entered[current] = props[CURRENT_STAGE_ENTERED] or ""
    return Deal(
        id=raw.id,
        name=_text(props.get("dealname")),
        amount=props.get("amount"),
        pipeline_id=_text(props.get("pipeline")),
        stage_id=_text(props.get("dealstage")),
        owner_id=_text(props.get("hubspot_owner_id")),
        deal_type=_text(props.get("dealtype")),
        currency=_text(props.get("deal_currency_code")),
        created_at=props.get("createdate"),
        close_date=props.get("closedate"),
        last_activity_at=props.get("notes_last_updated"),
        last_modified_at=props.get("hs_lastmodifieddate"),
        stage_entered_at=entered,
        archived=raw.archived,
    )


# --------------------------------------------------------------------------- other CRM objects
#
# Every object type besides deals maps the same way: HubSpot's ``id`` plus its property dict (string
# values or null) -> one record of engines.models. ``OBJECT_SPECS`` says, per object type, which
# properties to read and which one is its last-modified cursor, so a store (the CRM mirror) can keep
# any of them as (object type, id, properties, last modified) and rebuild records with ``to_record``.
# A line item's deal is not a property: the reader puts the deal id from the deal -> line item
# associations under ``ASSOCIATED_DEAL`` in its property dict, and the store keeps it like the others.

ASSOCIATED_DEAL = "associations.deal"
CONTACT_STAGE_PREFIX = V2_ENTERED
_CURRENT_STAGE = f"{V2_ENTERED}current_stage"

CrmRecord = Contact | Ticket | FeedbackSubmission | Product | LineItem | GoalTarget


def _contact(record_id: str, props: Mapping[str, str | None]) -> Contact:
    entered = {
        name[len(V2_ENTERED) :]: value
        for name, value in props.items()
        if value and name.startswith(V2_ENTERED) and name != _CURRENT_STAGE
    }
    return Contact(
        id=record_id,
        lifecycle_stage=_text(props.get("lifecyclestage")),
        created_at=props.get("createdate"),
        last_modified_at=props.get("lastmodifieddate"),
        stage_entered_at=entered,
    )


def _ticket(record_id: str, props: Mapping[str, str | None]) -> Ticket:
    return Ticket(
        id=record_id,
        subject=_text(props.get("subject")),
        pipeline_id=_text(props.get("hs_pipeline")),
        stage_id=_text(props.get("hs_pipeline_stage")),
        category=_text(props.get("hs_ticket_category")),
        owner_id=_text(props.get("hubspot_owner_id")),
        created_at=props.get("createdate"),
        closed_at=props.get("closed_date"),
        last_modified_at=props.get("hs_lastmodifieddate"),
    )


def _feedback(record_id: str, props: Mapping[str, str | None]) -> FeedbackSubmission:
    return FeedbackSubmission(
        id=record_id,
        survey_type=_text(props.get("hs_survey_type")),
        value=props.get("hs_value"),
        response_group=_text(props.get("hs_response_group")),
        content=_text(props.get("hs_content")),
        submitted_at=props.get("hs_submission_timestamp"),
        created_at=props.get("hs_createdate"),
        last_modified_at=props.get("hs_lastmodifieddate"),
    )


def _product(record_id: str, props: Mapping[str, str | None]) -> Product:
    return Product(
        id=record_id,
        name=_text(props.get("name")),
        created_at=props.get("createdate"),
        last_modified_at=props.get("hs_lastmodifieddate"),
    )


def _line_item(record_id: str, props: Mapping[str, str | None]) -> LineItem:
    return LineItem(
        id=record_id,
        deal_id=_text(props.get(ASSOCIATED_DEAL)),
        product_id=_text(props.get("hs_product_id")),
        name=_text(props.get("name")),
        amount=props.get("amount"),
        last_modified_at=props.get("hs_lastmodifieddate"),
    )


def _goal(record_id: str, props: Mapping[str, str | None]) -> GoalTarget:
    return GoalTarget(
        id=record_id,
        name=_text(props.get("hs_goal_name")),
        target_amount=props.get("hs_target_amount"),
        start_at=props.get("hs_start_datetime"),
        end_at=props.get("hs_end_datetime"),
        last_modified_at=props.get("hs_lastmodifieddate"),
    )


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """How one object type is read and mapped. ``properties`` are asked for explicitly (contacts add
    ``hs_v2_date_entered_<stage>`` per lifecycle stage at read time); ``modified`` is the property a
    delta sync filters on (contacts: ``lastmodifieddate``, HubSpot's documented exception)."""

    object_type: ObjectType
    properties: tuple[str, ...]
    modified: str
    build: Callable[[str, Mapping[str, str | None]], CrmRecord]


OBJECT_SPECS: dict[ObjectType, ObjectSpec] = {
    spec.object_type: spec
    for spec in (
        ObjectSpec(
            object_type=ObjectType.CONTACTS,
            properties=("lifecyclestage", "createdate", "lastmodifieddate", "hs_object_id"),
            modified="lastmodifieddate",
            build=_contact,
        ),
        ObjectSpec(
            object_type=ObjectType.TICKETS,
            properties=(
                "subject",
                "hs_pipeline",
                "hs_pipeline_stage",
                "hs_ticket_category",
                "hubspot_owner_id",
                "createdate",
                "closed_date",
                "hs_lastmodifieddate",
                "hs_object_id",
            ),
            modified="hs_lastmodifieddate",
            build=_ticket,
        ),
        ObjectSpec(
            object_type=ObjectType.FEEDBACK_SUBMISSIONS,
            properties=(
                "hs_survey_type",
                "hs_value",
                "hs_response_group",
                "hs_content",
                "hs_submission_timestamp",
                "hs_createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            ),
            modified="hs_lastmodifieddate",
            build=_feedback,
        ),
        ObjectSpec(
            object_type=ObjectType.PRODUCTS,
            properties=("name", "createdate", "hs_lastmodifieddate", "hs_object_id"),
            modified="hs_lastmodifieddate",
            build=_product,
        ),
        ObjectSpec(
            object_type=ObjectType.LINE_ITEMS,
            properties=("name", "hs_product_id", "amount", "hs_lastmodifieddate", "hs_object_id"),
            modified="hs_lastmodifieddate",
            build=_line_item,
        ),
        ObjectSpec(
            object_type=ObjectType.GOAL_TARGETS,
            properties=(
                "hs_goal_name",
                "hs_target_amount",
                "hs_start_datetime",
                "hs_end_datetime",
                "hs_lastmodifieddate",
                "hs_object_id",
            ),
            modified="hs_lastmodifieddate",
            build=_goal,
        ),
    )
}


def to_record(object_type: ObjectType, record_id: str, props: Mapping[str, str | None]) -> CrmRecord:
    """One HubSpot object (its id and property dict) as its engines.models record."""
    return OBJECT_SPECS[object_type].build(record_id, props)


def parse_ticket_pipelines(body: Mapping[str, Any], endpoint: str) -> tuple[Pipeline, ...]:
    """Ticket pipelines: a stage is closed when its ``metadata.ticketState`` is ``CLOSED``.

    Ticket stages carry ``ticketState`` (``OPEN``/``CLOSED``) where deal stages carry ``isClosed``; the
    body is parsed as deal pipelines once that is mapped, so both keep one ordering rule.
    """
    results = body.get("results")
    if isinstance(results, list):
        mapped = []
        for pipeline in results:
            if isinstance(pipeline, dict) and isinstance(pipeline.get("stages"), list):
                stages = []
                for stage in pipeline["stages"]:
                    if isinstance(stage, dict):
                        raw_meta = stage.get("metadata")
                        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
                        state = str(meta.get("ticketState") or "").upper()
                        stage = {
                            **stage,
                            "metadata": {**meta, "isClosed": "true" if state == "CLOSED" else "false"},
                        }
                    stages.append(stage)
                pipeline = {**pipeline, "stages": stages}
            mapped.append(pipeline)
        body = {**body, "results": mapped}
    return parse_pipelines(body, endpoint)
