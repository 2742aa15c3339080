"""Security at the edge: signatures checked before any work, no replays, no secret in any log line.

Every request here goes to the real Bolt app over HTTP. "Before any work" is checked by what the
loopback HubSpot and Slack recorded: a rejected request must cost neither a CRM read nor a Web API
call. The secrets test configures distinctive values for every secret the bot knows, captures the
root logger at DEBUG (every library's records, before any redaction filter) plus stdout/stderr,
drives every path - success, HubSpot 401/403/429, bad input, bad signatures, settings errors - and
searches the lot for the secrets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.runtime.http import SignatureGate
from bot.settings import SettingsError, load_settings
from bot.slack.dedupe import MemoryReplayStore
from engines import PortalSnapshot, SampleSource
from tests.bot.harness import BOT_TOKEN, SIGNING_SECRET, BotHarness, sign
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.slack import FakeSlack
from tests.reliability.conftest import NOW
from tests.reliability.support import PIPELINES, source_for

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
HUBSPOT_SECRET = "pat-na1-5ec2e7aa-hubspot-distinctive-0f1e2d3c"
APP_SECRET = "xapp-1-A0ENGINE-9999-appdistinctive5ec2e7"
REFRESH_GROWTH = '{"e":"growth","p":null}'


def _bodies(bot: BotHarness) -> dict[str, tuple[str, str]]:
    return {
        "command": (bot.command_body("growth", bot.slack.new_response_url()), FORM),
        "event": (bot.mention_body("growth", event_id="EvSec1"), JSON),
        "action": (
            bot.action_body(
                "engine.refresh", '{"e":"growth","p":null}', response_url=bot.slack.new_response_url()
            ),
            FORM,
        ),
    }


@pytest.mark.parametrize("kind", ["command", "event", "action"])
@pytest.mark.parametrize("attack", ["forged", "stale", "missing", "wrong_secret", "future"])
async def test_bad_signatures_are_rejected_before_any_work(
    slack: FakeSlack, hubspot: FakeHubSpot, kind: str, attack: str
) -> None:
    source = source_for(hubspot)
    async with BotHarness(slack, source) as bot:
        body, content_type = _bodies(bot)[kind]
        now = int(time.time())
        if attack == "forged":
            sent = await bot.post(body, content_type, signature="v0=" + "f" * 64)
        elif attack == "stale":  # validly signed, but 5 min 1 s old
            old = now - 301
            sent = await bot.post(body, content_type, timestamp=old, signature=sign(body, old))
        elif attack == "missing":
            sent = await bot.post(body, content_type, signed=False)
        elif attack == "wrong_secret":
            sent = await bot.post(body, content_type, timestamp=now, signature=sign(body, now, "guess"))
        else:  # validly signed, timestamped 10 minutes ahead
            ahead = now + 600
            sent = await bot.post(body, content_type, timestamp=ahead, signature=sign(body, ahead))
        assert sent.status == 401
        await asyncio.sleep(0.3)
    assert hubspot.calls == []
    assert slack.calls == []


async def test_a_replayed_slash_command_is_rejected(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        url = slack.new_response_url()
        body = bot.command_body("growth", url)
        now = int(time.time())
        first = await bot.post(body, FORM, timestamp=now, signature=sign(body, now))
        assert first.status == 200
        await slack.wait_for(lambda s: len(s.responses()) >= 1)
        await asyncio.sleep(0.3)
        calls = len(slack.calls)
        replays = [await bot.post(body, FORM, timestamp=now, signature=sign(body, now)) for _ in range(3)]
        await asyncio.sleep(0.3)
        assert [r.status for r in replays] == [401, 401, 401]
        assert len(slack.calls) == calls  # rejected before any work: not even a "working on it"
    assert len(slack.responses(url.rsplit("/", 1)[-1])) == 1


async def test_concurrent_copies_of_one_signed_command_are_answered_once(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        url = slack.new_response_url()
        body = bot.command_body("growth", url)
        now = int(time.time())
        sent = await asyncio.gather(
            *(bot.post(body, FORM, timestamp=now, signature=sign(body, now)) for _ in range(5))
        )
        await slack.wait_for(lambda s: len(s.responses()) >= 1)
        await asyncio.sleep(0.3)
    assert sorted(s.status for s in sent) == [200, 401, 401, 401, 401]
    assert len(slack.responses(url.rsplit("/", 1)[-1])) == 1


async def test_a_replayed_button_click_is_rejected(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        url = slack.new_response_url()
        body = bot.action_body("engine.refresh", REFRESH_GROWTH, response_url=url)
        now = int(time.time())
        first = await bot.post(body, FORM, timestamp=now, signature=sign(body, now))
        await slack.wait_for(lambda s: len(s.responses()) >= 1)
        replay = await bot.post(body, FORM, timestamp=now, signature=sign(body, now))
        await asyncio.sleep(0.3)
    assert (first.status, replay.status) == (200, 401)
    assert len(slack.responses(url.rsplit("/", 1)[-1])) == 1


async def test_the_same_command_signed_afresh_is_a_new_request(slack: FakeSlack) -> None:
    """Only the exact (timestamp, signature) pair is remembered: a new signature means Slack sent
    it again (only the signing secret can produce one), so it is answered."""
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        url = slack.new_response_url()
        body = bot.command_body("growth", url)
        now = int(time.time())
        first = await bot.post(body, FORM, timestamp=now - 1, signature=sign(body, now - 1))
        again = await bot.post(body, FORM, timestamp=now, signature=sign(body, now))
        await slack.wait_for(lambda s: len(s.responses()) >= 2)
    assert (first.status, again.status) == (200, 200)


async def test_a_rejected_request_body_never_reaches_the_logs(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """A slash command's body carries its response_url (a credential for 30 minutes): a request
    refused for its signature is logged without it, by us and by Bolt (which never sees it)."""
    caplog.set_level(logging.DEBUG)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        url = slack.new_response_url()
        body = bot.command_body("growth", url)
        now = int(time.time())
        forged = await bot.post(body, FORM, timestamp=now, signature="v0=" + "0" * 64)
        stale = await bot.post(body, FORM, timestamp=now - 600, signature=sign(body, now - 600))
    assert (forged.status, stale.status) == (401, 401)
    assert "rejected a Slack request" in caplog.text
    assert url not in caplog.text
    assert "response_url" not in caplog.text


async def test_forged_requests_are_never_recorded_so_they_cannot_fill_the_replay_store() -> None:
    store = MemoryReplayStore(max_entries=10)
    gate = SignatureGate(SIGNING_SECRET, store)
    body = "token=x&command=%2Fengine&text=growth"
    now = int(time.time())
    for i in range(50):
        forged = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": f"v0={i:064x}"}
        stale = {"X-Slack-Request-Timestamp": str(now - 400), "X-Slack-Signature": sign(body, now - 400)}
        odd = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": sign(body, now)}
        for headers in (forged, stale, odd, {}):
            assert await gate.check(body, headers) == "invalid"
    assert len(store) == 0
    valid = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now)}
    assert await gate.check(body, valid) == "ok"
    assert await gate.check(body, valid) == "replay"
    assert len(store) == 1


async def test_a_replayed_event_is_answered_once(slack: FakeSlack) -> None:
    """Events carry a unique event_id, so their replays are answered by the event dedupe (200 and
    ``x-slack-no-retry``, no work) rather than by the replay guard."""
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        body = bot.mention_body("growth", event_id="EvReplay1")
        now = int(time.time())
        for _ in range(3):
            assert (await bot.post(body, JSON, timestamp=now, signature=sign(body, now))).status == 200
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)
        await asyncio.sleep(0.3)
    assert len(slack.calls_to("chat.postMessage")) == 1


# ------------------------------------------------------------------ secrets never in logs


class _Everything(logging.Handler):
    """Keeps every record's final text, traceback included, exactly as a log file would get it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs() -> Iterator[_Everything]:
    root = logging.getLogger()
    handler = _Everything()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


