"""The bot restarted in the middle of a scheduled firing: the report is posted at most once.

``engine-bot serve`` does not start the schedule runner yet, so this drives the runner the way the
serve wiring will (``bot.schedules`` docstring): a ``ScheduleRunner`` on a migrated SQLite store whose
``post_report`` posts a card to the loopback Slack with :func:`bot.schedules.post_cards`. The first
process posts and is then killed (its task cancelled, as SIGTERM does) before it can record the
outcome; a fresh process - new runner, new replica id, same database - wakes within the grace period
and must not post the firing again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.schedules import Schedule, ScheduleRunner, ScheduleStore, post_cards
from bot.storage import Database, FiringStatus
from tests.support.slack import FakeSlack

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(data_dir=tmp_path / "data")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def store(db: Database) -> ScheduleStore:
    # The schedule is made a week before the firing (a firing before a schedule existed never fires).
    return ScheduleStore(db, clock=lambda: MONDAY_9 - timedelta(days=7))


async def test_a_restart_mid_firing_never_posts_the_report_twice(
    store: ScheduleStore, slack: FakeSlack
) -> None:
    schedule = await store.add(
        channel_id="C0REVOPS", cron="0 9 * * mon", spec="0 9 * * mon", timezone="UTC", created_by="U0ALICE"
    )
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    dying = asyncio.Event()

    async def post_then_die(item: Schedule, fire_at: datetime) -> None:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Weekly value engines"}}]
        await post_cards(
            client, item.channel_id, blocks, "Weekly value engines", scheduled_by=item.created_by
        )
        dying.set()
        await asyncio.Event().wait()  # the process is killed here, before the outcome is recorded

    async def post(item: Schedule, fire_at: datetime) -> None:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Weekly value engines"}}]
        await post_cards(
            client, item.channel_id, blocks, "Weekly value engines", scheduled_by=item.created_by
        )

    first = ScheduleRunner(store, post_then_die, replica_id="pod-a")
    firing = asyncio.create_task(first.run_once(MONDAY_9 + timedelta(seconds=1)))
    await asyncio.wait_for(dying.wait(), 10)
    firing.cancel()  # SIGTERM mid-firing
    with pytest.raises(asyncio.CancelledError):
        await firing

    restarted = ScheduleRunner(store, post, replica_id="pod-a-restarted")
    assert await restarted.run_once(MONDAY_9 + timedelta(minutes=5)) == []
    assert await restarted.run_once(MONDAY_9 + timedelta(minutes=30)) == []

    assert len(slack.calls_to("chat.postMessage")) == 1
    (record,) = await store.firings(schedule.id)
    assert (record.claimed_by, record.status, record.detail) == ("pod-a", FiringStatus.FAILED, "interrupted")

    # the restarted process is healthy: the next Monday's firing is posted, once
    (result,) = await restarted.run_once(MONDAY_9 + timedelta(days=7, seconds=1))
    assert result.status == FiringStatus.POSTED
    assert len(slack.calls_to("chat.postMessage")) == 2
