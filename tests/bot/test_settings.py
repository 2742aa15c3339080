"""Settings: one class, environment or .env, secrets hidden, missing values named at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

SECRET = "xoxb-0000-super-secret-token-value"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [*list(Settings.model_fields), "HUBSPOT_API_KEY"]:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_run_on_the_sample_portal() -> None:
    settings = load_settings()
    assert settings.source == "sample"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.hubspot_cache_ttl == 300.0
    assert settings.hubspot_lookback_days == 180
    assert settings.data_dir == Path("data")
    assert settings.report_engines == "all"
    assert not settings.socket_mode


def test_hubspot_is_chosen_when_a_token_is_set_including_the_old_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HUBSPOT_API_KEY", "pat-na1-abc")
    settings = load_settings()
    assert settings.source == "hubspot"
    assert settings.hubspot_access_token is not None
    assert settings.hubspot_access_token.get_secret_value() == "pat-na1-abc"
    monkeypatch.setenv("ENGINE_SOURCE", "sample")
    assert load_settings().source == "sample"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_APP_TOKEN=xapp-1-abc\nREPORT_CHANNEL=C0REPORTS\nlog_level=debug\n")
    settings = load_settings()
    assert settings.socket_mode
    assert settings.report_channel == "C0REPORTS"
    assert settings.log_level == "DEBUG"


def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"):
        settings.require("slack_bot_token", "slack_signing_secret")
    monkeypatch.setenv("ENGINE_SOURCE", "hubspot")
    with pytest.raises(SettingsError, match="HUBSPOT_ACCESS_TOKEN"):
        load_settings().require_for_source()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "   ")
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        load_settings().require("slack_bot_token")


def test_invalid_values_are_named_without_echoing_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not-a-port-" + SECRET)
    monkeypatch.setenv("ENGINE_SOURCE", "salesforce")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "PORT" in message
    assert "ENGINE_SOURCE" in message
    assert SECRET not in message


def test_secrets_never_appear_in_reprs_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-" + SECRET)  # a user token where a bot token belongs
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", SECRET)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u:{SECRET}@db/x")
    settings = load_settings()
    for text in (repr(settings), str(settings), str(settings.model_dump()), settings.model_dump_json()):
        assert SECRET not in text
    with pytest.raises(SettingsError) as caught:
        settings.require("slack_bot_token")
    assert "xoxb-" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_answer_workers_bound_the_answer_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ANSWER_WORKERS`` (default 4) reaches the app's answer gate; 0 would stall every card."""
    from bot.runtime import build_deps

    assert load_settings().answer_workers == 4
    monkeypatch.setenv("ANSWER_WORKERS", "8")
    settings = load_settings()
    assert settings.answer_workers == 8
    assert build_deps(settings).answers.workers == 8
    monkeypatch.setenv("ANSWER_WORKERS", "0")
    with pytest.raises(SettingsError, match="ANSWER_WORKERS"):
        load_settings()


def test_analysis_thresholds_come_from_analysis_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every engines.AnalysisConfig field is a setting (ANALYSIS__<FIELD>), so a RevOps admin can
    point the fulfillment engine at the renewals pipeline or change a threshold without code."""
    monkeypatch.setenv("ANALYSIS__RENEWAL_PIPELINE", "Renewals & Expansion")
    monkeypatch.setenv("ANALYSIS__STALE_ACTIVITY_DAYS", "21")
    settings = load_settings()
    assert settings.analysis.renewal_pipeline == "Renewals & Expansion"
    assert settings.analysis.stale_activity_days == 21
    assert settings.analysis.lookback_days == 180  # the others keep their defaults


def test_a_bad_analysis_threshold_is_named_by_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYSIS__STALE_ACTIVITY_DAYS", "soon")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "ANALYSIS__STALE_ACTIVITY_DAYS" in str(caught.value)
