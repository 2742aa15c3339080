"""``engine-bot``: the report in a terminal, a one-off post to Slack, or the Slack bot itself.

- ``engine-bot report ENGINE [--source sample|hubspot] [--pipeline X] [--format text|json|blocks]
  [--now ISO] [--chart DIR]`` (``--chart``: also write the card's charts as PNGs into DIR)
- ``engine-bot post ENGINE --channel C [--pipeline X] [--source ...] [--charts]`` (for cron or a
  Kubernetes CronJob; ``--charts`` attaches the card's charts in its thread)
- ``engine-bot serve [--port 3000] [--host 0.0.0.0]`` (Socket Mode when ``SLACK_APP_TOKEN`` is set)
- ``engine-bot sync [--full]``: sync the CRM mirror in DATA_DIR (or DATABASE_URL) with HubSpot now
- ``engine-bot changes [--since 7d] [--pipeline X] [--format text|json|blocks] [--chart DIR]``: what
  changed since a moment, from the mirror's change log (docs/changes.md)

``report`` and ``post`` read HubSpot through the mirror when it has been synced (docs/mirror.md).

``engine-bot report all`` works with no environment at all (the built-in sample portal): it is the
README's first command. Wrong input gets a one-line message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from slack_sdk.errors import SlackClientError

from bot.answers.parsing import ENGINE_WORDS, ReportRequest
from bot.answers.service import ReportBundle, ReportService
from bot.answers.since import SinceError, parse_changes
from bot.blocks import card_message, changes_message, changes_text, deliverable
from bot.cli.progress import ProgressBar
from bot.cli.terminal import render_json, render_text
from bot.errors import DeliveryError, SettingsError, user_text
from bot.mirror import Mirror
from bot.mirror.status import status_line
from bot.runtime.sources import SourceName, build_mirror, build_source
from bot.schedules import post_cards
from bot.settings import Settings, load_settings
from bot.slack.web import web_client
from bot.storage import DEFAULT_DB_FILENAME, Storage
from bot.storage.history import ReportHistory
from engines import EngineError, EngineName, UnknownPipelineError, to_utc, utc_now

if TYPE_CHECKING:  # bot.charts imports matplotlib: only commands that draw load it
    from bot.charts.chart import Chart, ScorePoint

__all__ = ["main"]

BUILDER_URL = "https://app.slack.com/block-kit-builder#"
EXIT_USAGE = 2
EXIT_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="engine-bot",
        description="Score a revenue team's value engines (growth, fulfillment, innovation) from HubSpot.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{report,post,serve,sync,changes}"
    )
    engines = sorted(ENGINE_WORDS)

    report = commands.add_parser("report", help="print a report in the terminal, as JSON or as Block Kit")
    report.add_argument(
        "engine", type=str.lower, choices=engines, help="growth, fulfillment, innovation or all"
    )
    _source_options(report)
    report.add_argument("--format", choices=("text", "json", "blocks"), default="text")
    report.add_argument("--now", help="analyse as of this ISO-8601 moment (default: now)")
    report.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    report.add_argument(
        "--chart",
        metavar="DIR",
        type=Path,
        default=None,
        help="also write the card's charts as PNGs into DIR",
    )

    post = commands.add_parser("post", help="post one card to a Slack channel (for cron jobs)")
    post.add_argument("engine", type=str.lower, choices=engines)
    post.add_argument("--channel", required=True, help="channel id (C…) or #name")
    post.add_argument(
        "--charts", action="store_true", help="attach the card's charts (needs the files:write scope)"
    )
    _source_options(post)

    serve = commands.add_parser("serve", help="run the Slack bot (Socket Mode if SLACK_APP_TOKEN is set)")
    serve.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT or 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP interface (default: all)")  # noqa: S104

    sync = commands.add_parser("sync", help="sync the CRM mirror with HubSpot now (first time: a full read)")
    sync.add_argument("--full", action="store_true", help="read every deal again and report any drift")

    changes = commands.add_parser(
        "changes", help="what changed since a moment, from the CRM mirror (after engine-bot sync)"
    )
    changes.add_argument(
        "--since", default="7d", help="monday, 7d, 36h, 2026-11-01 or 2026-11-01T09:30:00Z (default: 7d)"
    )
    changes.add_argument("--pipeline", default=None, help="pipeline id or label (default: all pipelines)")
    changes.add_argument("--format", choices=("text", "json", "blocks"), default="text")
    changes.add_argument(
        "--chart", metavar="DIR", type=Path, default=None, help="also write the waterfall PNG into DIR"
    )
    return parser


def _source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=("sample", "hubspot"),
        default=None,
        help="where deals come from (default: ENGINE_SOURCE, else hubspot if a token is set)",
    )
    parser.add_argument("--pipeline", default=None, help="pipeline id or label (default: all pipelines)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``engine-bot`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "report":
            return _report(args)
        if args.command == "post":
            return _post(args)
        if args.command == "sync":
            return _sync(args)
        if args.command == "changes":
            return _changes(args)
        return _serve(args)
    except SettingsError as exc:
        return _fail(user_text(exc, doing="starting"), EXIT_USAGE)
    except EngineError as exc:
        return _fail(user_text(exc, doing="reading the CRM"), EXIT_FAILED)
    except KeyboardInterrupt:
        return 130


def _fail(message: str, code: int) -> int:
    print(f"engine-bot: error: {message}", file=sys.stderr)
    return code


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    parsed = to_utc(text)
    if parsed is None or text.strip().lstrip("-").isdigit():
        raise SettingsError(
            f"--now must be an ISO-8601 date or date-time such as 2026-11-25T09:00:00Z, not {text!r}."
        )
    return parsed


async def _run(
    settings: Settings,
    args: argparse.Namespace,
    now: datetime | None,
    bar: ProgressBar,
    *,
    history: ReportHistory | None = None,
) -> ReportBundle:
    source_name: SourceName | None = args.source
    storage, mirror = await _synced_mirror(settings, source_name)
    source = build_source(settings, source_name, now=now, mirror=mirror)
    try:
        service = ReportService(source, history=history, config=settings.analysis, now=lambda: now)
        return await service.run(ReportRequest(args.engine).engines, args.pipeline, progress=bar)
    finally:
        bar.close()
        await source.aclose()
        if storage is not None:
            storage.close()


async def _synced_mirror(settings: Settings, name: SourceName | None) -> tuple[Storage | None, Mirror | None]:
    """The CRM mirror, when HubSpot is the source and the mirror in DATA_DIR (or DATABASE_URL) has
    been synced; else ``(None, None)`` and HubSpot is read live. Never creates a database."""
    if (name or settings.source) != "hubspot" or settings.hubspot_access_token is None:
        return None, None
    if settings.database_url is None and not (settings.data_dir / DEFAULT_DB_FILENAME).exists():
        return None, None
    storage = await asyncio.to_thread(Storage.open, settings)
    mirror = build_mirror(settings, storage.database)
    if await mirror.portal() is None:
        storage.close()
        return None, None
    return storage, mirror


def _changes(args: argparse.Namespace) -> int:
    settings = load_settings()
    return asyncio.run(_changes_async(settings, args))


async def _changes_async(settings: Settings, args: argparse.Namespace) -> int:
    from bot.mirror.changes import MirrorChanges

    storage, mirror = await _synced_mirror(settings, "hubspot")
    if storage is None or mirror is None:
        raise SettingsError(
            "engine-bot changes reads the CRM mirror's change log: set HUBSPOT_ACCESS_TOKEN and run "
            "engine-bot sync first (docs/mirror.md)."
        )
    try:
        source = MirrorChanges(mirror)
        portal = await source.portal()
        query = parse_changes(f"since {args.since}", now=utc_now(), time_zone=portal.portal.time_zone)
        if isinstance(query, SinceError):
            raise SettingsError(query.message)
        pipeline = None
        if args.pipeline is not None:
            pipeline = portal.find_pipeline(args.pipeline)
            if pipeline is None:
                raise UnknownPipelineError(args.pipeline, [p.label for p in portal.pipelines])
        report = await source.changes(query.since, pipeline.id if pipeline is not None else None)
    finally:
        storage.close()
    label = pipeline.label if pipeline is not None else None
    zone, currency = portal.portal.time_zone, portal.portal.currency
    if args.format == "json":
        print(json.dumps(report.to_json_dict(), indent=2, ensure_ascii=False))
    elif args.format == "blocks":
        message = changes_message(
            report, currency=currency, time_zone=zone, pipeline_label=label, deal_url=portal.deal_url
        )
        print(json.dumps(deliverable(message), indent=2, ensure_ascii=False))
    else:
        print(changes_text(report, currency=currency, time_zone=zone, pipeline_label=label), end="")
    if args.chart is not None:
        from bot.charts.waterfall import waterfall_chart

        _write_charts(
            args.chart, [waterfall_chart(report, currency=currency, pipeline_label=label, time_zone=zone)]
        )
    return 0


def _sync(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.require("hubspot_access_token")
    bar = ProgressBar(sys.stderr, enabled=sys.stderr.isatty())
    return asyncio.run(_sync_async(settings, full=args.full, bar=bar))


async def _sync_async(settings: Settings, *, full: bool, bar: ProgressBar) -> int:
    storage = await asyncio.to_thread(Storage.open, settings)
    try:
        mirror = build_mirror(settings, storage.database)
        try:
            outcome = await mirror.sync(full=full, progress=bar)
        finally:
            bar.close()
        if outcome is None:
            print(
                "Another engine-bot was syncing this portal; its rows are in the database.", file=sys.stderr
            )
        else:
            done = ", ".join(
                f"{r.object_type}: {r.kind} read {r.read:,}, {r.created + r.changed + r.restored:,} changed, "
                f"{r.deleted:,} deleted, drift {r.drift:,}"
                for r in outcome.results
            )
            print(
                f"Synced portal {outcome.portal} in {outcome.seconds:.1f} s with {outcome.calls:,} HubSpot "
                f"calls ({done})."
            )
        print(status_line(await mirror.status(), utc_now()))
    finally:
        storage.close()
    return 0


def _report(args: argparse.Namespace) -> int:
    now = _parse_now(args.now)
    settings = load_settings()
    bar = ProgressBar(sys.stderr, enabled=sys.stderr.isatty())
    bundle = asyncio.run(_run(settings, args, now, bar))
    many = args.engine == "all"
    if args.format == "json":
        print(render_json(bundle.reports, many=many))
    elif args.format == "blocks":
        payload = deliverable(card_message(bundle.reports, bundle.trends))
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        builder = json.dumps({"blocks": payload.get("blocks", [])}, separators=(",", ":"), ensure_ascii=False)
        print(f"Preview in Block Kit Builder: {BUILDER_URL}{quote(builder, safe='')}", file=sys.stderr)
    else:
        print(render_text(bundle.reports, bundle.trends, colour=_colour(args.color)), end="")
    if args.chart is not None:
        history = asyncio.run(_score_history(settings, bundle, recorded=False))
        _write_charts(args.chart, _charts(bundle, history, settings))
    return 0


def _has_history(settings: Settings) -> bool:
    """A report database exists (``report`` reads history but never creates a database)."""
    return settings.database_url is not None or (settings.data_dir / DEFAULT_DB_FILENAME).is_file()


async def _score_history(
    settings: Settings, bundle: ReportBundle, *, recorded: bool, storage: Storage | None = None
) -> dict[EngineName, list[ScorePoint]]:
    """Per report, the scores of its engine's last reports ending with its own: from the history when
    there is one (``recorded``: the bundle's reports are already in it)."""
    from bot.charts.chart import ScorePoint
    from bot.charts.history import LAST_REPORTS

    points: dict[EngineName, list[ScorePoint]] = {}
    opened = None
    if storage is None and _has_history(settings):
        storage = opened = await asyncio.to_thread(Storage.open, settings)
    try:
        for report in bundle.reports:
            past = []
            if storage is not None:
                kept = await storage.reports.history(report.engine, report.pipeline, limit=LAST_REPORTS)
                past = [ScorePoint(s.recorded_at, s.score) for s in kept]
            if not recorded:
                past = [*past[-(LAST_REPORTS - 1) :], ScorePoint(report.as_of, report.score)]
            points[report.engine] = past
    finally:
        if opened is not None:
            opened.close()
    return points


def _charts(
    bundle: ReportBundle, history: dict[EngineName, list[ScorePoint]], settings: Settings
) -> list[Chart]:
    from bot.charts.cards import engine_charts
    from bot.charts.chart import stage_labels

    labels = stage_labels(bundle.snapshot.pipelines)
    return [
        chart
        for report in bundle.reports
        for chart in engine_charts(
            report, labels=labels, history=history.get(report.engine, ()), config=settings.analysis
        )
    ]


def _write_charts(directory: Path, charts: Sequence[Chart]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        path = directory / chart.filename
        path.write_bytes(chart.png)
        print(f"Wrote {path}: {chart.alt_text}", file=sys.stderr)


def _colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _post(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.require("slack_bot_token")
    bar = ProgressBar(sys.stderr, enabled=sys.stderr.isatty())
    return asyncio.run(_post_async(settings, args, bar))


async def _post_async(settings: Settings, args: argparse.Namespace, bar: ProgressBar) -> int:
    """One card, posted like a scheduled report (:func:`bot.schedules.post_cards`): the bot joins a
    public channel it is not in, and Slack's 429s are waited out. Like a scheduled post it is kept in
    the report history, so a cron-driven ``post`` shows the trend since the previous one."""
    storage = await asyncio.to_thread(Storage.open, settings)
    try:
        bundle = await _run(settings, args, None, bar, history=storage.reports)
        history = (
            await _score_history(settings, bundle, recorded=True, storage=storage) if args.charts else {}
        )
    finally:
        storage.close()
    message = card_message(bundle.reports, bundle.trends)
    payload: dict[str, Any] = deliverable(message)
    client = web_client(settings)
    try:
        delivery = await post_cards(
            client,
            args.channel,
            payload.get("blocks", []),
            payload["text"],
            scheduled_by=None,
        )
    except DeliveryError as exc:
        return _fail(user_text(exc, doing="posting"), EXIT_FAILED)
    except SlackClientError as exc:
        return _fail(f"could not reach Slack ({type(exc).__name__}).", EXIT_FAILED)
    print(f"Posted to {delivery.channel} (ts {delivery.ts}).", file=sys.stderr)
    if args.charts:
        from bot.charts.upload import PictureNotices, attach_charts, pictures_hint

        result = await attach_charts(
            client,
            _charts(bundle, history, settings),
            channel=delivery.channel,
            ts=delivery.ts,
            blocks=payload.get("blocks", []),
            text=payload["text"],
            notices=PictureNotices(),
        )
        if result.refused is not None:
            print(f"engine-bot: charts not attached: {pictures_hint(result.refused)}", file=sys.stderr)
        else:
            print(f"Attached {len(result.file_ids)} charts in the card's thread.", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bot.logs import configure_logging
    from bot.runtime import serve

    settings = load_settings()
    settings.require("slack_bot_token")
    if settings.socket_mode:
        settings.require("slack_app_token")
    else:
        settings.require("slack_signing_secret")
    configure_logging(settings)
    port = args.port if args.port is not None else settings.port
    asyncio.run(serve(settings, host=args.host, port=port))
    return 0
