"""Typed models: the portal snapshot that goes into an analysis and the report that comes out.

These models are the contract between the HubSpot source, the analysis and every renderer (Slack,
terminal, JSON). The report's JSON form (``EngineReport.to_json_dict``) is documented in docs/json.md
and consumed by other tools, so field names here are stable API.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidatorFunctionWrapHandler, field_validator

from engines.dates import UtcDatetime, to_utc

__all__ = [
    "READ_SCOPES",
    "AtRiskDeal",
    "Contact",
    "DataGap",
    "Deal",
    "EngineName",
    "EngineReport",
    "FeedbackSubmission",
    "GoalTarget",
    "HealthLabel",
    "LineItem",
    "Metric",
    "MetricStatus",
    "ObjectRead",
    "ObjectType",
    "OverdueTicket",
    "Owner",
    "Pipeline",
    "PortalInfo",
    "PortalSnapshot",
    "Product",
    "ReadState",
    "RiskReason",
    "Signal",
    "SignalType",
    "Stage",
    "Ticket",
    "hubspot_order",
    "parse_number",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


def parse_number(value: Any) -> float | None:
    """A CRM number (HubSpot sends strings, sometimes with thousands separators), or ``None``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _parse_entries(value: Any) -> dict[str, datetime]:
    if not isinstance(value, dict):
        return {}
    parsed: dict[str, datetime] = {}
    for stage_id, raw in value.items():
        when = to_utc(raw)
        if when is not None:
            parsed[str(stage_id)] = when
    return parsed


# --------------------------------------------------------------------------- portal snapshot


class Stage(_Model):
    """A deal stage. ``is_closed``/``probability`` come from HubSpot's stage metadata, never the label."""

    id: str
    label: str
    display_order: int = 0
    is_closed: bool = False
    probability: float | None = None
    archived: bool = False

    @property
    def is_won(self) -> bool:
        """A closed stage with probability 1 is won; any other closed stage is lost."""
        return self.is_closed and self.probability is not None and math.isclose(self.probability, 1.0)

    @property
    def is_lost(self) -> bool:
        return self.is_closed and not self.is_won


def hubspot_order(item: Stage | Pipeline) -> tuple[int, str, str, str]:
    """HubSpot's display order: ``display_order``, then alphabetically by label (case-insensitive)
    for equal values; the exact label and the id only make the order total."""
    return (item.display_order, item.label.casefold(), item.label, item.id)


class Pipeline(_Model):
    id: str
    label: str
    display_order: int = 0
    archived: bool = False
    stages: tuple[Stage, ...] = ()

    @property
    def ordered_stages(self) -> tuple[Stage, ...]:
        """Stages as HubSpot lists them: by ``display_order``, ties alphabetically by label."""
        return tuple(sorted(self.stages, key=hubspot_order))

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        """Active, not-closed stages in display order: the funnel a deal moves through."""
        return tuple(s for s in self.ordered_stages if not s.is_closed and not s.archived)

    def stage(self, stage_id: str | None) -> Stage | None:
        if stage_id is None:
            return None
        for s in self.stages:
            if s.id == stage_id:
                return s
        return None


class Owner(_Model):
    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    archived: bool = False

    @property
    def name(self) -> str:
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        return full or self.email or f"Owner {self.id}"


class PortalInfo(_Model):
    portal_id: int | None = None
    time_zone: str = "UTC"
    currency: str = "USD"
    ui_domain: str = "app.hubspot.com"


class Deal(_Model):
    """One HubSpot deal, parsed. Values HubSpot could not give us are ``None``, never guessed.

    ``amount`` is ``None`` when the CRM value is missing or not a number (the analysis counts it as 0
    and reports it as data quality). ``stage_entered_at`` maps a stage id to the moment the deal
    entered that stage (HubSpot's ``hs_v2_date_entered_<stage>``, or the older ``hs_date_entered_``).
    """

    id: str
    name: str | None = None
    amount: float | None = None
    pipeline_id: str | None = None
    stage_id: str | None = None
    owner_id: str | None = None
    deal_type: str | None = None
    currency: str | None = None
    created_at: UtcDatetime = None
    close_date: UtcDatetime = None
    last_activity_at: UtcDatetime = None
    last_modified_at: UtcDatetime = None
    stage_entered_at: dict[str, datetime] = Field(default_factory=dict)
    archived: bool = False

    @field_validator("amount", mode="before")
    @classmethod
    def _parse_amount(cls, value: Any) -> float | None:
        return parse_number(value)

    @field_validator("stage_entered_at", mode="before")
    @classmethod
    def _parse_stage_entries(cls, value: Any) -> dict[str, datetime]:
        return _parse_entries(value)


