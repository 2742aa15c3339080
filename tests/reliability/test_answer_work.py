"""The work behind an answer under a burst: said once, done once, and never ahead of an ack.

Under load the slow part of an answer is not always the CRM read: 500 commands on one snapshot used
to queue for analysis, and each then announced "Still reading your CRM" although the read was long
over. The line is for a slow read only; and a snapshot's reports are computed once, however many
ask for them.

Answers share the event loop with acknowledgements, so their rendering and posting is bounded: at
most ``AnswerGate.workers`` answers post at once, the rest wait for a turn while acks go straight
through, and a queue past ``max_pending`` is answered "busy" instead of growing. The bound is
observed from outside, through FakeSlack: every ``response_url`` post is held ``HOLD`` seconds, so
posts that complete less than ``HOLD`` apart were in flight together.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.answers.answering import BUSY, AnswerGate
from bot.answers.service import ReportService
from engines import EngineName, SampleSource
from tests.bot.harness import BotHarness
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.slack import Call, FakeSlack
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


HOLD = 0.4  # seconds FakeSlack holds every response_url post before answering it


def _most_finished_within(calls: list[Call], window: float) -> int:
    """The most posts that finished inside any ``window`` seconds.

    Each post was held at least ``HOLD`` seconds after it arrived, so posts finishing less than
    ``HOLD`` apart had all been sent before the first of them finished: they were in flight
    together. With ``window < HOLD`` this is a lower bound of the peak number in flight.
    """
    times = sorted(c.at for c in calls)
    return max((sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times)), default=0)


async def test_at_most_n_answers_post_at_once_while_acks_go_straight_through(slack: FakeSlack) -> None:
    workers, commands = 3, 12
    source = SampleSource(now=NOW)
    await source.snapshot()  # a cached snapshot: every answer is ready at once and must queue
    slack.slow("response_url", HOLD, times=100)
    async with BotHarness(slack, source) as bot:
        bot.deps.answers = AnswerGate(workers)
        texts = ("growth", "fulfillment", "innovation", "all", "growth private")
        sent = await asyncio.gather(*(bot.command(texts[i % len(texts)]) for i in range(commands)))
        answered_when_acked = len(slack.responses())
        await slack.wait_for(lambda s: all(s.responses(key) for _, key in sent), timeout=15)
        await asyncio.sleep(HOLD + 0.2)  # a second post, if any, has the time to arrive
    acks = [ack for ack, _ in sent]
    assert all(ack.status == 200 for ack in acks)
    assert max(ack.seconds for ack in acks) < 2.0  # generous: Slack allows 3 s
    # Every ack was back while most answers were still waiting for a turn.
    assert answered_when_acked <= commands - workers
    cards = slack.responses()
    assert sorted(c.key or "" for c in cards) == sorted(key for _, key in sent)  # one card each
    assert all("blocks" in c.payload and c.status == 200 for c in cards)
    assert _most_finished_within(cards, HOLD * 0.75) <= workers
    # They did queue: 12 answers through 3 turns of >= 0.4 s take at least 4 rounds.
    span = max(c.at for c in cards) - min(c.at for c in cards)
    assert span >= (commands / workers - 1) * HOLD * 0.9
    assert bot.deps.answers.pending == 0
    assert bot.deps.answers.working == 0


async def test_an_absurdly_long_queue_is_answered_busy_not_queued(slack: FakeSlack) -> None:
    source = SampleSource(now=NOW)
    await source.snapshot()
    slack.slow("response_url", 1.0, times=100)
    async with BotHarness(slack, source) as bot:
        bot.deps.answers = AnswerGate(1, max_pending=2)
        sent = await asyncio.gather(*(bot.command("growth") for _ in range(5)))
        await slack.wait_for(lambda s: all(s.responses(key) for _, key in sent), timeout=15)
        await asyncio.sleep(1.2)
    assert all(ack.status == 200 for ack, _ in sent)
    answers = [slack.responses(key) for _, key in sent]
    assert [len(a) for a in answers] == [1] * 5  # exactly one answer each: a card or "busy"
    busy = [a[0].payload for a in answers if a[0].payload.get("text") == BUSY]
    cards = [a[0].payload for a in answers if a[0].payload.get("text") != BUSY]
    assert len(busy) == 3
    assert len(cards) == 2
    assert all(p["response_type"] == "ephemeral" for p in busy)
    assert all(p["response_type"] == "in_channel" and "Growth" in p["text"] for p in cards)
    assert bot.deps.answers.pending == 0


def test_an_answer_gate_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        AnswerGate(0)
