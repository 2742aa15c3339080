"""The chart value object and the small helpers the four charts share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from engines import Pipeline

__all__ = ["ALT_TEXT_MAX", "Chart", "ScorePoint", "clip_alt", "stage_labels"]

# Slack: files.getUploadURLExternal's alt_txt is at most 1,000 characters (image blocks allow 2,000).
ALT_TEXT_MAX = 1000


@dataclass(frozen=True, slots=True)
class Chart:
    """One rendered chart. ``kind`` names the chart type and is the PNG's file name stem."""

    kind: str
    title: str
    alt_text: str
    png: bytes

    @property
    def filename(self) -> str:
        return f"{self.kind}.png"


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """One past report's score (``None``: that report had too little data for a score)."""

    at: datetime
    score: int | None


def clip_alt(text: str) -> str:
    return text if len(text) <= ALT_TEXT_MAX else text[: ALT_TEXT_MAX - 1].rstrip() + "…"


def stage_labels(pipelines: Iterable[Pipeline]) -> dict[str, str]:
    """Stage id -> label, pipelines and stages in display order (the order the stage charts use)."""
    labels: dict[str, str] = {}
    for pipeline in sorted(pipelines, key=lambda p: (p.display_order, p.id)):
        for stage in pipeline.ordered_stages:
            labels.setdefault(stage.id, stage.label)
    return labels
