"""Benchmark of the change card's computation (engines.changes.compute_changes) on a big portal.

The input is the sample portal of N deals (default 100,000) as the state now and a simulated year of
edits before it (benchmarks/simulated_changes.py): created, closed, amount and close-date changes,
deletions and restores. Timed: turning the engine deals into states (``deal_state``) and the
computation itself (best of 5), for all pipelines and for one. Results in benchmarks/README.md.

    .venv/bin/python benchmarks/bench_changes.py            # 100k deals, a year
    .venv/bin/python benchmarks/bench_changes.py 1000000    # other sizes
    .venv/bin/python benchmarks/bench_changes.py --mirror --gc all   # the card under each GC regime

``--gc`` (with ``--mirror``): ``frozen`` (what the bot does: the loaded mirror is moved out of the
collector's generations with ``gc.freeze()``, see ``bot.mirror.mirror.freeze_loaded``), ``normal``
(no freeze), ``paused`` (the collector disabled during the card: the bot's former workaround), or
``all`` of them in one run; each prints the card's time and the collector's pauses during it.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from simulated_changes import simulate

from bot.mirror.changes import report_from_log
from bot.mirror.store import Change, MirrorStore
from bot.storage import Database
from engines import PortalSnapshot
from engines.changes import BUCKETS, DealState, DealTimeline, compute_changes, stage_order
from engines.sample import generate_portal

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
TARGET_SECONDS = 1.0
MIRROR_TARGET_SECONDS = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deals", nargs="?", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365, help="length of the period (default a year)")
    parser.add_argument(
        "--mirror", action="store_true", help="also time the card from a mirror database and its change log"
    )
    parser.add_argument("--gc", choices=["frozen", "normal", "paused", "all"], default="frozen")
    args = parser.parse_args()
    since = NOW - timedelta(days=args.days)
    snapshot = generate_portal(deals=args.deals, seed=7, now=NOW)
    start = time.perf_counter()
    timelines = simulate(snapshot, since)
    states = time.perf_counter() - start
    kinds = Counter(
        "created" if t.before is None else "deleted" if t.after and t.after.deleted else "other"
        for t in timelines
    )
    stages = stage_order(snapshot.pipelines)
    print(f"{args.deals:,} deals, {args.days} days; states built in {states:.2f} s ({dict(kinds)})")
    ok = True
    for pipeline in (None, "default"):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            report = compute_changes(timelines, since=since, until=NOW, pipeline=pipeline, stages=stages)
            best = min(best, time.perf_counter() - start)
        changed = {b: report.buckets[b].count for b in BUCKETS if report.buckets[b].count}
        total = report.open_value_start + sum(report.buckets[b].value for b in BUCKETS)
        assert total == report.open_value_end
        scope = pipeline or "all"
        print(f"  pipeline={scope}: {best * 1000:.0f} ms; {report.changed:,} deals changed {changed}")
        ok = ok and best < TARGET_SECONDS
    if args.mirror:
        regimes = ["normal", "paused", "frozen"] if args.gc == "all" else [args.gc]
        for regime in regimes:  # frozen last: a freeze cannot be undone for what is already in it
            ok = bench_mirror(snapshot, timelines, since, regime) and ok
    return 0 if ok else 1


def _props(state: DealState) -> dict[str, str]:
    """A state as the mirror stores a deal: HubSpot property strings, only those with a value."""
    values = {
        "dealname": state.name,
        "amount": None if state.amount is None else str(state.amount),
        "pipeline": state.pipeline_id,
        "dealstage": state.stage_id,
        "closedate": None if state.close_date is None else state.close_date.isoformat(),
        "hubspot_owner_id": state.owner_id,
    }
    return {name: value for name, value in values.items() if value is not None}


def _log(timelines: list[DealTimeline], since: datetime) -> list[Change]:
    """The change log that turns each deal's state at ``since`` into its state now, spread evenly
    over the period (a deal's entries in order)."""
    entries: list[Change] = []
    span = (NOW - since).total_seconds()
    for i, t in enumerate(timelines):
        at = since + timedelta(seconds=span * (i + 1) / (len(timelines) + 1))
        if t.before is None:
            entries.append(Change(t.id, "created", None, None, at))
            continue
        if t.before.deleted and t.after is not None and not t.after.deleted:
            entries.append(Change(t.id, "restored", None, None, at))
        old, new = _props(t.before), _props(t.after) if t.after is not None else {}
        for name in ("dealstage", "amount", "closedate", "hubspot_owner_id", "pipeline"):
            if old.get(name) != new.get(name):
                entries.append(Change(t.id, name, old.get(name), new.get(name), at))
        if t.after is not None and t.after.deleted and not t.before.deleted:
            entries.append(Change(t.id, "deleted", None, None, at))
    return entries


class _Pauses:
    """The cyclic collector's pauses while open (``gc.callbacks``): per generation, count and time."""

    def __init__(self) -> None:
        self.seconds: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]].append(time.perf_counter() - self._started)

    def __enter__(self) -> _Pauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        parts = []
        for generation, pauses in self.seconds.items():
            if pauses:
                parts.append(
                    f"gen{generation} {len(pauses)}x total {sum(pauses) * 1000:.0f} ms "
                    f"max {max(pauses) * 1000:.1f} ms"
                )
        return ", ".join(parts) or "none"


