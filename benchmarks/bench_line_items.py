"""Benchmark of the mirrored line items (``bot/mirror/line_items.py``) on the sample portal.

The fake HubSpot runs in a child process at HubSpot's limits (search 5 a second, the rest 100 per
10 s) and answers after ``--latency`` seconds (default 100 ms). The mirror mirrors the line items of
the deals won in the last 180 days. Measured, per sync: all calls and the line items' share (the edit
search, association reads, batch reads) and the wall time of the sync and of its line-item part:

1. the cold sync (deals, then the won deals' associations and line items);
2. what the live read costs for the same line items on every refresh (associations + batch reads),
   which the mirror replaces;
3. a delta with nothing changed, and one after a round of changes (deals won, line items added,
   edited and deleted);
4. an answer after the freshness window (one delta, line items from memory, ``analyze_all``).

    .venv/bin/python benchmarks/bench_line_items.py            # 10,000 deals
    .venv/bin/python benchmarks/bench_line_items.py 50000 --latency 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

from bot.mirror import Mirror, MirrorSource, SyncOutcome
from bot.mirror.store import MirrorStore
from bot.storage import Database
from engines import ObjectType, analyze_all
from engines.dates import utc_now
from engines.hubspot import HubSpotClient, won_deal_ids
from engines.hubspot._objects import read_line_items
from engines.sample import generate_portal
from tests.support.hubspot import FakeHubSpot

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DAYS = 180


def kinds(calls: list[Any]) -> Counter[str]:
    found: Counter[str] = Counter()
    for call in calls:
        path = call.path
        if "line_items/search" in path:
            found["li-search"] += 1
        elif "deals/line_items/batch/read" in path:
            found["associations"] += 1
        elif "line_items/deals/batch/read" in path:
            found["parents"] += 1
        elif "line_items/batch/read" in path:
            found["li-batch"] += 1
        elif path.endswith("/search"):
            found["deal-search"] += 1
        else:
            found["other"] += 1
    return found


def line(title: str, outcome: SyncOutcome | None, calls: list[Any], wall: float) -> None:
    assert outcome is not None
    result = outcome.results[-1]
    counted = kinds(calls)
    share = ", ".join(f"{k} {v}" for k, v in sorted(counted.items()))
    print(
        f"  {title:<34} {len(calls):>4} calls ({share}); {wall:6.2f} s; line items {result.kind}: "
        f"read {result.read:,}, +{result.created} ~{result.changed} -{result.deleted}"
    )


def bench(deals: int, latency: float) -> None:
    portal = generate_portal(deals=deals, seed=7, now=NOW)
    folder = tempfile.mkdtemp(prefix="bench-line-items-")
    db = Database(data_dir=folder)
    db.migrate()
    MirrorStore(db).reset()
    now = utc_now()
    won = won_deal_ids(portal.deals, portal.pipelines, now - timedelta(days=DAYS), now)
    items = [li for li in portal.line_items if li.deal_id in set(won)]
    print(
        f"{deals:,} deals, {len(portal.line_items):,} line items; won in the last {DAYS} days: "
        f"{len(won):,} deals with {len(items):,} line items (latency {latency * 1000:.0f} ms)"
    )
    with FakeHubSpot.in_subprocess(portal, latency=latency) as fake:
        mirror = Mirror(db, fake.token, base_url=fake.base_url, line_items_days=DAYS)

        def sync(title: str) -> None:
            since = len(fake.calls())
            start = time.perf_counter()
            outcome = asyncio.run(mirror.sync())
            wall = time.perf_counter() - start
            line(title, outcome, fake.calls()[since:], wall)
            portal_id = asyncio.run(mirror.portal())
            assert portal_id is not None
            state = mirror.store.state(portal_id, "line_items")
            assert state is not None
            print(f"  {'':<34} line-item part {state.last_seconds:.2f} s, {state.objects:,} held")

        sync("cold sync")

        async def live() -> float:
            async with HubSpotClient(fake.token, base_url=fake.base_url) as client:
                start = time.perf_counter()
                await read_line_items(client, won)
                return time.perf_counter() - start

        since = len(fake.calls())
        wall = asyncio.run(live())
        calls = fake.calls()[since:]
        print(
            f"  {'live read (each refresh before)':<34} {len(calls):>4} calls "
            f"({', '.join(f'{k} {v}' for k, v in sorted(kinds(calls).items()))}); {wall:6.2f} s"
        )
        sync("delta, nothing changed")
        open_ids = [d.id for d in portal.deals if d.close_date is None or d.close_date > now][:20]
        for deal_id in open_ids:  # 20 deals won now
            fake.mutate("edit", deal_id, dealstage="closedwon", closedate=fake.mutate("stamp"))
        for deal_id in won[:50]:
            fake.mutate("add_line_item", deal_id, amount="125")
        for li in items[:200]:
            fake.mutate("edit_line_item", li.id, amount="77")
        for li in items[200:220]:
            fake.mutate("archive_line_item", li.id)
        sync("delta, a round of changes")
        mirror.fresh_seconds = 0  # the freshness window has passed
        source = MirrorSource(mirror, objects={ObjectType.LINE_ITEMS}, lookback_days=DAYS)

        async def answer() -> tuple[int, float]:
            start = time.perf_counter()
            snapshot = await source.snapshot()
            analyze_all(snapshot)
            return len(snapshot.line_items), time.perf_counter() - start

        since = len(fake.calls())
        answered, wall = asyncio.run(answer())
        calls = fake.calls()[since:]
        print(
            f"  {'answer after the freshness window':<34} {len(calls):>4} calls "
            f"({', '.join(f'{k} {v}' for k, v in sorted(kinds(calls).items()))}); {wall:6.2f} s "
            f"end to end ({answered:,} line items from memory)"
        )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("deals", nargs="?", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    bench(args.deals, args.latency)


if __name__ == "__main__":
    main()