SECRETS = (BOT_TOKEN, SIGNING_SECRET, HUBSPOT_SECRET, APP_SECRET)


async def test_no_secret_in_any_log_line_or_output_on_any_path(
    slack: FakeSlack,
    portal: PortalSnapshot,
    all_logs: _Everything,
    capfd: pytest.CaptureFixture[str],
) -> None:
    async with FakeHubSpot(portal, token=HUBSPOT_SECRET) as hubspot:
        source = source_for(hubspot, cache_ttl=0.0)  # every command reads HubSpot: every fault is met
        async with BotHarness(
            slack, source, slack_app_token=APP_SECRET, hubspot_access_token=HUBSPOT_SECRET
        ) as bot:

            async def answered(text: str) -> None:
                _, key = await bot.command(text)
                await slack.wait_for(lambda s: len(s.responses(key)) >= 1, timeout=10)

            await answered("all")  # success
            await answered("growth no-such-pipeline")  # unknown pipeline
            ack, _ = await bot.command("grwoth <!channel>")  # bad input: help in the ack
            assert ack.status == 200
            hubspot.fail("status", times=1, path=PIPELINES, status=401)
            await answered("growth")
            hubspot.fail("status", times=1, path=PIPELINES, status=403)
            await answered("growth")
            hubspot.fail("ratelimit", times=4, policy="DAILY")
            await answered("growth")
            await bot.mention("fulfillment", event_id="EvSecret1")
            await bot.mention("fulfillment", event_id="EvSecret1", retry=1)
            await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1, timeout=10)
            url = slack.new_response_url()
            await bot.click("engine.refresh", '{"e":"growth","p":null}', response_url=url)
            await slack.wait_for(lambda s: len(s.responses(url.rsplit("/", 1)[-1])) >= 1, timeout=10)
            await bot.post("token=x&command=/engine", FORM, signature="v0=" + "0" * 64)  # forged
            slack.rate_limit("response_url", retry_after=0)
            await answered("innovation")  # Slack 429 on the answer
    for broken in ({"SLACK_BOT_TOKEN": "xoxp-" + BOT_TOKEN[5:]}, {"PORT": "not-a-port"}):
        with pytest.raises(SettingsError) as caught:
            _load_for_serving(broken)
        logging.getLogger("test").error("settings error: %s", caught.value)
    output = capfd.readouterr()
    everything = "\n".join([*all_logs.lines, output.out, output.err])
    assert len(all_logs.lines) > 20  # the paths above did log, at every level down to DEBUG
    assert any("HubSpot" in line for line in all_logs.lines)
    leaked = [secret[:12] + "…" for secret in SECRETS if secret in everything]
    assert leaked == [], f"secrets in the logs: {leaked}"
    assert "xoxp-" + BOT_TOKEN[5:] not in everything


