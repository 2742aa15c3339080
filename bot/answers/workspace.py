"""Settings a workspace changes from Slack: ``/engine settings`` and the Home tab's Settings button.

:class:`Workspaces` is the one place that knows a workspace's settings: the environment's defaults
(:meth:`bot.settings.Settings.workspace`) with the workspace's overrides from the database on top.
Every answer asks it (:meth:`BotDeps.settings_for <bot.answers.answering.BotDeps.settings_for>`), so
a change takes effect on the next answer, on every replica, with no cache to go stale.

Who may change them: the people in ``ADMIN_USER_IDS`` and the workspace's admins and owners
(:class:`bot.slack.AdminDirectory`). Everyone else sees the same values read-only, and a submission
from them (a forged one: their modal has no Save) is refused and answered with the read-only view.

Each change is logged twice: a row in ``settings_changes`` (who, which setting, old -> new; the
modal shows the latest) and a log line. Only workspace settings ever reach either, never a secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackClientError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.service import ReportService
from bot.blocks.settings_form import Pipelines, display_value, effective_settings, read_submission
from bot.blocks.settings_modal import (
    settings_loading_modal,
    settings_modal,
    settings_readonly_modal,
    settings_saved_modal,
)
from bot.settings import Settings, WorkspaceSettings
from bot.slack import AdminDirectory, slack_error_code
from bot.storage import SettingsChange, WorkspaceSettingsStore
from engines import PortalSnapshot

__all__ = ["PIPELINES_WAIT", "SUBMIT_PIPELINES_WAIT", "Workspaces"]

log = logging.getLogger(__name__)

# How long the open modal waits for the portal's pipelines before offering typed ids instead.
PIPELINES_WAIT = 8.0
SUBMIT_PIPELINES_WAIT = 1.5
_SLACK_FAILURES = (SlackClientError, OSError, TimeoutError)


class Workspaces:
    """Each workspace's settings: the environment's, overridden from Slack."""

    def __init__(
        self,
        store: WorkspaceSettingsStore,
        defaults: WorkspaceSettings,
        admins: AdminDirectory,
        *,
        lookback_limit: int | None = None,
    ) -> None:
        self.store = store
        self.defaults = defaults
        self.admins = admins
        self.lookback_limit = lookback_limit

    @classmethod
    def from_settings(cls, settings: Settings, store: WorkspaceSettingsStore) -> Workspaces:
        """The environment's defaults and admins; a lookback window is bounded by how far back the
        CRM is read (HubSpot only: the sample portal holds everything)."""
        limit = (
            max(settings.hubspot_lookback_days, settings.analysis.lookback_days)
            if settings.source == "hubspot"
            else None
        )
        return cls(store, settings.workspace(), AdminDirectory(settings.admin_user_ids), lookback_limit=limit)

    async def settings_for(self, team_id: str | None) -> WorkspaceSettings:
        """The settings for an answer in ``team_id``. A storage failure costs the overrides (the
        environment's settings answer), never the answer."""
        if not team_id:
            return self.defaults
        try:
            overrides = await self.store.overrides(team_id)
        except Exception:
            log.exception("could not read the workspace settings; answering with the environment's")
            return self.defaults
        settings, dropped = effective_settings(self.defaults, overrides)
        if dropped:
            log.warning(
                "workspace settings no longer valid, environment used instead: %s", ", ".join(dropped)
            )
        return settings

    # ------------------------------------------------------------------ the modal

    async def open_modal(
        self,
        client: AsyncWebClient,
        trigger_id: str | None,
        *,
        user_id: str | None,
        team_id: str | None,
        service: ReportService,
    ) -> bool:
        """Open the settings modal at once (the trigger lives 3 s), then fill it in: the form for an
        admin, the values read-only for anyone else. ``False`` when Slack would not open it."""
        if not trigger_id:
            return False
        try:
            opened = await client.views_open(trigger_id=trigger_id, view=settings_loading_modal())
        except _SLACK_FAILURES as exc:
            log.warning("could not open the settings modal: %s", slack_error_code(exc))
            return False
        view = opened.get("view") or {}
        view_id, view_hash = str(view.get("id", "")), view.get("hash")
        content = await self._content(client, user_id=user_id, team_id=team_id, service=service)
        try:
            await client.views_update(view_id=view_id, hash=view_hash, view=content)
        except _SLACK_FAILURES as exc:
            log.warning("could not fill in the settings modal: %s", slack_error_code(exc))
        return True

    async def _content(
        self, client: AsyncWebClient, *, user_id: str | None, team_id: str | None, service: ReportService
    ) -> View:
        current = await self.settings_for(team_id)
        changes = await self._latest_changes(team_id)
        if not await self.admins.can_change_settings(client, user_id):
            return settings_readonly_modal(current, changes=changes)
        pipelines: Pipelines | None = None
        time_zone = "UTC"
        try:
            snapshot = await asyncio.wait_for(service.read(None), PIPELINES_WAIT)
        except Exception as exc:  # the form still opens: pipelines are typed instead of chosen
            log.warning("settings modal without the pipeline list: %s", type(exc).__name__)
        else:
            pipelines = _pipelines(snapshot)
            time_zone = snapshot.portal.time_zone
        return settings_modal(
            current, self.defaults, pipelines=pipelines, changes=changes, time_zone=time_zone
        )

    async def push_advanced(
        self,
        client: AsyncWebClient,
        trigger_id: str | None,
        *,
        page: int,
        user_id: str | None,
        team_id: str | None,
    ) -> None:
        """Push page ``page`` of the advanced thresholds on top of the open modal (admins only)."""
        if not trigger_id or not await self.admins.can_change_settings(client, user_id):
            return
        current = await self.settings_for(team_id)
        try:
            await client.views_push(
                trigger_id=trigger_id, view=settings_modal(current, self.defaults, page=page)
            )
        except _SLACK_FAILURES as exc:
            log.warning("could not open the advanced settings: %s", slack_error_code(exc))

    async def _latest_changes(self, team_id: str | None) -> list[SettingsChange]:
        if not team_id:
            return []
        try:
            return await self.store.changes(team_id, limit=5)
        except Exception:
            log.exception("could not read the settings change log")
            return []

    # ------------------------------------------------------------------ saving

    async def submit(
        self, client: AsyncWebClient, body: Mapping[str, Any], service: ReportService
    ) -> dict[str, Any]:
        """What to acknowledge a submitted settings modal with (``ack(**result)``): ``errors`` by
        block id for values that cannot be used, else the changes saved (``response_action:
        update``). Refused, with the read-only view, for anyone who may not change settings."""
        user_id = (body.get("user") or {}).get("id")
        team_id = (body.get("team") or {}).get("id") or (body.get("view") or {}).get("team_id")
        if not team_id:
            log.warning("a settings submission arrived without a workspace; nothing saved")
            return {}
        if not await self.admins.can_change_settings(client, user_id):
            log.warning("settings: refused a change by %s (not an admin)", user_id)
            current = await self.settings_for(team_id)
            return {"response_action": "update", "view": settings_readonly_modal(current)}
        state = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        try:
            overrides = await self.store.overrides(team_id)
            submission = read_submission(
                state,
                self.defaults,
                overrides,
                lookback_limit=self.lookback_limit,
                pipelines=await self._known_pipelines(service),
            )
            if submission.errors:
                return {"response_action": "errors", "errors": submission.errors}
            changes = await self.store.update(
                team_id, str(user_id), lambda current: self._plan(current, submission.values)
            )
        except Exception:
            log.exception("could not save the workspace settings")
            first = next(iter(state), None)
            if first is None:
                return {}
            return {"response_action": "errors", "errors": {first: "Could not save just now. Try again."}}
        for change in changes:
            log.info(
                "settings: %s in %s changed %s: %s -> %s",
                user_id,
                team_id,
                change.name,
                json.dumps(change.old),
                json.dumps(change.new),
            )
        return {"response_action": "update", "view": settings_saved_modal(changes)}

    @staticmethod
    async def _known_pipelines(service: ReportService) -> Pipelines | None:
        """The portal's pipelines when they can be had within the 3 s Slack gives a submission (the
        open modal read them, so usually from the cache); ``None``: typed pipelines are taken as is."""
        try:
            snapshot = await asyncio.wait_for(service.read(None), SUBMIT_PIPELINES_WAIT)
        except Exception as exc:
            log.info("settings saved without checking pipelines: %s", type(exc).__name__)
            return None
        return _pipelines(snapshot)

    def _plan(
        self, current: Mapping[str, Any], values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[SettingsChange]]:
        """New overrides from the current ones and the submitted ``values`` (``None``: the
        environment's), and the changes of effective value to log. A value equal to the environment's
        is not kept as an override, so a later deploy still reaches it."""
        base = self.defaults.flat()
        new = dict(current)
        for name, value in values.items():
            if value is None or value == base[name]:
                new.pop(name, None)
            else:
                new[name] = value
        before = effective_settings(self.defaults, current)[0].flat()
        after = effective_settings(self.defaults, new)[0].flat()
        changes = [
            SettingsChange(name, display_value(before[name]) or None, display_value(after[name]) or None)
            for name in values
            if before[name] != after[name]
        ]
        return new, changes


def _pipelines(snapshot: PortalSnapshot) -> Pipelines:
    """The portal's deal and ticket pipelines, (id, label) each, for the settings that name one."""
    return {
        "deals": [(p.id, p.label) for p in snapshot.pipelines],
        "tickets": [(p.id, p.label) for p in snapshot.ticket_pipelines],
    }
