"""``changes [since monday|7d|2026-11-01|2026-11-01T09:30:00Z] [pipeline]``: what moved the pipeline.

A subcommand of ``/engine`` and of mentions (``@bot what changed since monday``). The card is posted
first; the waterfall picture follows (in the mention's thread, or in the channel after a public
slash answer; a private answer gets none, as a file shared in a channel is not private). When
Slack refuses the picture the asker is told once per channel how to get pictures.

The numbers come from a :class:`~bot.answers.answering.ChangeSource`, the CRM mirror's change log
(:mod:`bot.mirror`): without a mirror there is no history to compare with, and the answer says how
to get one.
"""

from __future__ import annotations

import logging

from bot.answers.answering import Invocation, Subcommand
from bot.answers.since import SinceError, parse_changes
from bot.blocks import changes_message, error_message, notice_message
from engines import ChangeReport, PortalSnapshot, UnknownPipelineError, utc_now

__all__ = ["CHANGES", "CHANGES_SUBCOMMAND", "NO_MIRROR", "handle_changes"]

log = logging.getLogger(__name__)

CHANGES = "changes"
NO_MIRROR = (
    "The change card compares the CRM now with its past, which needs the CRM mirror and its change "
    "log: see docs/mirror.md. Until the mirror has run, there is nothing to compare with."
)


async def handle_changes(invocation: Invocation) -> None:
    source = invocation.deps.changes
    if source is None:
        await invocation.reply.send(notice_message(NO_MIRROR), private=True)
        return
    portal = await source.portal()
    query = parse_changes(invocation.args, now=utc_now(), time_zone=portal.portal.time_zone)
    if isinstance(query, SinceError):
        await invocation.reply.send(error_message(query.message), private=True)
        return
    pipeline = None
    if query.pipeline is not None:
        pipeline = portal.find_pipeline(query.pipeline)
        if pipeline is None:
            raise UnknownPipelineError(query.pipeline, [p.label for p in portal.pipelines])
    report = await source.changes(query.since, pipeline.id if pipeline is not None else None)
    label = pipeline.label if pipeline is not None else None
    card = changes_message(
        report,
        currency=portal.portal.currency,
        time_zone=portal.portal.time_zone,
        pipeline_label=label,
        deal_url=portal.deal_url,
    )
    await invocation.reply.send(card, private=invocation.private)
    if not invocation.private:
        await _picture(invocation, report, portal, label)


async def _picture(
    invocation: Invocation, report: ChangeReport, portal: PortalSnapshot, label: str | None
) -> None:
    """The waterfall after the card: in the mention's thread, else in the channel."""
    client, channel = invocation.client, invocation.channel_id
    if client is None or channel is None:
        return
    from bot.charts.upload import UploadRefused, pictures_hint, upload_charts
    from bot.charts.waterfall import waterfall_chart  # matplotlib: loaded by the first that draws

    chart = waterfall_chart(
        report, currency=portal.portal.currency, pipeline_label=label, time_zone=portal.portal.time_zone
    )
    try:
        await upload_charts(client, [chart], channel_id=channel, thread_ts=invocation.thread_ts)
    except UploadRefused as exc:
        log.info("change card picture not shared in %s: %s", channel, exc.code)
        if invocation.deps.pictures.first_time(channel, exc.code):
            await invocation.reply.error(notice_message(pictures_hint(exc.code)))


CHANGES_SUBCOMMAND = Subcommand(
    CHANGES,
    handle_changes,
    examples=(
        ("/engine changes since monday", "what moved the pipeline: created, won, lost, pushed…"),
        ("/engine changes 7d Sales Pipeline", "the same for one pipeline and the last 7 days"),
    ),
)
