"""Load and soak benchmark: the real ``engine-bot serve`` (HTTP mode) under a burst of signed requests.

Why a separate script and real processes: the question is whether a team's pipeline meeting (dozens
of people typing ``/engine`` at once) gets every acknowledgement inside Slack's 3 seconds and
exactly one card each, with HubSpot slow and rate-limited. Only the process a deployment runs can
answer that, so nothing here is in-process: ``engine-bot serve`` is a subprocess configured purely
through its environment, HubSpot is ``tests.support.hubspot.FakeHubSpot`` in a child process (300 ms a
call and HubSpot's real limits: search 5 a second, everything else 100 per 10 seconds), and Slack's
Web API plus the ``response_url`` receiver is ``tests.support.slack.FakeSlack`` in another child
process, so neither fake shares a GIL with the bot or with the load generator measuring it.

What is sent: ``--commands`` slash commands (growth / fulfillment / innovation / all / growth
private, in rotation) at ``--concurrency`` in flight, each with its own ``response_url``, signed as
Slack signs them; interleaved, ``--mentions`` ``app_mention`` events, every ``--retry-every``-th of
them re-delivered with ``X-Slack-Retry-Num`` like Slack does after a slow ack.
``--warm`` answers one command first, so the load meets a cached snapshot and the cards are rendered
and posted while acks are still arriving. The requests go out through ``aiohttp``: ``httpx`` spent
about 5 ms of CPU a request, saturated its core and timed its own queue instead of the bot's acks.

What is reported:

- ack latency (time to the HTTP answer) p50/p95/p99/max, commands and events separately;
- time to card: from sending the command to the card arriving at its ``response_url`` (the fake's
  receive time; ``time.monotonic`` is one system-wide clock on Linux, so it compares across processes);
- cards per command, counted by ``response_url`` (must be exactly 1) and replies per mention (must be 1);
- HubSpot calls: snapshot reads (one ``account-info`` call per read) against the single-flight
  expectation of one read per cache TTL per pipeline key, plus all calls and 429s;
- the bot's memory: ``VmRSS`` sampled over the run and the peak ``VmHWM`` from ``/proc/<pid>/status``.

``--soak N`` sends N commands (a few thousand) and prints the RSS samples over time plus the drift
between the first and the last quarter, to show memory stays flat.

Targets (issue #7): every ack under 3 s, p99 ack under 200 ms, zero lost or duplicated answers,
HubSpot read once per TTL. The script exits non-zero when one is missed.

    .venv/bin/python benchmarks/bench_load.py                       # 500 commands, 50 concurrent
    .venv/bin/python benchmarks/bench_load.py --soak 3000 --ttl 10  # memory over a long run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support and tests.support.harness

from engines.sample import generate_portal  # noqa: E402
from tests.support._runners import serve_in_subprocess  # noqa: E402
from tests.support.harness import sign  # noqa: E402
from tests.support.hubspot import ACCOUNT, SEARCH, FakeHubSpot  # noqa: E402
from tests.support.processes import free_port  # noqa: E402
from tests.support.slack import FakeSlack  # noqa: E402

SIGNING_SECRET = "bench-signing-secret-" + uuid.uuid4().hex
BOT_TOKEN = "xoxb-bench-" + uuid.uuid4().hex
TEXTS = ("growth", "fulfillment", "innovation", "all", "growth private")
ACK_LIMIT = 3.0
P99_TARGET = 0.200
SETTLE_TIMEOUT = 180.0  # longest wait for the last cards after the last request was sent


# ---------------------------------------------------------------------------------------------------
# FakeSlack in a child process


@dataclass(frozen=True)
class Delivery:
    """One request FakeSlack received, reduced to what the benchmark counts (payloads stay there)."""

    method: str
    key: str | None
    status: int
    error: str | None
    at: float
    kind: str  # card | progress | error | help | text
    thread_ts: str | None


def _kind(payload: dict[str, Any]) -> str:
    text = str(payload.get("text", ""))
    blocks = payload.get("blocks") or []
    headers = [b for b in blocks if isinstance(b, dict) and b.get("type") == "header"]
    if text.startswith("⏳"):
        return "progress"
    if text.startswith(("⚠️", "Sorry")):
        return "error"
    if headers and "How to use" in json.dumps(headers[0]):
        return "help"
    return "card" if headers else "text"


def _reduce(calls: list[Any]) -> list[tuple[Any, ...]]:
    # Plain tuples cross the pipe: classes of a spawned child's main module do not unpickle here.
    return [
        (
            c.method,
            c.key,
            c.status,
            c.error,
            c.at,
            _kind(c.payload),
            c.payload.get("thread_ts") if isinstance(c.payload, dict) else None,
        )
        for c in calls
    ]


def _slack_child(bot_token: str, conn: Connection) -> None:
    async def serve() -> None:
        fake = FakeSlack(bot_token=bot_token)
        await fake.start()
        conn.send((fake.root_url, fake.base_url))
        loop = asyncio.get_running_loop()
        while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
            if command == "cards":
                conn.send(sum(1 for c in fake.responses() if _kind(c.payload) == "card"))
            elif command == "posts":
                conn.send(len(fake.calls_to("chat.postMessage")))
            elif command == "calls":
                conn.send((_reduce(list(fake.calls)), len(fake.problems)))
        await fake.stop()

    asyncio.run(serve())


@dataclass
class RemoteSlack:
    root_url: str
    base_url: str
    _conn: Connection

    def ask(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()


@contextlib.contextmanager
def slack_in_subprocess(bot_token: str) -> Iterator[RemoteSlack]:
    with serve_in_subprocess(_slack_child, (bot_token,), "fake Slack") as (hello, conn):
        root_url, base_url = hello
        yield RemoteSlack(root_url, base_url, conn)


# ---------------------------------------------------------------------------------------------------
# the bot process


def proc_status(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak resident set) of ``pid`` in kB, from ``/proc`` (no psutil here)."""
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (``/proc/<pid>/stat`` fields 14 and 15)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def bot_process(
    *, slack_api_url: str, hubspot_base: str, hubspot_token: str, ttl: float, workdir: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``engine-bot serve`` in HTTP mode, configured only through its environment, on a free port."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "HUBSPOT_ACCESS_TOKEN": hubspot_token,
        "HUBSPOT_API_BASE": hubspot_base,
        "HUBSPOT_CACHE_TTL": str(ttl),
        "ENGINE_SOURCE": "hubspot",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(workdir / "data"),
    }
    binary = Path(sys.executable).parent / "engine-bot"
    log = (workdir / "bot.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,  # no stray .env is read
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"engine-bot serve exited: {(workdir / 'bot.log').read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("engine-bot serve did not answer /health within 30 s")
            time.sleep(0.1)
        yield process, url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


# ---------------------------------------------------------------------------------------------------
# the load


@dataclass
class Sent:
    kind: str  # command | mention | retry
    key: str
    started: float
    ack: float = math.nan
    status: int = 0


@dataclass
class Run:
    sent: list[Sent] = field(default_factory=list)
    rss: list[tuple[float, int, int]] = field(default_factory=list)  # (seconds, sent so far, kB)
    wall: float = 0.0
    generator_cpu: float = 0.0  # this process's CPU seconds while sending: is the generator the limit?


def _command_body(i: int, response_url: str) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0FAKE",
            "team_domain": "fake",
            "channel_id": "C0SALES",
            "channel_name": "sales",
            "user_id": f"U{i % 97:07d}",
            "user_name": "rep",
            "command": "/engine",
            "text": TEXTS[i % len(TEXTS)],
            "api_app_id": "A0ENGINE",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{i}.1.bench",
        }
    )


