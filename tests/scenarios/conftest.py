"""Fixtures for the scenarios (the app over HTTP): a loopback fake Slack, the sample portal, and that portal
with hostile names (tests/support/fixtures.py)."""

from __future__ import annotations

from tests.support.fixtures import hostile_portal, portal, slack

__all__ = ["hostile_portal", "portal", "slack"]