# --------------------------------------------------------------------------- other CRM objects
#
# One record type per HubSpot object the engines read besides deals. Each has HubSpot's ``id``, the
# fields the metrics use (parsed leniently, like deals: unreadable values are ``None``, never guessed)
# and ``last_modified_at``, so a store can keep them generically as (object type, id, properties,
# last modified) and rebuild the records with ``engines.hubspot._mapping.to_record``.


class ObjectType(StrEnum):
    """HubSpot's names of the objects the engines read besides deals (their API path segment)."""

    CONTACTS = "contacts"
    TICKETS = "tickets"
    FEEDBACK_SUBMISSIONS = "feedback_submissions"
    PRODUCTS = "products"
    LINE_ITEMS = "line_items"
    GOAL_TARGETS = "goal_targets"


# The read scope that unlocks each object type (HubSpot's scope names; feedback submissions also
# accept crm.objects.contacts.read on the v3 and 2026-03 paths, ``tickets`` covers ticket pipelines).
READ_SCOPES: dict[ObjectType, str] = {
    ObjectType.CONTACTS: "crm.objects.contacts.read",
    ObjectType.TICKETS: "tickets",
    ObjectType.FEEDBACK_SUBMISSIONS: "crm.objects.feedback_submissions.read",
    ObjectType.PRODUCTS: "crm.objects.products.read",
    ObjectType.LINE_ITEMS: "crm.objects.line_items.read",
    ObjectType.GOAL_TARGETS: "crm.objects.goals.read",
}


class ReadState(StrEnum):
    READ = "read"
    SCOPE_REFUSED = "scope_refused"  # HubSpot answered 403 MISSING_SCOPES
    NOT_READ = "not_read"  # the source does not read this object type


class ObjectRead(_Model):
    """Whether an object type was read; ``scopes`` are the ones HubSpot asked for when it refused."""

    state: ReadState = ReadState.NOT_READ
    scopes: tuple[str, ...] = ()


class Contact(_Model):
    """A contact. ``stage_entered_at`` maps a lifecycle stage id (``lead``, ``customer``, a custom
    numeric id) to when the contact entered it (HubSpot's ``hs_v2_date_entered_<stage>``)."""

    id: str
    lifecycle_stage: str | None = None
    created_at: UtcDatetime = None
    last_modified_at: UtcDatetime = None
    stage_entered_at: dict[str, datetime] = Field(default_factory=dict)

    @field_validator("stage_entered_at", mode="before")
    @classmethod
    def _parse_stage_entries(cls, value: Any) -> dict[str, datetime]:
        return _parse_entries(value)


class Ticket(_Model):
    """A ticket. Whether it is closed comes from its stage's ``ticketState`` in ``ticket_pipelines``."""

    id: str
    subject: str | None = None
    pipeline_id: str | None = None
    stage_id: str | None = None
    category: str | None = None
    owner_id: str | None = None
    created_at: UtcDatetime = None
    closed_at: UtcDatetime = None
    last_modified_at: UtcDatetime = None


class FeedbackSubmission(_Model):
    """A survey response (NPS, CSAT, CES, custom). ``value`` is ``hs_value`` when it is a number."""

    id: str
    survey_type: str | None = None
    value: float | None = None
    response_group: str | None = None
    content: str | None = None
    submitted_at: UtcDatetime = None
    created_at: UtcDatetime = None
    last_modified_at: UtcDatetime = None

    @field_validator("value", mode="before")
    @classmethod
    def _parse_value(cls, value: Any) -> float | None:
        return parse_number(value)

    @property
    def answered_at(self) -> datetime | None:
        """``hs_submission_timestamp``, else ``hs_createdate``: when the answer counts."""
        return self.submitted_at or self.created_at


