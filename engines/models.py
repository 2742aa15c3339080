"""Typed models: the portal snapshot that goes into an analysis and the report that comes out.

These models are the contract between the HubSpot source, the analysis and every renderer (Slack,
terminal, JSON). The report's JSON form (``EngineReport.to_json_dict``) is documented in docs/json.md
and consumed by other tools, so field names here are stable API.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engines.dates import UtcDatetime, to_utc

__all__ = [
    "AtRiskDeal",
    "DataGap",
    "Deal",
    "EngineName",
    "EngineReport",
    "HealthLabel",
    "Metric",
    "MetricStatus",
    "Owner",
    "Pipeline",
    "PortalInfo",
    "PortalSnapshot",
    "RiskReason",
    "Signal",
    "SignalType",
    "Stage",
    "hubspot_order",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


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

    @field_validator("stage_entered_at", mode="before")
    @classmethod
    def _parse_stage_entries(cls, value: Any) -> dict[str, datetime]:
        if not isinstance(value, dict):
            return {}
        parsed: dict[str, datetime] = {}
        for stage_id, raw in value.items():
            when = to_utc(raw)
            if when is not None:
                parsed[str(stage_id)] = when
        return parsed


class PortalSnapshot(_Model):
    """Everything one answer needs from a portal, read once.

    ``pipeline_id`` is set when the snapshot was fetched for one pipeline only. ``deals_total`` is the
    number of deals the source announced; when fewer were read, ``truncated`` is true and the report
    says so (it is never silent). ``warnings`` carries anything else the reader should know.
    """

    portal: PortalInfo = Field(default_factory=PortalInfo)
    pipelines: tuple[Pipeline, ...] = ()
    owners: tuple[Owner, ...] = ()
    deals: tuple[Deal, ...] = ()
    taken_at: datetime
    source: str = "sample"
    pipeline_id: str | None = None
    lookback_days: int | None = None
    deals_total: int | None = None
    truncated: bool = False
    warnings: tuple[str, ...] = ()

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
        if self.portal.portal_id is None:
            return None
        return f"https://{self.portal.ui_domain}/contacts/{self.portal.portal_id}/record/0-3/{deal_id}"


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
    warnings: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The stable JSON form documented in docs/json.md (datetimes as ISO-8601 UTC strings)."""
        return self.model_dump(mode="json")