def _load_for_serving(broken: dict[str, str]) -> None:
    settings = load_settings(
        _env_file=None,
        slack_bot_token=broken.get("SLACK_BOT_TOKEN", BOT_TOKEN),
        slack_signing_secret=SIGNING_SECRET,
        hubspot_access_token=HUBSPOT_SECRET,
        port=broken.get("PORT", "3000"),
    )
    settings.require("slack_bot_token", "slack_signing_secret")


def test_serve_refusing_bad_settings_prints_no_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-" + BOT_TOKEN[5:])  # a user token where a bot token goes
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", HUBSPOT_SECRET)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_SECRET)
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert main(["serve", "--port", "0"]) == 2
    out = capsys.readouterr()
    text = out.out + out.err
    assert "SLACK_BOT_TOKEN" in text
    for secret in (*SECRETS, "xoxp-" + BOT_TOKEN[5:]):
        assert secret not in text


# ------------------------------------------------------------------ /health


async def test_health_says_alive_and_nothing_else_even_with_hubspot_down(slack: FakeSlack) -> None:
    source = source_for(FakeHubSpotDown())
    async with BotHarness(slack, source) as bot:
        for path in ("/health", "/health?verbose=1", "/health/../health"):
            health = await bot.get(path)
            assert health.status == 200
            assert json.loads(health.body) == {"status": "ok"}
        for secret in SECRETS:
            assert secret not in health.body
            assert all(secret not in v for v in health.headers.values())
    assert slack.calls == []


class FakeHubSpotDown:
    """A HubSpot that is not there: /health must not depend on it or say so."""

    token = HUBSPOT_SECRET
    base_url = "http://127.0.0.1:9"


async def test_no_response_reveals_runtime_versions(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        answers = [await bot.get("/health"), await bot.get("/nope"), await bot.post("x", FORM, signed=False)]
    for answer in answers:
        server = answer.headers.get("Server", "")
        assert "aiohttp" not in server
        assert "Python" not in server
