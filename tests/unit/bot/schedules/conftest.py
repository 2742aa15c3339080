"""Schedule fixtures: the same migrated SQLite database and hand-driven clock as tests/unit/bot/storage."""

from __future__ import annotations

from tests.unit.bot.storage.conftest import clock, data_dir, db

__all__ = ["clock", "data_dir", "db"]
