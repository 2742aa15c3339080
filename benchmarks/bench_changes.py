"""Benchmark of the change card's computation (engines.changes.compute_changes) on a big portal.

The input is the sample portal of N deals (default 100,000) as the state now and a simulated year of
edits before it (benchmarks/simulated_changes.py): created, closed, amount and close-date changes,
deletions and restores. Timed: turning the engine deals into states (``deal_state``) and the
computation itself (best of 5), for all pipelines and for one. Results in benchmarks/README.md.

    .venv/bin/python benchmarks/bench_changes.py            # 100k deals, a year
    .venv/bin/python benchmarks/bench_changes.py 1000000    # other sizes
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from simulated_changes import simulate

from engines.changes import BUCKETS, compute_changes, stage_order
from engines.sample import generate_portal

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
TARGET_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deals", nargs="?", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365, help="length of the period (default a year)")
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
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
