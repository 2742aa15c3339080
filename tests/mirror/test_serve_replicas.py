"""Two real ``engine-bot serve`` replicas on the real PostgreSQL share one mirror: one syncs, both
answer, HubSpot sees the calls of one."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.bot.harness import BOT_TOKEN, SIGNING_SECRET
from tests.bot.processes import serve_process
from tests.bot.test_serve_process import _command
from tests.fakes.hubspot import ACCOUNT, SEARCH, FakeHubSpot
from tests.fakes.slack import FakeSlack
from tests.hubspot.portal import make_portal

pytestmark = pytest.mark.postgres


def test_two_serve_replicas_share_one_mirror_and_one_sync(pg_url: str, tmp_path: Path) -> None:
    portal = make_portal(open_deals=1_500, closed_recent=80, closed_old=20, owners=4)
    with (
        FakeSlack.running(bot_token=BOT_TOKEN) as slack,
        FakeHubSpot.running(portal, search_per_second=None, app_limit=None) as hubspot,
    ):
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "HUBSPOT_ACCESS_TOKEN": hubspot.token,
            "HUBSPOT_API_BASE": hubspot.base_url,
            "DATABASE_URL": pg_url,
            "SYNC_INTERVAL": "3600",  # the start-up sync only, in this test
        }
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
        with contextlib.ExitStack() as stack:
            replicas = [stack.enter_context(serve_process(tmp_path / name, env)) for name in ("one", "two")]
            urls = [slack.new_response_url() for _ in replicas]
            for replica, url in zip(replicas, urls, strict=True):
                assert _command(replica.base, "growth", url) == 200
            for url in urls:
                slack.wait_for_sync(lambda s, u=url: len(s.responses(u.rsplit("/", 1)[-1])) >= 1, timeout=30)
        cards = [slack.responses(url.rsplit("/", 1)[-1])[0].payload for url in urls]
        searches = [c for c in hubspot.calls if c.path == SEARCH]
        syncs = len(hubspot.calls_to(ACCOUNT))
    assert all("Growth engine" in card["text"] for card in cards)
    # The same score from the same mirror (the second card adds the trend since the first).
    scores = [card["blocks"][1]["text"]["text"].split("*")[1] for card in cards]
    assert scores[0] == scores[1]
    assert syncs == 1  # one replica synced; the other loaded its rows from PostgreSQL
    assert len(searches) == 8  # 1,600 deals: 8 pages of 200, once
