"""A database of a benchmark's own: made and migrated for the run, never the user's."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def own_database(url: str, say: Callable[[str], None], *, prefix: str) -> Iterator[None]:
    """Point the default connection, for the `with` block, at a database made for this run.

    Without `url`: a new SQLite file in a temporary directory, removed afterwards. With a
    PostgreSQL `url`: that database, created if missing. Either is migrated first. The
    connections open when the block starts are closed; every thread that connects inside it
    (a ticker, a stream reader) gets the bench database, with the options Pingan runs that
    vendor with (pingan/settings.py's `database`)."""
    from django.core.management import call_command
    from django.db import connections

    from pingan.settings import database

    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as tmp:
        config = database(url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        if config["ENGINE"] == "django.db.backends.postgresql":
            _create_postgres_database(config, say)
        elif config["ENGINE"] != "django.db.backends.sqlite3":
            raise ValueError(f"unsupported database engine {config['ENGINE']}")
        saved = connections.settings["default"]
        _close_default(connections)
        connections.settings["default"] = {**saved, **config}
        try:
            call_command("migrate", verbosity=0, interactive=False)
            yield
        finally:
            _close_default(connections)
            connections.settings["default"] = saved


def _close_default(connections) -> None:
    """Close this thread's default connection and forget it (and a PostgreSQL pool, kept per
    alias by Django), so the next use connects afresh with the settings then in place."""
    conn = connections["default"]
    conn.close()
    if hasattr(conn, "close_pool"):
        conn.close_pool()
    del connections["default"]


def _create_postgres_database(config: dict, say: Callable[[str], None]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        if not admin.execute(
            "select 1 from pg_database where datname = %s", [config["NAME"]]
        ).fetchone():
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(config["NAME"])))
            say(f"created database {config['NAME']}")
