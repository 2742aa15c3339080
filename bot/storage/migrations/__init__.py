"""Alembic migrations for :mod:`bot.storage`, applied by :meth:`bot.storage.Database.migrate`."""