def bench_mirror(
    snapshot: PortalSnapshot, timelines: list[DealTimeline], since: datetime, regime: str = "frozen"
) -> bool:
    """Write the deals (as now, deleted ones as tombstones) and a change log of the period into a
    SQLite mirror, then time what the card does on top of the mirror's in-memory deals: read the log
    since the start (and the tombstones it names), state every deal now, walk the changed ones back
    to ``since``, compute. ``regime``: see the module docstring."""
    portal = "bench"
    gone_ids = {t.id for t in timelines if t.after is not None and t.after.deleted}
    live_deals = [deal for deal in snapshot.deals if deal.id not in gone_ids]
    with tempfile.TemporaryDirectory() as folder:
        db = Database(data_dir=Path(folder))
        db.migrate()
        store = MirrorStore(db)
        rows = {t.id: _props(t.after) for t in timelines if t.after is not None}
        store.upsert(portal, "deals", rows, NOW, deleted=dict.fromkeys(gone_ids, NOW))
        log = _log(timelines, since)
        store.log(portal, "deals", log, NOW)
        if regime == "frozen":  # as Mirror does once the copy is loaded
            gc.collect()
            gc.freeze()
        best = float("inf")
        pauses = _Pauses()
        for _ in range(3):
            if regime == "paused":
                gc.disable()
            start = time.perf_counter()
            with pauses:
                report = report_from_log(
                    store,
                    portal,
                    live_deals,
                    snapshot.pipelines,
                    since=since,
                    start=since,
                    until=NOW,
                    covered_from=since,
                    pipeline=None,
                    owners={o.id: o.name for o in snapshot.owners},
                    time_zone=snapshot.portal.time_zone,
                )
            best = min(best, time.perf_counter() - start)
            gc.enable()
        db.dispose()
    total = report.open_value_start + sum(report.buckets[b].value for b in BUCKETS)
    assert total == report.open_value_end
    print(
        f"  mirror, GC {regime}: {len(rows):,} deals, {len(log):,} change-log entries; card in "
        f"{best * 1000:.0f} ms (best of 3: the log read, the deals stated, the changed ones walked "
        f"back, computed); {report.changed:,} deals changed; collector pauses in the 3 runs: "
        f"{pauses.summary()}; frozen objects {gc.get_freeze_count():,}"
    )
    return best < MIRROR_TARGET_SECONDS


if __name__ == "__main__":
    raise SystemExit(main())
