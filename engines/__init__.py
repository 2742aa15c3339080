"""Value engines: HubSpot JSON -> one typed portal snapshot -> one typed report per engine.

This package is the analysis core and the HubSpot source. It never imports Slack.

Public API::

    from engines import analyze, analyze_all, AnalysisConfig, EngineName, PortalSnapshot
    report = analyze(snapshot, "growth")
    reports = analyze_all(snapshot)            # shared statistics computed once for all three
"""

from __future__ import annotations

from engines.analysis import analyze, analyze_all
from engines.changes import (
    BUCKETS,
    MOVES,
    ChangedDeal,
    ChangeGroup,
    ChangeReport,
    DealState,
    DealTimeline,
    cents,
    compute_changes,
    deal_state,
    deal_states,
    stage_order,
)
from engines.config import AnalysisConfig
from engines.dates import days_between, to_utc, utc_now
from engines.deal_lookup import find_deals, matches_exactly
from engines.deal_table import (
    NO_DATE,
    DealColumns,
    DealTable,
    deal_table,
    deals_by_id,
    from_micros,
    to_micros,
)
from engines.errors import (
    EngineError,
    HubSpotAuthError,
    HubSpotBadRequestError,
    HubSpotError,
    HubSpotRateLimitError,
    HubSpotResponseError,
    HubSpotScopeError,
    HubSpotUnavailableError,
    UnknownEngineError,
    UnknownPipelineError,
)
from engines.models import (
    AtRiskDeal,
    DataGap,
    Deal,
    EngineName,
    EngineReport,
    HealthLabel,
    LineItem,
    Metric,
    MetricStatus,
    ObjectRead,
    ObjectType,
    OverdueTicket,
    Owner,
    Pipeline,
    PortalInfo,
    PortalSnapshot,
    ReadState,
    RiskReason,
    Signal,
    SignalType,
    Stage,
    parse_number,
)
from engines.source import Progress, ProgressCallback, SampleSource, SnapshotSource

__all__ = [
    "BUCKETS",
    "MOVES",
    "NO_DATE",
    "AnalysisConfig",
    "AtRiskDeal",
    "ChangeGroup",
    "ChangeReport",
    "ChangedDeal",
    "DataGap",
    "Deal",
    "DealColumns",
    "DealState",
    "DealTable",
    "DealTimeline",
    "EngineError",
    "EngineName",
    "EngineReport",
    "HealthLabel",
    "HubSpotAuthError",
    "HubSpotBadRequestError",
    "HubSpotError",
    "HubSpotRateLimitError",
    "HubSpotResponseError",
    "HubSpotScopeError",
    "HubSpotUnavailableError",
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
    "Progress",
    "ProgressCallback",
    "ReadState",
    "RiskReason",
    "SampleSource",
    "Signal",
    "SignalType",
    "SnapshotSource",
    "Stage",
    "UnknownEngineError",
    "UnknownPipelineError",
    "analyze",
    "analyze_all",
    "cents",
    "compute_changes",
    "days_between",
    "deal_state",
    "deal_states",
    "deal_table",
    "deals_by_id",
    "find_deals",
    "from_micros",
    "matches_exactly",
    "parse_number",
    "stage_order",
    "to_micros",
    "to_utc",
    "utc_now",
]
