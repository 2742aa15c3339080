"""The App Home tab: published when someone opens it, and again from its pipeline picker and Refresh.

The tab is never blank: a "reading your CRM" view is published at once, then the engines' scores and
the viewer's own deals at risk (matched by the e-mail on their Slack profile). A read that fails
publishes the reason with a "Try again" button. Slack's event retries were already dropped by
:mod:`bot.listeners.events.retries`, so one opening publishes once.

Opening the tab is not asking for a report, so nothing is recorded in the report history (a tab
opened fifty times a day would otherwise reset every card's "since last week" to minutes ago). The
trend shown is read from the history instead: the change since the last report recorded there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackClientError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.answering import BotDeps
from bot.blocks import compose_home, home_error_view, home_loading_view
from bot.blocks.ids import home_pipeline_from_metadata
from bot.errors import user_text
from bot.slack.errors import slack_error_code
from bot.storage.history import Trend
from engines import EngineName, EngineReport

__all__ = ["handle_app_home_opened", "publish_home"]

log = logging.getLogger(__name__)


async def handle_app_home_opened(event: dict[str, Any], client: AsyncWebClient, deps: BotDeps) -> None:
    if event.get("tab") != "home" or not event.get("user"):
        return  # the Messages tab (disabled in the manifest) or a malformed event
    pipeline = home_pipeline_from_metadata((event.get("view") or {}).get("private_metadata"))
    await publish_home(client, str(event["user"]), pipeline, deps)


async def publish_home(
    client: AsyncWebClient, user_id: str, pipeline: str | None, deps: BotDeps, *, refresh: bool = False
) -> None:
    """Publish the loading view, then the tab for ``pipeline`` (``None``: all). Never raises."""
    if not await _publish(client, user_id, home_loading_view(pipeline)):
        return  # Slack refused even the loading view (revoked token, unknown user): nothing to update
    view: View
    try:
        bundle = await deps.service.run(list(EngineName), pipeline, record=False, refresh=refresh)
        view = await compose_home(
            user_id,
            bundle.reports,
            bundle.snapshot,
            deps.owners,
            trends=await _last_trends(deps, bundle.reports),
            pipeline=pipeline,
        )
    except Exception as exc:
        view = home_error_view(user_text(exc, doing="building the Home tab", logger=log), pipeline)
    await _publish(client, user_id, view)


async def _publish(client: AsyncWebClient, user_id: str, view: View) -> bool:
    try:
        await client.views_publish(user_id=user_id, view=view)
    except (SlackClientError, OSError, TimeoutError) as exc:
        log.warning("views.publish failed: %s", slack_error_code(exc))
        return False
    return True


async def _last_trends(deps: BotDeps, reports: Sequence[EngineReport]) -> dict[EngineName, Trend | None]:
    """Each engine's change since the last report in the history, without recording a new one.

    Uses the store's read side (``history(engine, pipeline, limit=)``, as :class:`bot.storage.
    ReportStore` has) when the configured history offers it; otherwise the tab shows no trend.
    A storage failure costs the trend line, never the tab.
    """
    reader = getattr(deps.service.history, "history", None)
    if not callable(reader):
        return {}
    trends: dict[EngineName, Trend | None] = {}
    try:
        for report in reports:
            past = await reader(report.engine, report.pipeline, limit=1)
            last = past[-1] if past else None
            at = getattr(last, "recorded_at", None)
            if not isinstance(at, datetime):
                continue
            before = getattr(last, "score", None)
            delta = report.score - before if isinstance(before, int) and report.score is not None else None
            trends[report.engine] = Trend(previous_at=at, previous_score=before, score_delta=delta)
    except Exception:
        log.exception("could not read the report history; the Home tab goes out without trends")
        return {}
    return trends
