"""manifest.yml: a valid Slack app manifest (checked against Slack's own JSON schema) with exactly the
scopes and events the bot's features need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from bot.listeners.commands.engine import COMMAND

REPO = Path(__file__).resolve().parents[3]
# CI puts a read-only copy of shared/ beside the clone; here it is /work/shared = /work/main/../shared.
SCHEMA = REPO.parent / "shared" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_manifest_matches_slacks_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not at {SCHEMA} (shared/ is expected beside the repository)")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert manifest["_metadata"]["major_version"] == 1  # the classic app manifest that schema 1.0.0 describes
    jsonschema.validate(manifest, schema)


def test_manifest_has_exactly_the_scopes_and_events_the_features_need(manifest: dict[str, Any]) -> None:
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "commands",
            "app_mentions:read",
            "chat:write",
            "files:write",
            "channels:join",
            "users:read",
            "users:read.email",
        ]
    )
    assert manifest["oauth_config"]["scopes"].get("user") is None
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention", "app_home_opened"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True  # app_home_opened needs the tab


def test_slash_command_matches_the_listener(manifest: dict[str, Any]) -> None:
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert "growth" in command["usage_hint"]
    assert "private" in command["usage_hint"]
    assert command["url"].endswith("/slack/events")
    assert settings_urls(manifest) == {command["url"]}
    assert 1 <= len(manifest["display_information"]["name"]) <= 35


def settings_urls(manifest: dict[str, Any]) -> set[str]:
    settings = manifest["settings"]
    return {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]}
