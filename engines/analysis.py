"""Public entry points of the analysis. (Implemented by the analysis-core work, issue #2.)"""

from __future__ import annotations

from datetime import datetime

from engines.config import AnalysisConfig
from engines.models import EngineName, EngineReport, PortalSnapshot

__all__ = ["analyze", "analyze_all"]


def analyze(
    snapshot: PortalSnapshot,
    engine: EngineName | str,
    *,
    now: datetime | None = None,
    config: AnalysisConfig | None = None,
    pipeline: str | None = None,
) -> EngineReport:
    raise NotImplementedError("issue #2")


def analyze_all(
    snapshot: PortalSnapshot,
    *,
    now: datetime | None = None,
    config: AnalysisConfig | None = None,
    pipeline: str | None = None,
) -> list[EngineReport]:
    raise NotImplementedError("issue #2")