def _mention_body(i: int) -> str:
    ts = f"1764000000.{i:06d}"
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T0FAKE",
            "api_app_id": "A0ENGINE",
            "event": {
                "type": "app_mention",
                "user": "U0ASKER",
                "text": f"<@U0BOT> {TEXTS[i % 4]}",
                "ts": ts,
                "channel": "C0SALES",
                "event_ts": ts,
            },
            "type": "event_callback",
            "event_id": f"EvBench{i:06d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0FAKE", "user_id": "U0BOT", "is_bot": True}],
        }
    )


async def _send(
    client: aiohttp.ClientSession, url: str, body: str, content_type: str, record: Sent, retry: int | None
) -> None:
    stamp = int(time.time())
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(body, stamp, SIGNING_SECRET),
    }
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    record.started = time.monotonic()
    try:
        async with client.post(url + "/slack/events", data=body.encode(), headers=headers) as response:
            await response.read()
            record.status = response.status
    except (aiohttp.ClientError, TimeoutError):
        record.status = -1
    record.ack = time.monotonic() - record.started


async def load(
    url: str,
    slack_root: str,
    pid: int,
    *,
    commands: int,
    mentions: int,
    retry_every: int,
    concurrency: int,
    sample_every: float,
    rate: float = 0.0,
) -> Run:
    run = Run()
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    cpu_start = time.process_time()
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(OSError):
                run.rss.append((time.monotonic() - started, len(run.sent), proc_status(pid)["VmRSS"]))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), sample_every)

    async def one(record: Sent, body: str, content_type: str, retry: int | None) -> None:
        async with gate:
            await _send(client, url, body, content_type, record, retry)

    sampler = asyncio.create_task(sample())
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30.0)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        tasks: list[asyncio.Task[None]] = []
        spacing = max(1, commands // max(mentions, 1))
        mention_i = 0
        for i in range(commands):
            if rate > 0:  # open loop: command i leaves at i / rate seconds, however slow the answers
                await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            key = f"cmd{i:06d}"
            record = Sent("command", key, 0.0)
            run.sent.append(record)
            body = _command_body(i, f"{slack_root}/response/{key}")
            tasks.append(asyncio.create_task(one(record, body, "application/x-www-form-urlencoded", None)))
            if mention_i < mentions and i % spacing == 0:
                event = f"EvBench{mention_i:06d}"
                body = _mention_body(mention_i)
                first = Sent("mention", event, 0.0)
                run.sent.append(first)
                tasks.append(asyncio.create_task(one(first, body, "application/json", None)))
                if retry_every and mention_i % retry_every == 0:
                    again = Sent("retry", event, 0.0)
                    run.sent.append(again)
                    tasks.append(asyncio.create_task(one(again, body, "application/json", 1)))
                mention_i += 1
            if len(tasks) >= 4 * concurrency:  # keep the task list (and our own memory) bounded
                await asyncio.gather(*tasks)
                tasks = []
        await asyncio.gather(*tasks)
    run.wall = time.monotonic() - started
    run.generator_cpu = time.process_time() - cpu_start
    done.set()
    await sampler
    return run


def warm_up(url: str, slack: RemoteSlack) -> None:
    """One command answered before the load: the snapshot is cached, so every answer of the load is
    ready at once and its rendering and posting overlap the acks still arriving (a burst right
    after someone's first ``/engine``; without it the whole burst is acked during the cold read)."""
    body = _command_body(0, f"{slack.root_url}/response/warm")
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(body, stamp, SIGNING_SECRET),
    }
    httpx.post(url + "/slack/events", content=body.encode(), headers=headers, timeout=10).raise_for_status()
    deadline = time.monotonic() + 60
    while slack.ask("cards") < 1:
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up command got no card within 60 s")
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------------
# reporting


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 500 values is the 495th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(value: float) -> str:
    return f"{value * 1000:7.1f} ms"


