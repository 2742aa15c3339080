"""Analysis thresholds, all in one place. (Filled in by the analysis-core work, issue #2.)"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["AnalysisConfig"]


class AnalysisConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    lookback_days: int = 180
