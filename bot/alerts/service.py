"""Alerts in one process: evaluated after each CRM sync, posted as digests, managed from Slack.

:class:`Alerts` runs a small loop (every ``poll_interval``):

1. **Evaluate** when the mirror has synced since the last evaluation (its ``last_sync_at``, kept in
   the database per portal): the change log's new entries against the deal rules, and each score
   rule's engine report against what that rule saw last time. Snoozed subjects and muted rules are
   skipped. An owner who opted in on the App Home gets their deals' alerts as a DM too, or instead.
   Alerts are recorded once per change (:class:`bot.storage.AlertStore`), however many replicas
   evaluate the same sync.
2. **Post** each destination's digest once its window (``ALERT_DIGEST_MINUTES``, counted from the
   oldest alert waiting) has passed. The digest is claimed like a scheduled firing (unique channel +
   window), so with several replicas exactly one posts it; past ``ALERT_DAILY_BUDGET`` alerts a day
   in a channel, the rest fold into "…and N more".

``/engine alerts add|list|remove|unmute|help`` manages the rules (private replies); the digest's
menus snooze a deal for a rule for 7 days (said in the digest's thread, and listed in the next
digests) or mute a rule. Alerts need the CRM mirror (``engine-bot serve`` with HubSpot).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.evaluate import (
    DealChange,
    ItemMemory,
    ScoreMemory,
    deal_alerts,
    item_alerts,
    renewals_pipeline,
    score_alerts,
)
from bot.alerts.rules import RuleKind, describe, parse_rule
from bot.answers import Invocation, ReportService, Subcommand
from bot.answers.workspace import Workspaces
from bot.blocks import SlackMessage
from bot.blocks.alerts import alert_folded_modal, alert_home_blocks, alert_rules_blocks, digest_messages
from bot.blocks.ids import AlertItemAction
from bot.blocks.kit import section
from bot.blocks.mrkdwn import escape, format_date
from bot.errors import AlertRuleError
from bot.mirror import Mirror
from bot.slack import OwnerDirectory, slack_error_code
from bot.storage import Alert, AlertRule, AlertStore
from engines import AnalysisConfig, EngineName, PortalSnapshot, deals_by_id, utc_now

__all__ = ["ALERT_EXAMPLES", "SNOOZE", "Alerts"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SNOOZE = timedelta(days=7)
ALERT_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("/engine alerts add deal-lost min=50k", "a digest here when a deal of 50k or more is lost"),
    ("/engine alerts list", "the alert rules, where they post, which are muted"),
)
_HELP = (
    "*Alerts* post a digest to the channel they were added in, every few minutes at most:\n"
    "• `/engine alerts add score-drop growth 10 [pipeline]`: an engine's score drops 10+ points\n"
    "• `/engine alerts add critical growth|all [pipeline]`: a new critical signal\n"
    "• `/engine alerts add deal-pushed|deal-back|deal-lost [min=50k] [pipeline]`: a deal is pushed "
    "out of the quarter, moves back a stage, or is lost\n"
    "• `/engine alerts add onboarding-overdue`, `/engine alerts add renewal-at-risk [min=50k]`: an "
    "onboarding becomes overdue, a renewal becomes at risk\n"
    "• `/engine alerts list`, `/engine alerts remove <id>`, `/engine alerts unmute <id>`\n"
    "Each alert has *Snooze 7 days* and *Mute rule*; owners choose DMs on the App Home."
)
_FAILURES = (SlackApiError, SlackClientError, OSError, TimeoutError)


def _floor(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((moment - epoch) // step) * step


class Alerts:
    """Alert rules, evaluation and digests for one process (see the module docstring)."""

    def __init__(
        self,
        store: AlertStore,
        service: ReportService,
        client: AsyncWebClient,
        *,
        mirror: Mirror | None,
        owners: OwnerDirectory | None = None,
        workspaces: Workspaces | None = None,
        digest_minutes: float = 15.0,
        daily_budget: int = 20,
        clock: Clock = utc_now,
        poll_interval: timedelta = timedelta(seconds=15),
    ) -> None:
        self.store = store
        self.service = service
        self.client = client
        self.mirror = mirror
        self.owners = owners
        self.workspaces = workspaces
        self.window = timedelta(minutes=digest_minutes)
        self.daily_budget = daily_budget
        self.clock = clock
        self.poll_interval = poll_interval
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._team_id: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    # ------------------------------------------------------------------ the loop

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="alerts")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, 20)
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("alerts: a round failed; the next one tries again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll_interval.total_seconds())

    async def tick(self) -> None:
        """One round: evaluate a new sync, then post the digests that are due."""
        await self.evaluate()
        await self.post_due()

    # ------------------------------------------------------------------ evaluation

    async def evaluate(self) -> int:
        """Evaluate the syncs since the last evaluation; returns how many new alerts were recorded."""
        if self.mirror is None:
            return 0
        status = await self.mirror.status()
        if status.portal is None or status.last_sync_at is None:
            return 0
        key = f"sync:{status.portal}"
        mark = (await self.store.state(key) or {}).get("at")
        synced = status.last_sync_at.isoformat()
        if mark == synced:
            return 0
        rules = [rule for rule in await self.store.rules() if not rule.muted]
        changes: list[DealChange] = []
        if mark is not None:
            logged = await asyncio.to_thread(
                self.mirror.store.changes,
                status.portal,
                "deals",
                synced_after=datetime.fromisoformat(mark),
            )
            changes = [DealChange(c.object_id, c.field, c.old, c.new, c.changed_at) for c in logged]
        snapshot = await self._every_deal()
        alerts = deal_alerts(rules, changes, snapshot) if mark is not None else []
        alerts.extend(await self._score_alerts(rules, synced, snapshot))
        now = self.clock()
        snoozed = {(s.rule_id, s.subject) for s in await self.store.snoozes(now)}
        alerts = [a for a in alerts if (a.rule_id, a.subject) not in snoozed]
        new = await self.store.record(await self._route(alerts, snapshot))
        await self.store.set_state(key, {"at": synced})
        if new:
            log.info("alerts: %d new from the sync of %s", new, synced)
        return new

    async def _every_deal(self) -> PortalSnapshot:
        """The portal with every deal the mirror holds, closed or not, dated or not: a change may be
        about any of them (a report's snapshot leaves out deals closed before its lookback)."""
        assert self.mirror is not None
        memory = await self.mirror.fresh()
        now = utc_now()
        return memory.snapshot(
            pipeline_id=None, lookback_days=1, now=now, taken_at=memory.watermark or now
        ).model_copy(update={"deals": memory.all_deals()})

    async def _config(self) -> AnalysisConfig | None:
        if self.workspaces is None:
            return None
        if self._team_id is None:
            try:
                self._team_id = (await self.client.auth_test()).get("team_id")
            except _FAILURES as exc:
                log.warning(
                    "auth.test failed (%s): alerts use the environment's thresholds", slack_error_code(exc)
                )
                return None
        return (await self.workspaces.settings_for(self._team_id)).analysis

    async def _score_alerts(
        self, rules: list[AlertRule], stamp: str, snapshot: PortalSnapshot
    ) -> list[Alert]:
        """Score and item rules: each compares this evaluation's report with the previous one's."""
        alerts: list[Alert] = []
        config = await self._config()
        for rule in rules:
            kind = RuleKind(rule.kind)
            if kind.about_deals:
                continue
            pipeline = rule.pipeline
            if kind is RuleKind.RENEWAL_AT_RISK:
                renewals = renewals_pipeline(snapshot, config.renewal_pipeline if config else None)
                if renewals is None:
                    log.warning("alerts: rule %s waits for a renewals pipeline (/engine settings)", rule.id)
                    continue
                pipeline = renewals.id
            if kind in (RuleKind.ONBOARDING_OVERDUE, RuleKind.RENEWAL_AT_RISK):
                engines = [EngineName.FULFILLMENT]
            elif rule.engine == "all":
                engines = list(EngineName)
            else:
                engines = [EngineName(str(rule.engine))]
            try:
                bundle = await self.service.run(engines, pipeline, record=False, config=config)
            except Exception as exc:  # an unknown pipeline, HubSpot trouble: this rule waits
                log.warning("alerts: rule %s could not be evaluated (%s)", rule.id, type(exc).__name__)
                continue
            memory_key = f"rule:{rule.id}"
            remembered = await self.store.state(memory_key)
            if kind in (RuleKind.ONBOARDING_OVERDUE, RuleKind.RENEWAL_AT_RISK):
                found, seen_items = item_alerts(
                    rule, bundle.reports[0], ItemMemory.from_json(remembered), stamp
                )
                alerts.extend(found)
                await self.store.set_state(memory_key, seen_items.to_json())
                continue
            before = ScoreMemory.from_json(remembered)
            alerts.extend(score_alerts(rule, bundle.reports, before, stamp))
            seen = [ScoreMemory.of(report) for report in bundle.reports]
            scores = [m.score for m in seen if m.score is not None]
            critical = tuple(sorted({key for m in seen for key in m.critical}))
            await self.store.set_state(
                memory_key, ScoreMemory(scores[0] if len(scores) == 1 else None, critical).to_json()
            )
        return alerts

    async def _route(self, alerts: list[Alert], snapshot: PortalSnapshot) -> list[Alert]:
        """Add each deal owner's Slack user; copy the alert to their DM when they opted in, and
        leave the channel out when they chose the DM instead."""
        optins = await self.store.optins()
        deals = deals_by_id(snapshot.deals)  # builds only the deals the alerts name
        routed: list[Alert] = []
        for alert in alerts:
            deal = deals.get(alert.subject)
            owner = snapshot.owner(deal.owner_id) if deal is not None else None
            user = (
                await self.owners.slack_user_id(owner.email)
                if self.owners is not None and owner is not None and owner.email
                else None
            )
            mine = _with(alert, owner_user=user)
            mode = optins.get(user) if user is not None else None
            if mode != "instead":
                routed.append(mine)
            if mode in ("instead", "also") and user is not None:
                routed.append(_with(mine, channel_id=user))
        return routed

    # ------------------------------------------------------------------ digests

    async def post_due(self) -> int:
        """Post every digest whose window has passed; returns how many this replica posted."""
        now = self.clock()
        posted = 0
        for channel, first in (await self.store.pending()).items():
            start = _floor(first, self.window)
            if now < start + self.window:
                continue
            digest_id = await self.store.claim_digest(channel, start, claimed_by=self.holder)
            if digest_id is None:
                continue  # another replica claimed it and posts it
            shown, folded = await self.store.take(
                digest_id,
                channel,
                before=start + self.window,
                budget=self.daily_budget,
                day_start=_floor(now, timedelta(days=1)),
            )
            if not shown and not folded:
                continue
            await self._post_digest(digest_id, channel, shown, len(folded))
            posted += 1
        return posted

    async def _descriptions(self) -> dict[str, str]:
        return {rule.id: describe(rule) for rule in await self.store.rules()}

    async def _post_digest(self, digest_id: int, channel: str, shown: list[Alert], folded: int) -> None:
        describe_rules = await self._descriptions()
        snoozes = [s for s in await self.store.snoozes(self.clock()) if s.rule_id in describe_rules]
        messages = digest_messages(
            shown, folded, digest_id=digest_id, describe=describe_rules, snoozes=snoozes
        )
        first_ts: str | None = None
        for message in messages:
            ts = await self._post(channel, message)
            first_ts = first_ts or ts
        await self.store.posted(digest_id, first_ts)

    async def _post(self, channel: str, message: SlackMessage, thread_ts: str | None = None) -> str | None:
        payload: dict[str, Any] = {"channel": channel, **message.to_dict()}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        try:
            try:
                response = await self.client.chat_postMessage(**payload)
            except SlackApiError as exc:
                if slack_error_code(exc) != "not_in_channel":
                    raise
                await self.client.conversations_join(channel=channel)
                response = await self.client.chat_postMessage(**payload)
        except _FAILURES as exc:
            log.warning("alerts: could not post to %s (%s)", channel, slack_error_code(exc))
            return None
        return str(response.get("ts") or "") or None

    # ------------------------------------------------------------------ the digest's buttons

    async def on_item(self, choice: AlertItemAction, body: dict[str, Any], client: AsyncWebClient) -> None:
        """*Snooze 7 days* (that deal, that rule) or *Mute rule*, chosen on a digest item; said in the
        digest's thread so the channel sees who silenced what."""
        user = str((body.get("user") or {}).get("id") or "")
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
        thread = (body.get("container") or {}).get("message_ts")
        if choice.verb == "snooze":
            alert = await self.store.alert(int(choice.target))
            if alert is None:
                return
            until = self.clock() + SNOOZE
            await self.store.snooze(
                alert.rule_id, alert.subject, title=alert.title, until=until, user_id=user
            )
            text = (
                f"💤 <@{user}> snoozed *{escape(alert.title, 80)}* for this rule until "
                f"{format_date(until, year=False)}."
            )
        else:
            rule = await self.store.mute(choice.target, user)
            if rule is None:
                return
            text = f"🔕 <@{user}> muted the rule `{rule.id}`: {escape(describe(rule), 200)}."
        if channel:
            await self._post(str(channel), SlackMessage(text=text, blocks=[section(text)]), thread_ts=thread)

    async def show_folded(self, digest_id: int, trigger_id: str | None, client: AsyncWebClient) -> None:
        if not trigger_id:
            return
        view = alert_folded_modal(await self.store.folded(digest_id), await self._descriptions())
        try:
            await client.views_open(trigger_id=trigger_id, view=view)
        except _FAILURES as exc:
            log.warning("alerts: could not show the folded alerts (%s)", slack_error_code(exc))

    # ------------------------------------------------------------------ App Home and /engine alerts

    async def home_blocks(self, user_id: str) -> list[Block]:
        rules = await self.store.rules()
        optin = (await self.store.optins()).get(user_id)
        return alert_home_blocks(rules, {r.id: describe(r) for r in rules}, optin)

    async def set_optin(self, user_id: str, mode: str) -> None:
        await self.store.set_optin(user_id, mode if mode in ("instead", "also") else None)

    def subcommand(self) -> Subcommand:
        return Subcommand("alerts", self.command, examples=ALERT_EXAMPLES)

    async def command(self, invocation: Invocation) -> None:
        """``/engine alerts add|list|remove|unmute|help``, answered privately."""
        verb, _, rest = invocation.args.strip().partition(" ")
        verb = verb.casefold()
        blocks: list[Block]
        if verb == "add":
            if not invocation.channel_id:
                text = "Type `/engine alerts add …` in the channel the alerts should go to."
            else:
                try:
                    rule = await self.store.add_rule(
                        parse_rule(rest, channel_id=invocation.channel_id, user_id=invocation.user_id)
                    )
                except AlertRuleError as exc:
                    text = f"⚠️ {escape(exc.user_message, 500)}"
                else:
                    text = (
                        f"✅ Alert `{rule.id}` added: {escape(describe(rule), 300)}. Alerts come here as "
                        f"a digest, at most every {self.window.total_seconds() / 60:g} minutes."
                    )
            blocks = [section(text)]
        elif verb == "list":
            rules = await self.store.rules()
            blocks = alert_rules_blocks(rules, {r.id: describe(r) for r in rules})
            text = f"{len(rules)} alert rule{'s' if len(rules) != 1 else ''}"
        elif verb in ("remove", "unmute"):
            rule_id = rest.strip().strip("`")
            if verb == "remove":
                done = await self.store.remove_rule(rule_id)
                text = (
                    f"Removed alert `{escape(rule_id, 16)}`."
                    if done
                    else f"No alert `{escape(rule_id, 16)}`."
                )
            else:
                unmuted = await self.store.mute(rule_id, None)
                text = (
                    f"Alert `{escape(rule_id, 16)}` unmuted."
                    if unmuted
                    else f"No alert `{escape(rule_id, 16)}`."
                )
            blocks = [section(text)]
        else:
            text = _HELP
            blocks = [section(_HELP)]
        await invocation.reply.send(SlackMessage(text=text, blocks=blocks), private=True)


def _with(alert: Alert, **changes: Any) -> Alert:
    return dataclasses.replace(alert, **changes)
