"""Alerts in the database: rules, alerts waiting for their digest, claimed digests, snoozes, what the
evaluation remembers between syncs, and the owners' DM choices.

Two unique keys carry the multi-replica story, as the schedule firings' key does:

- an alert is keyed by (rule, change, where): every replica may evaluate the sync that brought a
  change, and the change still alerts once (:meth:`AlertStore.record` inserts, the key drops repeats);
- a digest is keyed by (channel, window start): the replica whose insert wins posts it, the others
  skip (:meth:`AlertStore.claim_digest`). Taking its alerts marks them with the digest's id inside
  the same transaction, so an alert is never in two digests.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.database import Database
from bot.storage.tables import (
    AlertDigestRow,
    AlertEventRow,
    AlertOptInRow,
    AlertRuleRow,
    AlertSnoozeRow,
    AlertStateRow,
)
from engines import utc_now

__all__ = ["Alert", "AlertRule", "AlertStore", "Snooze"]

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """What to watch, where to post it. ``engine``/``points`` for score rules; ``pipeline`` and
    ``min_amount`` narrow the deals a deal rule watches."""

    id: str
    kind: str
    channel_id: str
    engine: str | None = None
    points: float | None = None
    pipeline: str | None = None
    min_amount: float | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    muted_by: str | None = None
    muted_at: datetime | None = None

    @property
    def muted(self) -> bool:
        return self.muted_at is not None


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: for ``rule_id``, about ``subject`` (a deal id, an engine), posted to ``channel_id``
    (a channel, or an owner's user id for a DM). ``change_key`` names the change it is about."""

    rule_id: str
    channel_id: str
    subject: str
    change_key: str
    title: str
    detail: str
    amount: float | None = None
    url: str | None = None
    owner: str | None = None  # the owner as shown: a name
    owner_user: str | None = None  # the owner's Slack user id, when known
    id: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snooze:
    rule_id: str
    subject: str
    title: str
    until: datetime
    snoozed_by: str


def _rule(row: AlertRuleRow) -> AlertRule:
    return AlertRule(
        id=row.id,
        kind=row.kind,
        channel_id=row.channel_id,
        engine=row.engine,
        points=row.points,
        pipeline=row.pipeline,
        min_amount=row.min_amount,
        created_by=row.created_by,
        created_at=row.created_at,
        muted_by=row.muted_by,
        muted_at=row.muted_at,
    )


def _alert(row: AlertEventRow) -> Alert:
    return Alert(
        rule_id=row.rule_id,
        channel_id=row.channel_id,
        subject=row.subject,
        change_key=row.change_key,
        title=row.title,
        detail=row.detail,
        amount=row.amount,
        url=row.url,
        owner=row.owner,
        owner_user=row.owner_user,
        id=row.id,
        created_at=row.created_at,
    )


