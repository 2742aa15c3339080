"""Fixtures for the tests of the test support itself: the loopback fake Slack (tests/support/fixtures.py)."""

from __future__ import annotations

from tests.support.fixtures import slack

__all__ = ["slack"]
