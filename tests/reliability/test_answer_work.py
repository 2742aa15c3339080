"""The work behind an answer under a burst: said once, done once.

Under load the slow part of an answer is not always the CRM read: 500 commands on one snapshot used
to queue for analysis, and each then announced "Still reading your CRM" although the read was long
over. The line is for a slow read only; and a snapshot's reports are computed once, however many
ask for them.
"""

from __future__ import annotations

import asyncio

from bot.service import ReportService
from engines import EngineName, SampleSource
from tests.bot.harness import BotHarness
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.slack import FakeSlack
from tests.reliability.conftest import NOW
from tests.reliability.support import source_for


def _progress_lines(slack: FakeSlack) -> list[str]:
    return [
        str(c.payload.get("text", ""))
        for c in slack.responses()
        if str(c.payload.get("text", "")).startswith("⏳ Still reading")
    ]


async def test_no_still_reading_line_when_the_read_is_done_and_the_answer_is_only_queued(
    slack: FakeSlack,
) -> None:
    source = SampleSource(deals=20_000, now=NOW)
    await source.snapshot()  # the read is instant from here on; analysing 20,000 deals is not
    async with BotHarness(slack, source, progress_after=0.01) as bot:
        sent = await asyncio.gather(*(bot.command(text) for text in ("all", "growth", "fulfillment")))
        await slack.wait_for(lambda s: all(s.responses(key) for _, key in sent), timeout=20)
        await asyncio.sleep(0.2)
    assert _progress_lines(slack) == []
    assert all(len(slack.responses(key)) == 1 for _, key in sent)


async def test_a_slow_read_still_says_how_far_it_has_come(slack: FakeSlack, hubspot: FakeHubSpot) -> None:
    hubspot.latency = 0.3
    source = source_for(hubspot)
    async with BotHarness(slack, source, progress_after=0.2) as bot:
        _, key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 2, timeout=20)
    progress, card = slack.responses(key)
    assert progress.payload["text"].startswith("⏳ Still reading your CRM")
    assert progress.payload["response_type"] == "ephemeral"
    assert "blocks" in card.payload
    await source.aclose()


async def test_one_snapshot_is_analysed_once_however_many_ask() -> None:
    source = SampleSource(now=NOW)
    service = ReportService(source)
    everything = list(EngineName)
    bundles = await asyncio.gather(*(service.run(everything) for _ in range(20)))
    first = bundles[0].reports
    assert all(b.snapshot is bundles[0].snapshot for b in bundles)
    assert all(r is f for b in bundles for r, f in zip(b.reports, first, strict=True))
    growth = await service.run([EngineName.GROWTH])  # another selection is its own analysis
    assert growth.reports[0] is not first[0]
    assert growth.reports[0] == next(r for r in first if r.engine == EngineName.GROWTH)


async def test_a_new_snapshot_is_analysed_afresh() -> None:
    """Identity, not equality, keys the memo: the next read (a new object) gets new reports."""
    source = SampleSource(now=NOW)
    service = ReportService(source)
    whole = await service.run([EngineName.GROWTH])
    one_pipeline = await service.run([EngineName.GROWTH], "Sales Pipeline")  # a copy of the snapshot
    again = await service.run([EngineName.GROWTH], "Sales Pipeline")
    assert one_pipeline.snapshot is not again.snapshot
    assert one_pipeline.reports[0] is not again.reports[0]
    assert one_pipeline.reports[0] == again.reports[0]
    assert whole.reports[0] != one_pipeline.reports[0]
