"""Database faults for the mirror tests, made by the database itself (a trigger that refuses a write),
so a sync dies exactly where a crash or a lost connection would kill it, with nothing of ours patched;
and a count of the statements the database is sent."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event, text

from bot.storage import Database


@contextlib.contextmanager
def refused_writes(db: Database, table: str, *, object_type: str | None = None) -> Iterator[None]:
    """Every INSERT or UPDATE of ``table`` (only of rows of ``object_type``, if given) fails while
    this is open, as a full disk or a dropped connection would fail it."""
    only = f"NEW.object_type = '{object_type}'" if object_type is not None else "1 = 1"
    name = f"refuse_{table}"
    if db.dialect == "sqlite":
        create = [
            f"CREATE TRIGGER {name}_{op} BEFORE {op.upper()} ON {table} WHEN {only} "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            for op in ("insert", "update")
        ]
        drop = [f"DROP TRIGGER {name}_insert", f"DROP TRIGGER {name}_update"]
    else:
        create = [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {only} THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$",
            f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"]
    with db.engine.begin() as connection:
        for statement in create:
            connection.execute(text(statement))
    try:
        yield
    finally:
        with db.engine.begin() as connection:
            for statement in drop:
                connection.execute(text(statement))


class StatementLog:
    """The statements sent to the database while open (``executemany`` counts once: one round)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.statements: list[tuple[str, bool]] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, many: bool) -> None:
        self.statements.append((" ".join(statement.split()), many))

    def __enter__(self) -> StatementLog:
        event.listen(self.db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.db.engine, "before_cursor_execute", self._record)

    def starting(self, prefix: str) -> list[tuple[str, bool]]:
        return [s for s in self.statements if s[0].upper().startswith(prefix.upper())]
