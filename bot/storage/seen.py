"""Event dedupe and replay guard in the database, so replicas behind a load balancer share them.

A Slack retry, or a replayed signed request, can reach a replica other than the one that handled
the first delivery; the in-memory stores of :mod:`bot.slack.dedupe` cannot see across processes. These
implement the same protocols (:class:`~bot.slack.dedupe.EventDeduper`, :class:`~bot.slack.dedupe.ReplayStore`)
on the ``seen_keys`` table, with the pattern :meth:`ScheduleStore.claim
<bot.storage.ScheduleStore.claim>` uses for firings: the claim is an INSERT and the primary key
(kind, key) lets exactly one replica win. A row whose ``expires_at`` has passed counts as unseen: the
same statement takes it over (``ON CONFLICT DO UPDATE ... WHERE expired``), atomically on PostgreSQL
and SQLite alike. Expired rows are also deleted, a bounded batch every ``prune_every`` claims, so
the table holds about what the TTLs keep alive.

What is stored: event ids as Slack sends them (hashed when 64 characters or longer), and for a
signed request only a SHA-256 of timestamp and signature: never the signature itself.

**When the database fails** (an error, or no answer within ``timeout`` seconds) both stores *fail
open*, to this process's memory: the claim counts as a first one unless this replica has seen the
key itself, and a warning is logged once per outage (the exception's type only: the driver's
message may quote ``DATABASE_URL``). Why open, for both:

- event dedupe: a repeat we wrongly drop is answered ``x-slack-no-retry`` and never answered at
  all, while a repeat we wrongly let through costs a second reply, and only when a retry lands on
  another replica during the outage. An answer twice beats no answer.
- replay guard: failing closed would answer every slash command and button 401 while the database
  is unreachable, turning a database blip into a Slack outage (history already degrades to "no trend
  line" then, never to "no answer"). Failing open keeps everything else: the signature is still
  verified and still expires after 5 minutes, a replay to the same replica is still refused, and a
  replay changes nothing in the request, so the worst case is a duplicate card from a request that
  was captured and re-sent to another replica within those minutes of the outage. The one command
  with lasting effects, ``/engine schedule add``, needs this same database and fails with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from bot.slack.dedupe import MENTION_MEMORY, REPLAY_WINDOW, MemoryEventDeduper
from bot.storage.database import Database
from bot.storage.tables import SeenKeyRow
from engines import utc_now

__all__ = ["DatabaseEventDeduper", "DatabaseMentionDeduper", "DatabaseReplayStore", "SeenKeys", "seen_key"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_KEY_LENGTH = 64  # the column's width, and a SHA-256 in hex


def seen_key(value: str) -> str:
    """``value`` itself when shorter than 64 characters, else its SHA-256 (hex, exactly 64), so a
    stored key fits the column and a raw key can never equal a hashed one."""
    if len(value) < _KEY_LENGTH:
        return value
    return hashlib.sha256(value.encode()).hexdigest()


class SeenKeys:
    """The ``seen_keys`` table, synchronous (the async stores call it from worker threads)."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        if db.dialect not in ("postgresql", "sqlite"):
            # The claim is one INSERT .. ON CONFLICT statement; other databases would need another.
            raise ValueError(f"seen keys need PostgreSQL or SQLite, not {db.dialect}")
        self._db = db
        self._clock = clock

    def claim(self, kind: str, key: str, ttl: float) -> bool:
        """``True`` when ``key`` was not held (or its hold had expired): it is now, for ``ttl`` s."""
        now = self._clock()
        build = postgresql.insert if self._db.dialect == "postgresql" else sqlite.insert
        statement = build(SeenKeyRow).values(kind=kind, key=key, expires_at=now + timedelta(seconds=ttl))
        statement = statement.on_conflict_do_update(
            index_elements=[SeenKeyRow.kind, SeenKeyRow.key],
            set_={"expires_at": statement.excluded.expires_at},
            where=SeenKeyRow.expires_at <= now,
        )
        with self._db.sessions.begin() as session:
            # A row comes back when inserted or when an expired one was taken over; none when held.
            return session.execute(statement.returning(SeenKeyRow.key)).first() is not None

    def prune(self, limit: int) -> int:
        """Delete at most ``limit`` expired rows (any kind); returns how many went.

        Bounded so one prune is one short transaction however much expired meanwhile."""
        expired = (
            select(SeenKeyRow.kind, SeenKeyRow.key).where(SeenKeyRow.expires_at <= self._clock()).limit(limit)
        )
        with self._db.sessions.begin() as session:
            result = session.execute(
                delete(SeenKeyRow).where(tuple_(SeenKeyRow.kind, SeenKeyRow.key).in_(expired))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def count(self, kind: str | None = None) -> int:
        """Rows stored, expired or not (for tests and operators)."""
        query = select(func.count()).select_from(SeenKeyRow)
        if kind is not None:
            query = query.where(SeenKeyRow.kind == kind)
        with self._db.sessions() as session:
            return int(session.execute(query).scalar_one())


class _SharedClaims:
    """Claims in the database, remembered in this process too; failing open to that memory.

    The local memory answers a key this replica already claimed without a database round trip, and
    keeps refusing same-replica repeats while the database is unreachable.
    """

    def __init__(
        self,
        db: Database,
        *,
        kind: str,
        ttl: float,
        clock: Clock,
        timeout: float,
        prune_every: int,
        prune_limit: int,
        max_local: int,
    ) -> None:
        if prune_every < 1 or prune_limit < 1:
            raise ValueError("prune_every and prune_limit must be at least 1")
        self.table = SeenKeys(db, clock=clock)
        self.kind = kind
        self.ttl = ttl
        self.timeout = timeout
        self.prune_every = prune_every
        self.prune_limit = prune_limit
        self._local = MemoryEventDeduper(
            ttl=ttl, max_entries=max_local, clock=lambda: clock().timestamp()
        )  # any key, not only event ids
        self._claims = 0
        self._failing = False

    async def claim(self, key: str) -> bool:
        if not await self._local.first_delivery(key):
            return False
        # The first claim prunes too: a replica starting after a quiet spell clears the backlog.
        prune = self._claims % self.prune_every == 0
        self._claims += 1
        try:
            first = await asyncio.wait_for(asyncio.to_thread(self._claim, key, prune), self.timeout)
        except Exception as error:  # a database fault must cost a duplicate at worst, never the answer
            if not self._failing:
                self._failing = True
                log.warning(
                    "the shared %s store failed (%s): checking repeats in this process only until it is back",
                    self.kind,
                    type(error).__name__,
                )
            return True
        if self._failing:
            self._failing = False
            log.info("the shared %s store answers again", self.kind)
        return first

    def _claim(self, key: str, prune: bool) -> bool:
        first = self.table.claim(self.kind, key, self.ttl)
        if prune:
            try:
                self.table.prune(self.prune_limit)
            except Exception as error:  # the claim stands; the next prune retries
                log.warning("could not prune expired %s keys (%s)", self.kind, type(error).__name__)
        return first


class _DatabaseStore:
    """What the two shared stores have in common: a kind, a time to keep keys, and the claims."""

    KIND: str
    TTL: float
    MAX_LOCAL: int

    def __init__(
        self,
        db: Database,
        *,
        ttl: float | None = None,
        clock: Clock = utc_now,
        timeout: float = 2.0,
        prune_every: int = 100,
        prune_limit: int = 1000,
        max_local: int | None = None,
    ) -> None:
        self._claims = _SharedClaims(
            db,
            kind=self.KIND,
            ttl=self.TTL if ttl is None else ttl,
            clock=clock,
            timeout=timeout,
            prune_every=prune_every,
            prune_limit=prune_limit,
            max_local=self.MAX_LOCAL if max_local is None else max_local,
        )


class DatabaseEventDeduper(_DatabaseStore):
    """:class:`~bot.slack.dedupe.EventDeduper` shared through the database (``BotDeps.seen_events``).

    Each ``event_id`` is held ``ttl`` seconds (default an hour; Slack's retries end after ~6
    minutes). Fails open: see the module docstring.
    """

    KIND = "event"
    TTL = 3600.0
    MAX_LOCAL = 50_000

    async def first_delivery(self, event_id: str) -> bool:
        return await self._claims.claim(seen_key(event_id))


class DatabaseMentionDeduper(_DatabaseStore):
    """Mentions answered, one key per message (``channel:ts``), shared through the database
    (``BotDeps.seen_mentions``).

    Editing a message that mentions the bot makes Slack send ``app_mention`` again with a new
    ``event_id`` (so the event dedupe lets it through) but the message's own ``ts``: claiming the
    message (:func:`bot.slack.dedupe.mention_key`) keeps it to one answer, whichever replica each delivery
    reaches. Keys are held ``ttl`` seconds (default :data:`~bot.slack.dedupe.MENTION_MEMORY`, a day); fails
    open like the event dedupe (see the module docstring).
    """

    KIND = "mention"
    TTL = MENTION_MEMORY
    MAX_LOCAL = 50_000

    async def first_delivery(self, key: str) -> bool:
        return await self._claims.claim(seen_key(key))


class DatabaseReplayStore(_DatabaseStore):
    """:class:`~bot.slack.dedupe.ReplayStore` shared through the database (``start_http(replay_store=)``).

    Stores a SHA-256 of (timestamp, signature), never the signature, for ``ttl`` seconds: Bolt's
    window on both sides of the clock plus a minute, as :class:`~bot.slack.dedupe.MemoryReplayStore`.
    Fails open to this process's memory: see the module docstring for why.
    """

    KIND = "replay"
    TTL = 2 * REPLAY_WINDOW + 60.0
    MAX_LOCAL = 100_000

    async def first_use(self, timestamp: str, signature: str) -> bool:
        digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
        return await self._claims.claim(digest)