def summary_line(name: str, values: list[float]) -> str:
    return (
        f"{name:<22} n={len(values):>5}  p50 {ms(pct(values, 50))}  p95 {ms(pct(values, 95))}  "
        f"p99 {ms(pct(values, 99))}  max {ms(max(values) if values else math.nan)}"
    )


def report(
    run: Run,
    deliveries: list[Delivery],
    fake_problems: int,
    hubspot_calls: list[Any],
    status: dict[str, int],
    args: argparse.Namespace,
    settle: float,
    bot_cpu: float,
) -> bool:
    commands = [s for s in run.sent if s.kind == "command"]
    events = [s for s in run.sent if s.kind != "command"]
    command_acks = [s.ack for s in commands]
    event_acks = [s.ack for s in events]
    all_acks = command_acks + event_acks
    failed = [s for s in run.sent if s.status != 200]

    by_key: dict[str, list[Delivery]] = {}
    for d in deliveries:
        if d.method == "response_url" and d.key is not None:
            by_key.setdefault(d.key, []).append(d)
    cards_per_command: Counter[int] = Counter()
    to_card: list[float] = []
    progress_lines = 0
    other = Counter[str]()
    for record in commands:
        got = [d for d in by_key.get(record.key, []) if d.status == 200]
        cards = [d for d in got if d.kind == "card"]
        cards_per_command[len(cards)] += 1
        progress_lines += sum(1 for d in got if d.kind == "progress")
        other.update(d.kind for d in got if d.kind not in ("card", "progress"))
        if cards:
            to_card.append(cards[0].at - record.started)
    refused = [d for d in deliveries if d.status != 200 or d.error]

    posts = [d for d in deliveries if d.method == "chat.postMessage" and d.status == 200 and not d.error]
    replies: Counter[str | None] = Counter(d.thread_ts for d in posts)
    mention_count = sum(1 for s in events if s.kind == "mention")
    retries = sum(1 for s in events if s.kind == "retry")
    replies_per_mention = Counter(replies.get(f"1764000000.{i:06d}", 0) for i in range(mention_count))

    reads = sum(1 for c in hubspot_calls if c.path == ACCOUNT)
    searches = sum(1 for c in hubspot_calls if c.path == SEARCH)
    limited = sum(1 for c in hubspot_calls if c.status == 429)
    duration = run.wall + settle
    expected_reads = max(1, math.ceil(duration / args.ttl)) if args.ttl > 0 else len(commands)

    print()
    print(
        f"engine-bot serve (HTTP) | {len(commands)} commands + {mention_count} mentions "
        f"({retries} re-delivered with X-Slack-Retry-Num) at {args.concurrency} concurrent"
        f"{f', {args.rate:g}/s' if args.rate else ''}{', warm cache' if args.warm else ''} | "
        f"HubSpot {args.deals:,} deals, {args.latency * 1000:.0f} ms a call, TTL {args.ttl:g} s"
    )
    rate = len(run.sent) / run.wall
    print(f"sent in {run.wall:.2f} s ({rate:.0f} requests/s); last card {settle:.2f} s later")
    print(summary_line("ack, slash commands", command_acks))
    print(summary_line("ack, events", event_acks))
    print(summary_line("time to card", to_card))
    print(f"non-200 acks: {len(failed)}; acks >= 3 s: {sum(1 for a in all_acks if a >= ACK_LIMIT)}")
    print(
        f"cards per command (by response_url): {dict(sorted(cards_per_command.items()))}; "
        f"progress lines: {progress_lines}; other deliveries: {dict(other)}"
    )
    print(
        f"thread replies per mention: {dict(sorted(replies_per_mention.items()))}; "
        f"refused deliveries: {len(refused)}; Block Kit problems seen by Slack: {fake_problems}"
    )
    print(
        f"HubSpot: {len(hubspot_calls)} calls ({searches} search, {limited} answered 429), "
        f"snapshot reads {reads} (expected <= {expected_reads}: one per {args.ttl:g} s TTL)"
    )
    print(
        f"CPU: bot {bot_cpu:.1f} s over the {duration:.1f} s run; load generator {run.generator_cpu:.1f} s "
        f"while sending ({os.cpu_count()} cores shared by bot, generator and both fakes)"
    )
    rss = [kb for _, _, kb in run.rss]
    print(
        f"bot memory: RSS at start {rss[0] / 1024 if rss else math.nan:.1f} MB, at end "
        f"{status.get('VmRSS', 0) / 1024:.1f} MB, peak (VmHWM) {status.get('VmHWM', 0) / 1024:.1f} MB"
    )
    ok = True
    ok &= not failed and max(all_acks) < ACK_LIMIT
    ok &= pct(all_acks, 99) < P99_TARGET
    ok &= set(cards_per_command) == {1} and not other
    ok &= set(replies_per_mention) <= {1}
    ok &= reads <= expected_reads
    if args.soak:
        ok &= soak_report(run)
    print(
        "targets (acks < 3 s, p99 < 200 ms, exactly one answer each, one read per TTL):",
        "MET" if ok else "MISSED",
    )
    return ok


