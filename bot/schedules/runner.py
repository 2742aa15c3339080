"""The schedule runner inside ``engine-bot serve``: fires due schedules, each firing exactly once.

Every replica runs one. On each wake-up it reads the schedules, works out which firing (if any) is
due, and CLAIMS it in the database (an insert on the unique key schedule id + fire time) before
posting. Exactly one replica's claim succeeds, so with several replicas on one PostgreSQL database each
firing is posted once, with no leader to elect and nothing to hand over when a replica dies.

Catch-up: only the latest firing within ``grace`` of now is due. A firing missed while no replica was
up is posted once at start-up if it is recent enough, and a long outage never turns into a burst of
old reports. The outcome (posted, or failed with a reason) is written on the claim row.

Delivery is at most once: a replica that dies between claiming and posting leaves the claim at
``claimed`` and that firing is not retried (a duplicate report in a channel is worse than a late one;
``/engine schedule list`` shows it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfoNotFoundError

from bot.errors import user_text
from bot.schedules.cron import ScheduleError, last_fire_between, next_fire
from bot.storage import FiringStatus, Schedule, ScheduleStore
from engines import utc_now

__all__ = ["FiringResult", "PostReport", "ScheduleRunner", "default_replica_id"]

logger = logging.getLogger(__name__)

PostReport = Callable[[Schedule, datetime], Awaitable[None]]
Clock = Callable[[], datetime]
# Wake a little after the firing so the wall clock has surely passed it.
_WAKE_SLACK = 0.05


@dataclass(frozen=True, slots=True)
class FiringResult:
    """What one claimed firing came to on this replica."""

    schedule_id: str
    fire_at: datetime
    status: FiringStatus
    detail: str | None = None


def default_replica_id() -> str:
    """Host, process and a random suffix: which replica claimed a firing, for the firing log."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(2)}"


def _reason(error: BaseException) -> str:
    """A short, secret-free reason for the firing log and ``schedule list``."""
    text = str(error).splitlines()[0] if str(error) else ""
    return user_text(
        error, doing="posting a scheduled report", logger=logger, unexpected=f"{type(error).__name__}: {text}"
    )[:500]


class ScheduleRunner:
    """Fires schedules from ``store`` by calling ``post_report(schedule, fire_at)``.

    ``post_report`` builds and posts the cards (see :func:`bot.schedules.delivery.post_cards`); if it
    raises, the firing is recorded as failed with the reason and the runner carries on. ``clock`` is
    injectable so tests never wait for real minutes.
    """

    def __init__(
        self,
        store: ScheduleStore,
        post_report: PostReport,
        *,
        clock: Clock = utc_now,
        grace: timedelta = timedelta(hours=1),
        poll_interval: timedelta = timedelta(seconds=30),
        replica_id: str | None = None,
    ) -> None:
        self._store = store
        self._post = post_report
        self._clock = clock
        self.grace = grace
        self.poll_interval = poll_interval
        self.replica_id = replica_id or default_replica_id()
        self._handled: dict[str, datetime] = {}  # newest firing this replica claimed or saw claimed
        self._schedules: list[Schedule] = []
        self._stopped = False
        self._wake: asyncio.Event | None = None

    async def run_once(self, now: datetime | None = None) -> list[FiringResult]:
        """Post every firing due at ``now`` that no replica has claimed yet; return what this one did."""
        moment = now or self._clock()
        self._schedules = await self._store.schedules()
        due: list[tuple[Schedule, datetime]] = []
        for schedule in self._schedules:
            start = max(moment - self.grace, schedule.created_at)
            try:
                fire_at = last_fire_between(schedule.cron, schedule.zone, start, moment)
            except (ScheduleError, ZoneInfoNotFoundError) as error:
                logger.warning("schedule %s cannot fire: %s", schedule.id, error)
                continue
            if fire_at is not None and self._handled.get(schedule.id) != fire_at:
                due.append((schedule, fire_at))
        results = await asyncio.gather(*(self._fire(schedule, fire_at) for schedule, fire_at in due))
        return [result for result in results if result is not None]

    async def _fire(self, schedule: Schedule, fire_at: datetime) -> FiringResult | None:
        if not await self._store.claim(schedule.id, fire_at, claimed_by=self.replica_id):
            self._handled[schedule.id] = fire_at  # another replica has it
            return None
        self._handled[schedule.id] = fire_at
        logger.info("posting schedule %s for %s", schedule.id, fire_at.isoformat())
        status, detail = FiringStatus.POSTED, None
        try:
            await self._post(schedule, fire_at)
        except asyncio.CancelledError:
            await asyncio.shield(
                self._store.finish(schedule.id, fire_at, status=FiringStatus.FAILED, detail="interrupted")
            )
            raise
        except Exception as error:  # a failed post must not stop the other schedules; it is recorded
            status, detail = FiringStatus.FAILED, _reason(error)
            logger.warning("schedule %s failed for %s: %s", schedule.id, fire_at.isoformat(), detail)
        await self._store.finish(schedule.id, fire_at, status=status, detail=detail)
        return FiringResult(schedule.id, fire_at, status, detail)

    def seconds_until_next(self, now: datetime) -> float:
        """How long to sleep: until the next firing of any schedule, at most ``poll_interval``."""
        wait = self.poll_interval.total_seconds()
        for schedule in self._schedules:
            try:
                upcoming = next_fire(schedule.cron, schedule.zone, now)
            except (ScheduleError, ZoneInfoNotFoundError):
                continue
            wait = min(wait, (upcoming - now).total_seconds() + _WAKE_SLACK)
        return max(wait, _WAKE_SLACK)

    async def run(self) -> None:
        """Poll until :meth:`stop`. A failing poll (database briefly down) is logged and retried."""
        self._wake = asyncio.Event()
        while not self._stopped:
            try:
                await self.run_once()
            except Exception:  # keep the runner alive; the next poll retries
                logger.exception("schedule poll failed; retrying in %s", self.poll_interval)
            if self._stopped:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.seconds_until_next(self._clock()))
            self._wake.clear()

    def wake(self) -> None:
        """Poll again now instead of at the planned time.

        The sleep is planned from the schedules read at the last poll; after ``/engine schedule add``
        or ``remove`` that plan is stale, so the command wakes the runner to re-read them.
        """
        if self._wake is not None:
            self._wake.set()

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current poll (in-flight posts finish first)."""
        self._stopped = True
        if self._wake is not None:
            self._wake.set()