class AlertStore:
    """Alert rules and alerts in the bot's database; every method runs in a worker thread."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def _insert(self) -> Any:
        return postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert

    # ------------------------------------------------------------------ rules

    async def add_rule(self, rule: AlertRule) -> AlertRule:
        """Store ``rule`` under a new id (the one given is ignored); returns it as stored."""
        return await asyncio.to_thread(self._add_rule, rule)

    def _add_rule(self, rule: AlertRule) -> AlertRule:
        row = AlertRuleRow(
            id=secrets.token_hex(3),
            kind=rule.kind,
            channel_id=rule.channel_id,
            engine=rule.engine,
            points=rule.points,
            pipeline=rule.pipeline,
            min_amount=rule.min_amount,
            created_by=rule.created_by,
            created_at=self.clock(),
            muted_by=None,
            muted_at=None,
        )
        with self.db.sessions.begin() as session:
            session.add(row)
        return _rule(row)

    async def rules(self, channel_id: str | None = None) -> list[AlertRule]:
        return await asyncio.to_thread(self._rules, channel_id)

    def _rules(self, channel_id: str | None) -> list[AlertRule]:
        query = select(AlertRuleRow).order_by(AlertRuleRow.created_at, AlertRuleRow.id)
        if channel_id is not None:
            query = query.where(AlertRuleRow.channel_id == channel_id)
        with self.db.sessions() as session:
            return [_rule(row) for row in session.scalars(query)]

    async def remove_rule(self, rule_id: str) -> bool:
        return await asyncio.to_thread(self._remove_rule, rule_id)

    def _remove_rule(self, rule_id: str) -> bool:
        with self.db.sessions.begin() as session:
            removed = session.execute(delete(AlertRuleRow).where(AlertRuleRow.id == rule_id))
            session.execute(delete(AlertSnoozeRow).where(AlertSnoozeRow.rule_id == rule_id))
            session.execute(
                delete(AlertEventRow).where(
                    AlertEventRow.rule_id == rule_id, AlertEventRow.digest_id.is_(None)
                )
            )
            return bool(getattr(removed, "rowcount", 0))

    async def mute(self, rule_id: str, user_id: str | None) -> AlertRule | None:
        """Mute (``user_id``) or unmute (``None``) a rule; its pending alerts are dropped on mute."""
        return await asyncio.to_thread(self._mute, rule_id, user_id)

    def _mute(self, rule_id: str, user_id: str | None) -> AlertRule | None:
        with self.db.sessions.begin() as session:
            row = session.get(AlertRuleRow, rule_id)
            if row is None:
                return None
            row.muted_by = user_id
            row.muted_at = self.clock() if user_id is not None else None
            if user_id is not None:
                session.execute(
                    delete(AlertEventRow).where(
                        AlertEventRow.rule_id == rule_id, AlertEventRow.digest_id.is_(None)
                    )
                )
            return _rule(row)

    # ------------------------------------------------------------------ alerts

    async def record(self, alerts: Sequence[Alert]) -> int:
        """Insert ``alerts`` not recorded before (by rule, change, where); returns how many were new."""
        return await asyncio.to_thread(self._record, alerts)

    def _record(self, alerts: Sequence[Alert]) -> int:
        if not alerts:
            return 0
        now = self.clock()
        new = 0
        with self.db.sessions.begin() as session:
            for alert in alerts:
                statement = (
                    self._insert()(AlertEventRow)
                    .values(
                        rule_id=alert.rule_id,
                        channel_id=alert.channel_id,
                        subject=alert.subject[:64],
                        change_key=alert.change_key[:200],
                        title=alert.title[:300],
                        detail=alert.detail[:500],
                        amount=alert.amount,
                        url=alert.url[:500] if alert.url else None,
                        owner=alert.owner[:200] if alert.owner else None,
                        owner_user=alert.owner_user,
                        created_at=now,
                        digest_id=None,
                        folded=0,
                    )
                    .on_conflict_do_nothing(index_elements=["rule_id", "change_key", "channel_id"])
                    .returning(AlertEventRow.id)
                )
                new += session.execute(statement).first() is not None
        return new

    async def pending(self) -> dict[str, datetime]:
        """Each destination with alerts waiting for a digest, and when its oldest one came."""
        return await asyncio.to_thread(self._pending)

    def _pending(self) -> dict[str, datetime]:
        query = (
            select(AlertEventRow.channel_id, func.min(AlertEventRow.created_at))
            .where(AlertEventRow.digest_id.is_(None))
            .group_by(AlertEventRow.channel_id)
        )
        with self.db.sessions() as session:
            return {str(channel): first for channel, first in session.execute(query)}

    async def claim_digest(self, channel_id: str, window_start: datetime, *, claimed_by: str) -> int | None:
        """Claim the digest of ``channel_id`` for the window starting ``window_start``: its id, or
        ``None`` when another replica claimed it first."""
        return await asyncio.to_thread(self._claim_digest, channel_id, window_start, claimed_by)

    def _claim_digest(self, channel_id: str, window_start: datetime, claimed_by: str) -> int | None:
        statement = (
            self._insert()(AlertDigestRow)
            .values(
                channel_id=channel_id,
                window_start=window_start,
                claimed_by=claimed_by[:120],
                claimed_at=self.clock(),
                shown=0,
                folded=0,
                posted_at=None,
                message_ts=None,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "window_start"])
            .returning(AlertDigestRow.id)
        )
        with self.db.sessions.begin() as session:
            # A row comes back only when this insert made the claim; none when another replica had.
            claimed = session.execute(statement).first()
            return int(claimed[0]) if claimed is not None else None

    async def take(
        self, digest_id: int, channel_id: str, *, before: datetime, budget: int, day_start: datetime
    ) -> tuple[list[Alert], list[Alert]]:
        """The alerts of ``channel_id`` that came before ``before`` and are in no digest yet, now in
        digest ``digest_id``: (shown, folded). At most what is left of the day's ``budget`` (alerts
        shown in the channel's digests since ``day_start``) is shown, largest amounts first; the
        rest is folded ("and N more")."""
        return await asyncio.to_thread(self._take, digest_id, channel_id, before, budget, day_start)

    def _take(
        self, digest_id: int, channel_id: str, before: datetime, budget: int, day_start: datetime
    ) -> tuple[list[Alert], list[Alert]]:
        with self.db.sessions.begin() as session:
            shown_today = session.scalar(
                select(func.coalesce(func.sum(AlertDigestRow.shown), 0)).where(
                    AlertDigestRow.channel_id == channel_id,
                    AlertDigestRow.window_start >= day_start,
                    AlertDigestRow.id != digest_id,
                )
            )
            rows = list(
                session.scalars(
                    select(AlertEventRow)
                    .where(
                        AlertEventRow.channel_id == channel_id,
                        AlertEventRow.digest_id.is_(None),
                        AlertEventRow.created_at < before,
                    )
                    .order_by(AlertEventRow.amount.desc().nulls_last(), AlertEventRow.id)
                )
            )
            room = max(0, budget - int(shown_today or 0))
            shown, folded = rows[:room], rows[room:]
            for row in shown:
                row.digest_id = digest_id
            for row in folded:
                row.digest_id = digest_id
                row.folded = 1
            session.execute(
                update(AlertDigestRow)
                .where(AlertDigestRow.id == digest_id)
                .values(shown=len(shown), folded=len(folded))
            )
            return [_alert(r) for r in shown], [_alert(r) for r in folded]

    async def posted(self, digest_id: int, message_ts: str | None) -> None:
        await asyncio.to_thread(self._posted, digest_id, message_ts)

    def _posted(self, digest_id: int, message_ts: str | None) -> None:
        with self.db.sessions.begin() as session:
            session.execute(
                update(AlertDigestRow)
                .where(AlertDigestRow.id == digest_id)
                .values(posted_at=self.clock(), message_ts=message_ts)
            )

    async def folded(self, digest_id: int) -> list[Alert]:
        """The alerts a digest folded into "and N more", largest first (its "Show all" button)."""
        return await asyncio.to_thread(self._folded, digest_id)

    def _folded(self, digest_id: int) -> list[Alert]:
        query = (
            select(AlertEventRow)
            .where(AlertEventRow.digest_id == digest_id, AlertEventRow.folded == 1)
            .order_by(AlertEventRow.amount.desc().nulls_last(), AlertEventRow.id)
        )
        with self.db.sessions() as session:
            return [_alert(row) for row in session.scalars(query)]

    async def alert(self, alert_id: int) -> Alert | None:
        return await asyncio.to_thread(self._alert_by_id, alert_id)

    def _alert_by_id(self, alert_id: int) -> Alert | None:
        with self.db.sessions() as session:
            row = session.get(AlertEventRow, alert_id)
            return _alert(row) if row is not None else None

    # ------------------------------------------------------------------ snoozes

    async def snooze(self, rule_id: str, subject: str, *, title: str, until: datetime, user_id: str) -> None:
        await asyncio.to_thread(self._snooze, rule_id, subject, title, until, user_id)

    def _snooze(self, rule_id: str, subject: str, title: str, until: datetime, user_id: str) -> None:
        with self.db.sessions.begin() as session:
            row = session.get(AlertSnoozeRow, (rule_id, subject))
            if row is None:
                session.add(
                    AlertSnoozeRow(
                        rule_id=rule_id,
                        subject=subject,
                        title=title[:300],
                        until=until,
                        snoozed_by=user_id,
                        created_at=self.clock(),
                    )
                )
            else:
                row.until, row.snoozed_by, row.title = until, user_id, title[:300]
            session.execute(
                delete(AlertEventRow).where(
                    AlertEventRow.rule_id == rule_id,
                    AlertEventRow.subject == subject,
                    AlertEventRow.digest_id.is_(None),
                )
            )

    async def snoozes(self, now: datetime) -> list[Snooze]:
        """Snoozes still running at ``now``."""
        return await asyncio.to_thread(self._snoozes, now)

    def _snoozes(self, now: datetime) -> list[Snooze]:
        query = select(AlertSnoozeRow).where(AlertSnoozeRow.until > now).order_by(AlertSnoozeRow.until)
        with self.db.sessions() as session:
            return [
                Snooze(row.rule_id, row.subject, row.title, row.until, row.snoozed_by)
                for row in session.scalars(query)
            ]

    # ------------------------------------------------------------------ evaluation state, opt-ins

    async def state(self, key: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._state, key)

    def _state(self, key: str) -> dict[str, Any] | None:
        with self.db.sessions() as session:
            row = session.get(AlertStateRow, key)
            return dict(row.value) if row is not None else None

    async def set_state(self, key: str, value: dict[str, Any]) -> None:
        await asyncio.to_thread(self._set_state, key, value)

    def _set_state(self, key: str, value: dict[str, Any]) -> None:
        now = self.clock()
        with self.db.sessions.begin() as session:
            session.execute(
                self._insert()(AlertStateRow)
                .values(key=key, value=value, updated_at=now)
                .on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": now})
            )

    async def set_optin(self, user_id: str, mode: str | None) -> None:
        """An owner's choice: ``instead`` (DM, not the channel), ``also`` (both), ``None`` (channel)."""
        await asyncio.to_thread(self._set_optin, user_id, mode)

    def _set_optin(self, user_id: str, mode: str | None) -> None:
        with self.db.sessions.begin() as session:
            session.execute(delete(AlertOptInRow).where(AlertOptInRow.user_id == user_id))
            if mode is not None:
                session.add(AlertOptInRow(user_id=user_id, mode=mode, updated_at=self.clock()))

    async def optins(self) -> dict[str, str]:
        return await asyncio.to_thread(self._optins)

    def _optins(self) -> dict[str, str]:
        with self.db.sessions() as session:
            return {row.user_id: row.mode for row in session.scalars(select(AlertOptInRow))}
