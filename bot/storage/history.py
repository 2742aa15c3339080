"""Trends: how a report moved since the previous one for the same engine and pipeline.

The card renderer shows a :class:`Trend` when it has one ("▲ 8 since Mon 17 Nov"); the report store
(:class:`bot.storage.ReportStore`) records every report and computes it. :class:`ReportHistory` is the
seam between the report service and the store, so the command path works with or without storage.
Both live here, under the renderers and the answers, because both of those use them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from engines import EngineReport

__all__ = ["ReportHistory", "Trend"]


class Trend(BaseModel):
    model_config = ConfigDict(frozen=True)

    previous_at: datetime
    previous_score: int | None = None
    score_delta: int | None = None
    metric_deltas: dict[str, float] = Field(default_factory=dict)


class ReportHistory(Protocol):
    """Stores every report produced and tells how it moved since the previous one."""

    async def record(self, report: EngineReport) -> Trend | None:
        """Store ``report``; return its change since the previous report of the same engine and
        pipeline, or ``None`` when this is the first one."""
        ...

    async def last_trend(self, report: EngineReport) -> Trend | None:
        """``report``'s change since the last report recorded for its engine and pipeline, without
        recording it (the App Home tab shows trends but is not a report); ``None`` when there is none."""
        ...
