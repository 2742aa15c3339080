"""Fixtures for the scenarios (the app over HTTP): a loopback fake Slack, the sample portal, and that portal
with hostile names (tests/support/fixtures.py); and a ``BotHarness`` with ``/engine schedule`` registered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.schedules import Scheduling
from bot.storage import Storage
from engines import SampleSource
from tests.support.clock import NOW
from tests.support.fixtures import hostile_portal, portal, slack
from tests.support.harness import BOT_TOKEN, BotHarness
from tests.support.slack import FakeSlack

__all__ = ["hostile_portal", "portal", "scheduling_bot", "slack"]


@pytest.fixture
async def scheduling_bot(slack: FakeSlack, tmp_path: Path) -> AsyncIterator[tuple[BotHarness, Storage]]:
    """The sample portal's bot with the subcommand ``engine-bot serve`` registers, over a real SQLite file."""
    harness = BotHarness(slack, SampleSource(now=NOW), data_dir=tmp_path / "data")
    storage = Storage.open(harness.settings)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    scheduling = Scheduling(harness.settings, storage, harness.deps.service, client)
    harness.deps.add_subcommand(scheduling.subcommand())
    async with harness:
        yield harness, storage
    storage.close()
