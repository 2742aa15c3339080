"""``engine-bot``: report in three formats, post, serve's start-up checks; bad input never tracebacks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.progress import ProgressBar
from engines import EngineReport, PortalSnapshot, Progress
from tests.support.clock import NOW
from tests.support.hubspot import FakeHubSpot
from tests.support.payloads import check_message
from tests.support.slack import FakeSlack

NOW_ARG = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")  # as a person types it: 2026-11-25T09:00:00Z
VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "HUBSPOT_ACCESS_TOKEN",
    "HUBSPOT_API_KEY",
    "HUBSPOT_API_BASE",
    "ENGINE_SOURCE",
    "NO_COLOR",
    "DATA_DIR",
    "DATABASE_URL",
    "ANALYSIS__RENEWAL_PIPELINE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No configuration at all, and no .env file: the newcomer's machine."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack.running() as fake:
        yield fake


def test_report_all_text_needs_no_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "all", "--now", NOW_ARG]) == 0
    out = capsys.readouterr().out
    for title in ("GROWTH ENGINE", "FULFILLMENT ENGINE", "INNOVATION ENGINE"):
        assert title in out
    assert "sample portal" in out
    assert "Metrics" in out
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_report_text_in_colour_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "growth", "--now", NOW_ARG, "--color", "always"]) == 0
    assert "\x1b[1m" in capsys.readouterr().out


def test_report_json_is_the_report_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "all", "--format", "json", "--now", NOW_ARG]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["engine"] for d in data] == ["growth", "fulfillment", "innovation"]
    assert all(EngineReport.model_validate(d).as_of.isoformat().startswith("2026-11-25T09:00") for d in data)
    assert main(["report", "GROWTH", "--format", "json", "--now", NOW_ARG]) == 0
    assert json.loads(capsys.readouterr().out)["engine"] == "growth"


def test_report_blocks_prints_a_valid_payload_and_a_builder_link(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["report", "growth", "--format", "blocks", "--now", NOW_ARG, "--pipeline", "sales pipeline"])
        == 0
    )
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    check_message(payload)
    assert "Sales Pipeline" in captured.out
    assert "https://app.slack.com/block-kit-builder#%7B%22blocks%22" in captured.err


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["report", "payroll"], 2, "invalid choice: 'payroll'"),
        (["report", "growth", "--format", "pdf"], 2, "invalid choice: 'pdf'"),
        (["report", "growth", "--now", "yesterday"], 2, "--now must be an ISO-8601"),
        (["report", "growth", "--pipeline", "Nope"], 1, "No pipeline called 'Nope'"),
        (["report", "growth", "--source", "hubspot"], 2, "HUBSPOT_ACCESS_TOKEN"),
        (["post", "growth", "--channel", "C1"], 2, "SLACK_BOT_TOKEN"),
        (["serve"], 2, "SLACK_BOT_TOKEN"),
        ([], 2, "required"),
    ],
)
def test_bad_input_is_a_helpful_message_and_nonzero_exit(
    capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    try:
        result = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        result = int(exc.code or 0)
    assert result == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_serve_names_the_missing_signing_secret_without_printing_the_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-value-123")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_SIGNING_SECRET" in err
    assert "xoxb-very-secret-value-123" not in err


def test_report_from_hubspot_with_progress(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, portal: PortalSnapshot
) -> None:
    with FakeHubSpot.running(portal=portal) as hubspot:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", hubspot.token)
        monkeypatch.setenv("HUBSPOT_API_BASE", hubspot.base_url)
        assert main(["report", "fulfillment", "--format", "json"]) == 0
        assert hubspot.calls
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == "hubspot"
    assert report["deals_analyzed"] > 0


def test_post_sends_one_card_and_joins_a_public_channel_first(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, slack: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    slack.not_member.add("C0REPORTS")
    assert main(["post", "all", "--channel", "C0REPORTS"]) == 0
    assert [c.method for c in slack.calls] == ["chat.postMessage", "conversations.join", "chat.postMessage"]
    posted = slack.calls_to("chat.postMessage")[-1]
    assert posted.error is None
    check_message(posted.payload)
    assert "Posted to C0REPORTS" in capsys.readouterr().err


def test_report_uses_the_configured_renewals_pipeline(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYSIS__RENEWAL_PIPELINE", "renewals & expansion")  # label, any case
    assert main(["report", "fulfillment", "--format", "json", "--now", NOW_ARG]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["metrics"]["renewal_open_deals"]["value"] > 0
    assert "renewal_pipeline" not in {gap["key"] for gap in report["data_gaps"]}


def test_a_second_post_shows_the_trend_since_the_first(
    monkeypatch: pytest.MonkeyPatch, slack: FakeSlack, tmp_path: Path
) -> None:
    """``post`` keeps report history (in DATA_DIR) like a scheduled post, so cron posts show trends."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "history"))
    assert main(["post", "growth", "--channel", "C0REPORTS"]) == 0
    assert main(["post", "growth", "--channel", "C0REPORTS"]) == 0
    first, second = (json.dumps(c.payload) for c in slack.calls_to("chat.postMessage"))
    assert "since" not in first
    assert "no change since" in second  # same sample portal, same score
    assert list((tmp_path / "history").iterdir())


