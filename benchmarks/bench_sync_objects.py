"""Benchmark of the mirror's object types besides deals (contacts, tickets, survey responses,
products, goal targets) on the sample portal, against the loopback fake HubSpot at HubSpot's limits
(child process, ``--latency`` per answer, 5 searches a second, 100 other calls per 10 s).

Measured per portal size (the sample portal: one contact per deal, half as many tickets and survey
responses, a few products and goals):

1. cold sync of every type (deals included): calls and wall time;
2. a background delta with nothing changed (light=False: every type's deletion check too);
3. an answer after the freshness window (``MirrorSource.snapshot`` + ``analyze_all``), a few objects
   changed: calls (searches) and end-to-end time - the light delta of every type; line items, not
   mirrored, are read beforehand as ``engine-bot serve`` does after each background sync;
4. beside it, what the same answer cost before these types were mirrored: a deals-only mirror whose
   other types are read live (``MirrorSource.warm``: the calls and time that read takes);
5. resident memory of a restarted process holding the mirror (all types vs deals only), the rows
   written straight into the database (``--rss-only`` sizes skip 1-4: a 100k cold sync is 1,500
   search pages, five minutes at HubSpot's limit).

    .venv/bin/python benchmarks/bench_sync_objects.py 10000
    .venv/bin/python benchmarks/bench_sync_objects.py --rss-only 10000 100000
    .venv/bin/python benchmarks/bench_sync_objects.py --skip-before 100000   # ~10 min
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support and bench_sync

from bench_sync import NOW, rss_mb  # type: ignore[import-not-found]

from bot.mirror import Mirror, MirrorSource
from bot.mirror.store import MirrorStore, SyncState
from bot.mirror.sync import ACCOUNT_KIND, OWNERS_KIND, READS_KIND, pipelines_kind
from bot.storage import Database
from engines import analyze_all
from engines.dates import utc_now
from engines.hubspot import DEALS, mirrored_object_types
from engines.hubspot._mapping import stage_entry_properties
from engines.models import ObjectRead, ObjectType, ReadState
from engines.sample import generate_portal
from tests.support.hubspot import FakeHubSpot, hubspot_deal_properties
from tests.support.hubspot_objects import object_properties

LOOKBACK = 180
TYPES = (DEALS, *mirrored_object_types(LOOKBACK))
ALL_BUT_LINE_ITEMS = frozenset(ObjectType) - {ObjectType.LINE_ITEMS}
ANSWERS = 3  # answers after the freshness window, a few objects changed before each


def _searches(calls: list[Any], since: int) -> int:
    return sum(1 for c in calls[since:] if c.path.endswith("/search"))


def _run(awaitable: Any) -> tuple[Any, float]:
    """One step in its own event loop, after a second's pause, so HubSpot's rolling second holds
    none of the previous step's searches (as between real syncs) and no step waits for the pacer."""
    time.sleep(1.1)
    start = time.perf_counter()
    result = asyncio.run(awaitable)
    return result, time.perf_counter() - start


def bench(deals: int, latency: float, *, before: bool = True) -> None:
    # Dated 30 days back: the sample dates some contacts' changes up to 25 days after its "now", and
    # HubSpot has no changes in the future (they would be re-read by every delta).
    portal = generate_portal(deals=deals, seed=7, now=utc_now() - timedelta(days=30))
    sizes = (
        f"{len(portal.contacts):,} contacts, {len(portal.tickets):,} tickets, "
        f"{len(portal.feedback):,} survey responses, {len(portal.products)} products, "
        f"{len(portal.goals)} goals"
    )
    with FakeHubSpot.in_subprocess(portal, latency=latency) as fake:
        db = Database(data_dir=tempfile.mkdtemp(prefix="bench-objects-"))
        db.migrate()
        mirror = Mirror(db, fake.token, base_url=fake.base_url, object_types=TYPES)
        outcome, wall = _run(mirror.sync())
        calls = fake.calls()
        print(f"{deals:>7,} deals ({sizes})")
        print(
            f"{'':>9}cold sync, every type: {len(calls)} calls (search {_searches(calls, 0)}), "
            f"{wall:6.2f} s; "
            + ", ".join(f"{r.object_type} {r.read:,} in {r.calls}" for r in outcome.results)
        )
        since = len(fake.calls())
        outcome, wall = _run(mirror.sync())
        calls = fake.calls()
        print(
            f"{'':>9}background delta, nothing changed: {len(calls) - since} calls "
            f"(search {_searches(calls, since)}), {wall:5.2f} s"
        )
        source = MirrorSource(mirror, lookback_days=LOOKBACK)
        since = len(fake.calls())
        _, warm = _run(source.warm())  # line items of the won deals: still read live, ahead
        line_item_calls = len(fake.calls()) - since
        mirror.fresh_seconds = 0  # the freshness window has passed

        async def answer() -> tuple[float, float]:
            start = time.perf_counter()
            snapshot = await source.snapshot()
            read = time.perf_counter() - start
            analyze_all(snapshot)
            return read, time.perf_counter() - start - read

        for round_ in range(ANSWERS):  # the first also builds each type's selection
            fake.mutate_objects(
                "edit", "contacts", portal.contacts[-1 - round_].id, lifecyclestage="customer"
            )
            fake.mutate_objects("edit", "tickets", portal.tickets[-1 - round_].id, subject="Changed")
            fake.mutate("set_amount", portal.deals[-1 - round_].id, "4242")
            since = len(fake.calls())
            (read, analyzed), wall = _run(answer())
            calls = fake.calls()
            print(
                f"{'':>9}answer after the freshness window (3 objects changed): {len(calls) - since} "
                f"calls (search {_searches(calls, since)}), {wall:5.2f} s end to end (snapshot "
                f"{read:.2f} s, analyze_all {analyzed:.2f} s)"
            )
        print(f"{'':>9}line items read ahead (not mirrored): {line_item_calls} calls, {warm:.2f} s")
        if not before:
            db.dispose()
            return
        deals_only = Mirror(
            Database(data_dir=tempfile.mkdtemp(prefix="bench-objects-old-")),
            fake.token,
            base_url=fake.base_url,
        )
        deals_only.store.db.migrate()
        _run(deals_only.sync())
        old = MirrorSource(deals_only, lookback_days=LOOKBACK)
        since = len(fake.calls())
        _, wall = _run(old.warm())
        calls = fake.calls()
        print(
            f"{'':>9}before (other types read live, every HUBSPOT_CACHE_TTL): {len(calls) - since} calls "
            f"(search {_searches(calls, since)}), {wall:5.2f} s"
        )
        db.dispose()