class Product(_Model):
    id: str
    name: str | None = None
    created_at: UtcDatetime = None
    last_modified_at: UtcDatetime = None


class LineItem(_Model):
    """A line item and the deal it belongs to (through the deal -> line item associations)."""

    id: str
    deal_id: str | None = None
    product_id: str | None = None
    name: str | None = None
    amount: float | None = None
    last_modified_at: UtcDatetime = None

    @field_validator("amount", mode="before")
    @classmethod
    def _parse_amount(cls, value: Any) -> float | None:
        return parse_number(value)


class GoalTarget(_Model):
    """A HubSpot goal target: ``target_amount`` to reach in ``[start_at, end_at)``."""

    id: str
    name: str | None = None
    target_amount: float | None = None
    start_at: UtcDatetime = None
    end_at: UtcDatetime = None
    last_modified_at: UtcDatetime = None

    @field_validator("target_amount", mode="before")
    @classmethod
    def _parse_amount(cls, value: Any) -> float | None:
        return parse_number(value)


class PortalSnapshot(_Model):
    """Everything one answer needs from a portal, read once.

    ``pipeline_id`` is set when the snapshot was fetched for one pipeline only. ``deals_total`` is the
    number of deals the source announced; when fewer were read, ``truncated`` is true and the report
    says so (it is never silent). ``warnings`` carries anything else the reader should know.
    """

    portal: PortalInfo = Field(default_factory=PortalInfo)
    pipelines: tuple[Pipeline, ...] = ()
    owners: tuple[Owner, ...] = ()
    deals: Sequence[Deal] = ()  # an engines.deal_table.DealTable once validated (see _columns)
    taken_at: datetime
    source: str = "sample"
    pipeline_id: str | None = None
    lookback_days: int | None = None
    deals_total: int | None = None
    truncated: bool = False
    warnings: tuple[str, ...] = ()
    # Other CRM objects (empty unless the source read them; ``object_reads`` says which it did).
    contacts: tuple[Contact, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    ticket_pipelines: tuple[Pipeline, ...] = ()  # a stage is closed when its ticketState is CLOSED
    feedback: tuple[FeedbackSubmission, ...] = ()
    products: tuple[Product, ...] = ()
    line_items: tuple[LineItem, ...] = ()
    goals: tuple[GoalTarget, ...] = ()
    object_reads: dict[ObjectType, ObjectRead] = Field(default_factory=dict)

    @field_validator("deals", mode="wrap")
    @classmethod
    def _columns(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Sequence[Deal]:
        """The deals as columns (:mod:`engines.deal_table`): built once here, read by every analysis
        of the snapshot; a table is taken as it is (it holds parsed deals already)."""
        from engines.deal_table import DealTable  # it builds Deal models: imported on first use

        if isinstance(value, DealTable):
            return value
        return DealTable.from_deals(handler(value))

    @field_validator("taken_at", mode="before")
    @classmethod
    def _aware(cls, value: Any) -> datetime:
        parsed = to_utc(value)
        if parsed is None:
            raise ValueError("taken_at must be a date-time")
        return parsed

    def pipeline(self, pipeline_id: str | None) -> Pipeline | None:
        for p in self.pipelines:
            if p.id == pipeline_id:
                return p
        return None

    def find_pipeline(self, id_or_label: str) -> Pipeline | None:
        """A pipeline by id, or by label case-insensitively (what a person types in Slack)."""
        wanted = id_or_label.strip()
        for p in self.pipelines:
            if p.id == wanted:
                return p
        folded = wanted.casefold()
        for p in self.pipelines:
            if p.label.strip().casefold() == folded:
                return p
        return None

    def owner(self, owner_id: str | None) -> Owner | None:
        if owner_id is None:
            return None
        for o in self.owners:
            if o.id == owner_id:
                return o
        return None

    def deal_url(self, deal_id: str) -> str | None:
        """Deep link to the deal in HubSpot, or ``None`` when the portal id is unknown."""
        return self.record_url("0-3", deal_id)

    def ticket_url(self, ticket_id: str) -> str | None:
        """Deep link to the ticket in HubSpot, or ``None`` when the portal id is unknown."""
        return self.record_url("0-5", ticket_id)

    def record_url(self, object_type_id: str, record_id: str) -> str | None:
        """Deep link to a CRM record by HubSpot's object type id (``0-3`` deals, ``0-5`` tickets)."""
        if self.portal.portal_id is None:
            return None
        return f"https://{self.portal.ui_domain}/contacts/{self.portal.portal_id}/record/{object_type_id}/{record_id}"

    def object_read(self, object_type: ObjectType) -> ObjectRead:
        """How ``object_type`` was read; not listed means the source did not read it."""
        return self.object_reads.get(object_type) or ObjectRead()


# --------------------------------------------------------------------------- engine report


class EngineName(StrEnum):
    GROWTH = "growth"
    FULFILLMENT = "fulfillment"
    INNOVATION = "innovation"


class HealthLabel(StrEnum):
    HEALTHY = "Healthy"
    WARNING = "Warning"
    CRITICAL = "Critical"
    INSUFFICIENT_DATA = "Insufficient data"


class MetricStatus(StrEnum):
    HEALTHY = "healthy"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"


class SignalType(StrEnum):
    VELOCITY_ANOMALY = "velocity_anomaly"
    CONVERSION_DROP_OFF = "conversion_drop_off"
    WIN_LOSS_PATTERN = "win_loss_pattern"
    ATTRIBUTION_SHIFT = "attribution_shift"
    DATA_QUALITY = "data_quality"
    FEEDBACK_DROP = "feedback_drop"


class RiskReason(StrEnum):
    NO_RECENT_ACTIVITY = "no_recent_activity"
    PAST_CLOSE_DATE = "past_close_date"
    OPEN_TOO_LONG = "open_too_long"


MetricValue = float | int | dict[str, float] | None


class Metric(_Model):
    """One measured number. ``value`` is ``None`` (and status unknown) when it cannot be computed."""

    label: str
    value: MetricValue = None
    unit: str = ""
    status: MetricStatus = MetricStatus.UNKNOWN
    note: str = ""
    benchmark: float | None = None


class Signal(_Model):
    type: SignalType
    name: str
    strength: float = Field(ge=0.0, le=1.0)
    evidence: dict[str, Any] = Field(default_factory=dict)
    recommended_action: str = ""
    deal_ids: tuple[str, ...] = ()


class DataGap(_Model):
    key: str
    missing: str
    unlocks: str


class AtRiskDeal(_Model):
    id: str
    name: str | None = None
    amount: float | None = None
    stage_id: str | None = None
    stage_label: str | None = None
    pipeline_id: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    reasons: tuple[RiskReason, ...] = ()
    days_in_stage: float | None = None
    days_since_activity: float | None = None
    close_date: datetime | None = None
    url: str | None = None


class OverdueTicket(_Model):
    """An onboarding ticket open longer than ``AnalysisConfig.onboarding_overdue_days``."""

    id: str
    subject: str | None = None
    pipeline_id: str | None = None
    stage_id: str | None = None
    stage_label: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    created_at: datetime | None = None
    days_open: float | None = None
    url: str | None = None


class EngineReport(_Model):
    engine: EngineName
    score: int | None = Field(default=None, ge=0, le=100)
    label: HealthLabel = HealthLabel.INSUFFICIENT_DATA
    purpose: str = ""
    pipeline: str | None = None
    pipeline_label: str | None = None
    as_of: datetime
    source: str = "sample"
    time_zone: str = "UTC"
    currency: str = "USD"
    deals_analyzed: int = 0
    metrics: dict[str, Metric] = Field(default_factory=dict)
    signals: tuple[Signal, ...] = ()
    data_gaps: tuple[DataGap, ...] = ()
    at_risk: tuple[AtRiskDeal, ...] = ()
    overdue_onboardings: tuple[OverdueTicket, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The stable JSON form documented in docs/json.md (datetimes as ISO-8601 UTC strings)."""
        return self.model_dump(mode="json")
