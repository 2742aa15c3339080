"""Fixtures for the Slack bot tests: a loopback fake Slack, sample data, and a portal with hostile names."""

from __future__ import annotations

from tests.support.fixtures import hostile_portal, portal, slack

__all__ = ["hostile_portal", "portal", "slack"]
