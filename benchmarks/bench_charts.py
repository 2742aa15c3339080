"""Benchmark of the four charts (bot.charts): import time, first render and steady render time of each.

The inputs are fixed and come from the built-in sample portal (no account needed):

- score: the Growth score of 12 weekly reports on a sample portal growing from 30 to 195 deals;
- waterfall: a simulated week of edits on the 240-deal sample portal (benchmarks/simulated_changes.py),
  Sales Pipeline;
- time in stage and conversion: the Growth report of the 240-deal sample portal, Sales Pipeline.

``--out DIR`` also writes the PNGs there and their alt text to DIR/alt-text.md: the docs' pictures
(docs/img/) are made by ``.venv/bin/python benchmarks/bench_charts.py --out docs/img``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from simulated_changes import simulate

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
TARGET_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="renders per chart (default 20)")
    parser.add_argument("--out", type=Path, default=None, help="write the PNGs and their alt text here")
    args = parser.parse_args()

    start = time.perf_counter()
    from bot.charts.chart import Chart, ScorePoint, stage_labels
    from bot.charts.history import score_chart
    from bot.charts.stages import conversion_chart, stage_time_chart
    from bot.charts.waterfall import waterfall_chart

    imported = time.perf_counter() - start
    from engines import EngineName, analyze
    from engines.changes import compute_changes, stage_order
    from engines.sample import generate_portal

    snapshot = generate_portal(deals=240, seed=7, now=NOW)
    growth = analyze(snapshot, "growth", pipeline="default")
    labels = stage_labels(snapshot.pipelines)
    points = [
        ScorePoint(at, analyze(generate_portal(deals=30 + 15 * k, seed=k, now=at), "growth").score)
        for k in range(12)
        for at in [NOW - timedelta(weeks=11 - k)]
    ]
    since = NOW - timedelta(days=7)
    changes = compute_changes(
        simulate(snapshot, since),
        since=since,
        until=NOW,
        pipeline="default",
        stages=stage_order(snapshot.pipelines),
    )
    makers: dict[str, Callable[[], Chart | None]] = {
        "score": lambda: score_chart(points, EngineName.GROWTH),
        "waterfall": lambda: waterfall_chart(changes, pipeline_label="Sales Pipeline"),
        "time_in_stage": lambda: stage_time_chart(growth, labels),
        "conversion": lambda: conversion_chart(growth, labels),
    }
    print(f"import bot.charts (matplotlib): {imported:.2f} s")
    print("| chart | PNG | first render | median | p95 | max | median CPU |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    ok = True
    alt_texts: list[str] = []
    for name, make in makers.items():
        times, cpu = [], []
        chart = None
        for _ in range(args.runs + 1):
            start, start_cpu = time.perf_counter(), time.process_time()
            chart = make()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert chart is not None, name
        first, steady = times[0], sorted(times[1:])
        p95 = steady[min(len(steady) - 1, round(0.95 * (len(steady) - 1)))]
        print(
            f"| {name} | {len(chart.png) / 1024:.0f} KiB | {first * 1000:.0f} ms | "
            f"{statistics.median(steady) * 1000:.0f} ms | {p95 * 1000:.0f} ms | {steady[-1] * 1000:.0f} ms | "
            f"{statistics.median(cpu[1:]) * 1000:.0f} ms |"
        )
        ok = ok and statistics.median(steady) < TARGET_SECONDS
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / chart.filename).write_bytes(chart.png)
            alt_texts.append(f"- `{chart.filename}`: {chart.alt_text}")
    if args.out is not None:
        (args.out / "alt-text.md").write_text(
            "# Alt text of the charts in this folder\n\nMade by `.venv/bin/python benchmarks/bench_charts.py "
            f"--out {args.out}`.\n\n" + "\n".join(alt_texts) + "\n"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