def soak_report(run: Run) -> bool:
    """RSS over time; flat means the last quarter's mean is within 10 % of the first quarter's."""
    samples = run.rss
    if len(samples) < 8:
        print("soak: too few RSS samples to judge (raise --soak or lower --sample-every)")
        return False
    step = max(1, len(samples) // 12)
    print(
        "soak, RSS over time:  "
        + "  ".join(f"{t:5.1f}s/{n}:{kb / 1024:.1f}MB" for t, n, kb in samples[::step])
    )
    quarter = len(samples) // 4
    first = statistics.mean(kb for _, _, kb in samples[quarter : 2 * quarter])  # after warm-up
    last = statistics.mean(kb for _, _, kb in samples[-quarter:])
    drift = (last - first) / first
    print(
        f"soak: mean RSS second quarter {first / 1024:.1f} MB, last quarter {last / 1024:.1f} MB, "
        f"drift {drift * 100:+.1f} % (flat: within 10 %)"
    )
    return drift < 0.10


# ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight at most")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="commands a second, open loop (default 0: closed loop)"
    )
    parser.add_argument("--mentions", type=int, default=50)
    parser.add_argument("--retry-every", type=int, default=3, help="re-deliver every n-th mention (0: none)")
    parser.add_argument("--latency", type=float, default=0.3, help="HubSpot seconds per call")
    parser.add_argument("--deals", type=int, default=3000)
    parser.add_argument("--ttl", type=float, default=300.0, help="HUBSPOT_CACHE_TTL of the bot")
    parser.add_argument("--soak", type=int, default=0, help="send this many commands and watch memory")
    parser.add_argument("--sample-every", type=float, default=0.5, help="seconds between RSS samples")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="answer one command first, so the load meets a cached snapshot and cards overlap the acks",
    )
    args = parser.parse_args(argv)
    if args.soak:
        args.commands = args.soak
    for name in ("commands", "concurrency", "deals"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")

    portal = generate_portal(deals=args.deals, seed=7)
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as tmp,
        FakeHubSpot.in_subprocess(portal, latency=args.latency) as hubspot,
        slack_in_subprocess(BOT_TOKEN) as slack,
        bot_process(
            slack_api_url=slack.base_url,
            hubspot_base=hubspot.base_url,
            hubspot_token=hubspot.token,
            ttl=args.ttl,
            workdir=Path(tmp),
        ) as (process, url),
    ):
        if args.warm:
            warm_up(url, slack)
        cpu_before = cpu_seconds(process.pid)
        run = asyncio.run(
            load(
                url,
                slack.root_url,
                process.pid,
                commands=args.commands,
                mentions=args.mentions,
                retry_every=args.retry_every,
                concurrency=args.concurrency,
                sample_every=args.sample_every,
                rate=args.rate,
            )
        )
        sent_at = time.monotonic()
        expected_posts = min(args.mentions, args.commands)
        deadline = sent_at + SETTLE_TIMEOUT
        while time.monotonic() < deadline:  # bounded: at most SETTLE_TIMEOUT seconds of polling
            if slack.ask("cards") >= args.commands + args.warm and slack.ask("posts") >= expected_posts:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # a duplicate, if any, has the chance to arrive
        raw, problems = slack.ask("calls")
        deliveries = [Delivery(*fields) for fields in raw]
        last = max((d.at for d in deliveries), default=sent_at)
        status = proc_status(process.pid)
        bot_cpu = cpu_seconds(process.pid) - cpu_before
        calls = hubspot.calls()
        log_tail = (Path(tmp) / "bot.log").read_text(errors="replace")[-1500:]
    ok = report(run, deliveries, problems, calls, status, args, max(0.0, last - sent_at), bot_cpu)
    if log_tail.strip():
        print("bot log (last lines):\n" + log_tail)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
