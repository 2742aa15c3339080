"""Publishing the App Home tab: when someone opens it, and again from its pipeline picker and Refresh.

The tab is never blank: a "reading your CRM" view is published at once, then the engines' scores and
the viewer's own deals at risk (matched by the e-mail on their Slack profile). A read that fails
publishes the reason with a "Try again" button. Slack's event retries were already dropped by
:mod:`bot.listeners.retries`, so one opening publishes once. The listeners for the opening
(:mod:`bot.listeners.events`) and the tab's controls (:mod:`bot.listeners.actions`) both call
:func:`publish_home`.

Opening the tab is not asking for a report, so nothing is recorded in the report history (a tab
opened fifty times a day would otherwise reset every card's "since last week" to minutes ago). The
trend shown is read from the history instead: the change since the last report recorded there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackClientError
from slack_sdk.models.blocks import ContextBlock, DividerBlock, MarkdownTextObject
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.answering import BotDeps
from bot.answers.status import mirror_line
from bot.blocks import compose_home, home_error_view, home_loading_view
from bot.errors import user_text
from bot.slack.errors import slack_error_code
from bot.storage.history import Trend
from engines import EngineName, EngineReport

__all__ = ["publish_home"]

log = logging.getLogger(__name__)


async def publish_home(
    client: AsyncWebClient,
    user_id: str,
    pipeline: str | None,
    deps: BotDeps,
    *,
    refresh: bool = False,
    team_id: str | None = None,
) -> None:
    """Publish the loading view, then the tab for ``pipeline`` (``None``: all) with the thresholds of
    workspace ``team_id``. Never raises."""
    if not await _publish(client, user_id, home_loading_view(pipeline)):
        return  # Slack refused even the loading view (revoked token, unknown user): nothing to update
    view: View
    try:
        config = (await deps.settings_for(team_id)).analysis
        bundle = await deps.service.run(
            list(EngineName), pipeline, record=False, refresh=refresh, config=config
        )
        view = await compose_home(
            user_id,
            bundle.reports,
            bundle.snapshot,
            deps.owners,
            trends=await _last_trends(deps, bundle.reports),
            pipeline=pipeline,
            settings=deps.workspaces is not None,
        )
    except Exception as exc:
        view = home_error_view(user_text(exc, doing="building the Home tab", logger=log), pipeline)
    if deps.mirror is not None:
        line = await mirror_line(deps.mirror)
        view.blocks.append(ContextBlock(block_id="home_mirror", elements=[MarkdownTextObject(text=line)]))
    if deps.alerts is not None:
        try:
            view.blocks.extend([DividerBlock(), *await deps.alerts.home_blocks(user_id)])
        except Exception:
            log.exception("could not read the alert rules; the Home tab goes out without them")
    await _publish(client, user_id, view)


async def _publish(client: AsyncWebClient, user_id: str, view: View) -> bool:
    try:
        await client.views_publish(user_id=user_id, view=view)
    except (SlackClientError, OSError, TimeoutError) as exc:
        log.warning("views.publish failed: %s", slack_error_code(exc))
        return False
    return True


async def _last_trends(deps: BotDeps, reports: Sequence[EngineReport]) -> dict[EngineName, Trend | None]:
    """Each engine's change since the last report in the history, without recording a new one (no
    history: no trend). A storage failure costs the trend line, never the tab."""
    history = deps.service.history
    if history is None:
        return {}
    try:
        return {report.engine: await history.last_trend(report) for report in reports}
    except Exception:
        log.exception("could not read the report history; the Home tab goes out without trends")
        return {}
