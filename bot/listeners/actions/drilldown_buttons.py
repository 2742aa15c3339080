"""Drill-downs: "Show at-risk deals" / "Show deals" open a modal listing the deals; Previous / Next
page through it.

The click's ``trigger_id`` expires after 3 seconds, while reading the CRM may take longer, so a
small "reading your CRM" modal is opened at once and then replaced (``views.update``) by the list.
If the modal cannot be opened (trigger expired, Slack busy) and the click came from a message, the
list is sent as an ephemeral message instead; its pager then replaces that message in place.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackClientError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps
from bot.blocks import (
    DrilldownRef,
    compose_drilldown,
    drilldown_error_modal,
    drilldown_loading_modal,
    failure_message,
)
from bot.blocks.message import within_limits
from bot.errors import user_text
from bot.slack.errors import slack_error_code
from bot.slack.web import webhook_client

__all__ = ["handle_drilldown_open", "handle_drilldown_page"]

log = logging.getLogger(__name__)


async def handle_drilldown_open(
    ref: DrilldownRef, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    modal = await _open_loading_modal(client, body.get("trigger_id"), ref)
    response_url = body.get("response_url")
    if modal is None and not response_url:
        return  # nowhere to show the list (e.g. a Home tab click whose trigger expired)
    await _show(
        ref, deps, client, modal=modal, response_url=response_url, replace_original=False, team_id=_team(body)
    )


async def handle_drilldown_page(
    ref: DrilldownRef, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    view = body.get("view") or {}
    if view.get("id"):
        modal = (str(view["id"]), view.get("hash"))
        await _show(
            ref, deps, client, modal=modal, response_url=None, replace_original=False, team_id=_team(body)
        )
    elif body.get("response_url"):
        await _show(
            ref,
            deps,
            client,
            modal=None,
            response_url=body["response_url"],
            replace_original=True,
            team_id=_team(body),
        )
    else:
        log.warning("a drill-down page button arrived with nowhere to answer")


async def _open_loading_modal(
    client: AsyncWebClient, trigger_id: Any, ref: DrilldownRef
) -> tuple[str, str | None] | None:
    """Open the interim modal; ``(view id, hash)``, or ``None`` when Slack would not open it."""
    if not trigger_id:
        return None
    try:
        opened = await client.views_open(trigger_id=str(trigger_id), view=drilldown_loading_modal(ref))
    except (SlackClientError, OSError, TimeoutError) as exc:
        log.warning("views.open failed: %s", slack_error_code(exc))
        return None
    view = opened.get("view") or {}
    return (str(view["id"]), view.get("hash")) if view.get("id") else None


async def _show(
    ref: DrilldownRef,
    deps: BotDeps,
    client: AsyncWebClient,
    *,
    modal: tuple[str, str | None] | None,
    response_url: str | None,
    replace_original: bool,
    team_id: str | None,
) -> None:
    """Read, compose and deliver one page; failures become a message in the same place."""
    as_modal = modal is not None
    content: View | dict[str, Any]
    try:
        # Only the clicked engine: the list is the one its card showed, for the same pipeline.
        config = (await deps.settings_for(team_id)).analysis  # the thresholds the card was drawn with
        bundle = await deps.service.run([ref.engine], ref.pipeline, record=False, config=config)
        content = await compose_drilldown(
            ref,
            bundle.reports,
            bundle.snapshot,
            deps.owners,
            as_modal=as_modal,
            replace_original=replace_original,
        )
    except Exception as exc:
        content = _failure(ref, user_text(exc, doing="building a drill-down", logger=log), as_modal=as_modal)
    try:
        if modal is not None:
            view_id, view_hash = modal
            assert isinstance(content, View)
            await client.views_update(view_id=view_id, hash=view_hash, view=content)
        elif response_url is not None:
            assert isinstance(content, dict)
            await _respond(response_url, content)
    except (SlackClientError, OSError, TimeoutError) as exc:
        # hash_conflict: a quicker click already replaced this page, which is what the person wants.
        log.warning("could not show the drill-down: %s", slack_error_code(exc))


def _team(body: dict[str, Any]) -> str | None:
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return str(team) if team else None


def _failure(ref: DrilldownRef, text: str, *, as_modal: bool) -> View | dict[str, Any]:
    if as_modal:
        return drilldown_error_modal(ref, text)
    return {"response_type": "ephemeral", "replace_original": False, **failure_message(text).to_dict()}


async def _respond(response_url: str, payload: dict[str, Any]) -> None:
    """Post to a response URL; a payload breaking a limit is logged and sent as its text only."""
    response = await webhook_client(response_url).send_dict(within_limits(payload))
    if response.status_code != 200:
        log.warning("response_url answered %s", response.status_code)
