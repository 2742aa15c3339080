"""Value engines: HubSpot JSON -> one typed portal snapshot -> one typed report per engine.

This package is the analysis core and the HubSpot source. It never imports Slack.

Public API::

    from engines import analyze, analyze_all, AnalysisConfig, EngineName, PortalSnapshot
    report = analyze(snapshot, "growth")
    reports = analyze_all(snapshot)            # shared statistics computed once for all three
"""

from __future__ import annotations

from engines.analysis import analyze, analyze_all
from engines.changes import ChangeReport, DealState, DealTimeline, compute_changes
from engines.config import AnalysisConfig
from engines.errors import (
    EngineError,
    HubSpotAuthError,
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
    Metric,
    MetricStatus,
    Owner,
    Pipeline,
    PortalInfo,
    PortalSnapshot,
    RiskReason,
    Signal,
    SignalType,
    Stage,
)
from engines.source import Progress, ProgressCallback, SampleSource, SnapshotSource

__all__ = [
    "AnalysisConfig",
    "AtRiskDeal",
    "ChangeReport",
    "DataGap",
    "Deal",
    "DealState",
    "DealTimeline",
    "EngineError",
    "EngineName",
    "EngineReport",
    "HealthLabel",
    "HubSpotAuthError",
    "HubSpotError",
    "HubSpotRateLimitError",
    "HubSpotResponseError",
    "HubSpotScopeError",
    "HubSpotUnavailableError",
    "Metric",
    "MetricStatus",
    "Owner",
    "Pipeline",
    "PortalInfo",
    "PortalSnapshot",
    "Progress",
    "ProgressCallback",
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
    "compute_changes",
]