def _write_mirror(deals: int, url: str) -> tuple[str, str]:
    """The sample portal's mirror written straight into the database (no HubSpot behind it)."""
    db = Database(url)
    store = MirrorStore(db)
    portal = generate_portal(deals=deals, seed=7, now=NOW)
    token, base_url = "pat-na1-rss", "http://127.0.0.1:9"
    mirror = Mirror(db, token, base_url=base_url)
    portal_key = str(portal.portal.portal_id)
    now = utc_now()
    stages = {(p.id, s.id): s for p in portal.pipelines for s in p.stages}
    rows = {}
    for deal in portal.deals:
        props = hubspot_deal_properties(deal, stages.get((deal.pipeline_id or "", deal.stage_id or "")))
        rows[deal.id] = {k: v for k, v in props.items() if v is not None}
    store.upsert(portal_key, "deals", rows, now)
    stage_ids = [s.id for p in portal.pipelines for s in p.stages]
    state = SyncState(cursor=now, last_sync_at=now, last_full_at=now, last_kind="full")
    state.properties = (*DEALS.properties, *stage_entry_properties(stage_ids))
    store.save_state(portal_key, "deals", state)
    for name, objects in object_properties(portal).items():
        if name == "line_items":
            continue
        kept = {i: {k: v for k, v in p.items() if v is not None} for i, p in objects}
        store.upsert(portal_key, name, kept, now)
        store.save_state(portal_key, name, SyncState(cursor=now, last_sync_at=now, last_full_at=now))
    store.replace_all(portal_key, ACCOUNT_KIND, {"details": portal.portal.model_dump(mode="json")}, now)
    store.replace_all(portal_key, OWNERS_KIND, {o.id: o.model_dump(mode="json") for o in portal.owners}, now)
    store.replace_all(
        portal_key, pipelines_kind("deals"), {p.id: p.model_dump(mode="json") for p in portal.pipelines}, now
    )
    store.replace_all(
        portal_key,
        pipelines_kind("tickets"),
        {p.id: p.model_dump(mode="json") for p in portal.ticket_pipelines},
        now,
    )
    read = {**ObjectRead(state=ReadState.READ).model_dump(mode="json"), "warning": None}
    store.replace_all(portal_key, READS_KIND, {t.name: read for t in TYPES[1:]}, now)
    store.replace_all(mirror.key, "portal", {"portal": {"portal": portal_key}}, now)
    db.dispose()
    return token, base_url


def _load(url: str, token: str, base_url: str, with_objects: bool, out: Any) -> None:
    import bot.mirror  # noqa: F401 - imports are paid at start-up, not by the load

    before = rss_mb()

    async def load() -> tuple[int, float]:
        types = TYPES if with_objects else (DEALS,)
        mirror = Mirror(Database(url), token, base_url=base_url, fresh_seconds=86_400.0, object_types=types)
        wanted = ALL_BUT_LINE_ITEMS if with_objects else frozenset()
        source = MirrorSource(mirror, lookback_days=LOOKBACK, objects=wanted)
        start = time.perf_counter()
        snapshot = await source.snapshot()
        analyze_all(snapshot)
        held = len(mirror.memory.others) if mirror.memory is not None else 0
        return held, time.perf_counter() - start

    held, seconds = asyncio.run(load())
    out.send((held, seconds, before, rss_mb()))


def rss(deals: int) -> None:
    folder = tempfile.mkdtemp(prefix="bench-objects-rss-")
    url = f"sqlite:///{folder}/mirror.db"
    Database(url).migrate()
    token, base_url = _write_mirror(deals, url)
    context = multiprocessing.get_context("spawn")
    for with_objects in (False, True):
        parent, child = context.Pipe()
        process = context.Process(target=_load, args=(url, token, base_url, with_objects, child))
        process.start()
        held, seconds, before, after = parent.recv()
        process.join()
        what = f"deals + {held:,} other objects" if with_objects else "deals only"
        print(
            f"{deals:>7,} deals, restarted process holding {what}: load to first answer {seconds:5.2f} s; "
            f"RSS {before:.0f} MB at start, {after:.0f} MB loaded"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000], help="portal sizes in deals")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per response (default 0.1)")
    parser.add_argument("--rss-only", action="store_true", help="only the resident-memory measurement")
    parser.add_argument(
        "--skip-before",
        action="store_true",
        help="skip the live read of the other types (step 4: 212 s at 100k)",
    )
    args = parser.parse_args(argv)
    for size in args.sizes:
        if not args.rss_only:
            bench(size, args.latency, before=not args.skip_before)
        rss(size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
