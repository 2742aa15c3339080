"""The week in review for a scheduled post: how each engine's score moved over the last 7 days.

Call it after the run's reports were recorded (the report service records them), so "latest" is the
report being posted; append the blocks to the cards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from bot.blocks.kit import context, section
from bot.blocks.mrkdwn import format_date
from bot.storage import ReportStore, Schedule, ScoreChange

__all__ = ["change_text", "summary_blocks", "weekly_summary_blocks"]


def change_text(change: ScoreChange) -> str:
    """``growth ▲ 8 (72)``, ``fulfillment ▼ 3 (55)``, ``innovation ＝ (40)`` or ``growth 72 (first)``."""
    name = change.engine.value
    latest = "n/a" if change.latest_score is None else str(change.latest_score)
    delta = change.delta
    if change.baseline_at is None:
        return f"{name} {latest} (first report)"
    if delta is None:
        return f"{name} {latest} (no comparable score)"
    if delta > 0:
        return f"{name} ▲ {delta} ({latest})"
    if delta < 0:
        return f"{name} ▼ {-delta} ({latest})"
    return f"{name} ＝ ({latest})"


def _since(baseline_at: datetime | None, zone: ZoneInfo) -> str:
    return f" since {format_date(baseline_at, zone, year=False)}" if baseline_at else ""


def summary_blocks(changes: Sequence[ScoreChange], *, zone: ZoneInfo) -> list[Block]:
    """Blocks for the week in review; empty when there is nothing recorded to compare."""
    if not changes:
        return []
    days = {format_date(c.baseline_at, zone, year=False) for c in changes if c.baseline_at is not None}
    if len(days) == 1:
        line = f"since {days.pop()}: " + ", ".join(change_text(c) for c in changes)
    else:
        line = ", ".join(
            change_text(c)
            + (f" since {format_date(c.baseline_at, zone, year=False)}" if c.baseline_at else "")
            for c in changes
        )
    return [
        section(f"*Week in review* {line}"),
        context("Health score change; latest score in brackets."),
    ]


async def weekly_summary_blocks(
    store: ReportStore,
    schedule: Schedule,
    now: datetime,
    *,
    pipeline_id: str | None = None,
    days: int = 7,
) -> list[Block]:
    """The week in review for ``schedule``'s engines and pipeline, dates in its time zone.

    History is keyed by pipeline *id* while a schedule keeps what the person typed (often the label),
    so pass the id the reports were made for (``EngineReport.pipeline``) when the schedule names one.
    """
    pipeline = pipeline_id if pipeline_id is not None else schedule.pipeline
    changes = await store.changes_since(schedule.engines, pipeline, now - timedelta(days=days))
    return summary_blocks(changes, zone=schedule.zone)