def test_post_to_a_missing_channel_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, slack: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    slack.missing_channels.add("C0GONE")
    assert main(["post", "growth", "--channel", "C0GONE"]) == 1
    err = capsys.readouterr().err
    assert "no channel 'C0GONE'" in err
    assert "Traceback" not in err


def test_post_waits_out_a_slack_rate_limit(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    slack.rate_limit("chat.postMessage", retry_after=0)
    assert main(["post", "innovation", "--channel", "C0REPORTS"]) == 0
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]


def test_progress_bar_draws_and_erases() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, enabled=True, interval=0.0)
    bar(Progress("deals", 1200, 5000))
    bar(Progress("deals", 5000, 5000))
    bar.close()
    text = stream.getvalue()
    assert "[#######" in text
    assert "1,200/5,000 deals" in text
    assert "5,000/5,000" in text
    assert text.endswith("\r\x1b[K")
    quiet = io.StringIO()
    ProgressBar(quiet, enabled=False)(Progress("deals", 1, 2))
    assert quiet.getvalue() == ""


def test_console_script_runs_the_demo_in_a_bare_environment(tmp_path: Path) -> None:
    """What `make demo` runs, as a separate process with nothing configured."""
    script = Path(sys.executable).with_name("engine-bot")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    done = subprocess.run(  # noqa: S603 - our own console script
        [str(script), "report", "all"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "GROWTH ENGINE" in done.stdout
    assert "INNOVATION ENGINE" in done.stdout


def test_report_writes_the_cards_charts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "charts"
    assert main(["report", "growth", "--now", NOW_ARG, "--chart", str(out)]) == 0
    # No report history here (and none is created): the score chart needs two scores.
    assert sorted(p.name for p in out.iterdir()) == ["growth-conversion.png", "growth-time_in_stage.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in out.iterdir())
    err = capsys.readouterr().err
    assert f"Wrote {out / 'growth-conversion.png'}: Bar chart of stage-to-stage conversion" in err
    assert not (tmp_path / "data").exists()


def test_post_with_charts_attaches_them_in_the_cards_thread(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, slack: FakeSlack, tmp_path: Path
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "history"))
    assert main(["post", "growth", "--channel", "C0REPORTS", "--charts"]) == 0
    assert main(["post", "growth", "--channel", "C0REPORTS", "--charts"]) == 0  # two scores: a score chart
    card = slack.calls_to("chat.postMessage")[-1]
    ts = slack.messages_sent()[-1].payload["ts"]
    complete = slack.calls_to("files.completeUploadExternal")[-1]
    assert complete.error is None
    assert complete.payload["thread_ts"] == ts
    shared = json.loads(complete.payload["files"])
    assert [slack.files[f["id"]]["name"] for f in shared] == [
        "growth-score.png",
        "growth-time_in_stage.png",
        "growth-conversion.png",
    ]
    blocks = slack.messages[("C0REPORTS", ts)]["blocks"]
    assert [b["slack_file"]["id"] for b in blocks if b["type"] == "image"] == [f["id"] for f in shared]
    assert blocks[: len(card.payload["blocks"])] == card.payload["blocks"]
    assert "Attached 3 charts" in capsys.readouterr().err
    # Report history now exists: report --chart draws the score too, without recording anything.
    out = tmp_path / "charts"
    assert main(["report", "growth", "--chart", str(out)]) == 0
    assert (out / "growth-score.png").is_file()


def test_post_with_charts_refused_still_posts_the_card(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, slack: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    slack.missing_scopes.add("files:write")
    assert main(["post", "growth", "--channel", "C0REPORTS", "--charts"]) == 0
    assert slack.calls_to("chat.postMessage")[0].error is None
    assert "files:write" in capsys.readouterr().err
    hint = slack.calls_to("chat.update")[0].payload["blocks"][-1]
    assert "files:write" in hint["elements"][0]["text"]
