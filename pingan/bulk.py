"""Write many rows in few round trips, fast on PostgreSQL (intake's hot path).

Django's `bulk_create` on PostgreSQL binds one array per column on the client, quoting every
element in Python; for intake's small inserts per batch that was a fifth of a server's CPU
(`pingan bench intake`, py-spy). An `INSERT … VALUES` list instead has a text that changes
with the number of rows, which psycopg re-parses for its placeholders on every call (about
100 µs for one case row) and PostgreSQL plans afresh. So here the rows of one INSERT travel
as one JSON value, `INSERT … SELECT … FROM jsonb_array_elements(%s)`: one statement text per
model, prepared once by the driver, whatever the number of rows, and the rows encoded by
the json module's C encoder. Which columns, their types and every value's conversion come
from the model's own fields (`pre_save`, `get_db_prep_save`), as `bulk_create` does; no
signals are sent (neither does `bulk_create`). On other databases it is `bulk_create`.

`Together` sends several statements in one round trip (psycopg's pipeline mode): a round
trip costs about as much CPU, client and server together, as a small insert itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from uuid import UUID

from django.db import connections
from django.db.models import Model
from django.db.models.fields import AutoFieldMixin
from psycopg.types.json import Json, Jsonb


def insert(objs: list[Model], *, using: str = "default") -> None:
    """Insert `objs` (all of one model) now; each gets its primary key, as with
    bulk_create."""
    together = Together(using)
    together.insert(objs)
    together.send()


def execute(connection, sql: str, params: list) -> list[tuple]:
    """Run one statement on Django's connection (in its transaction, raising Django's error
    classes); its rows, if any. On PostgreSQL with server-side binding and binary values, so
    a statement run often is prepared once (psycopg's auto-prepare); `%s` placeholders."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall() if cursor.description else []


def _insert_statement(objs: list[Model], connection) -> tuple[str, list, Callable]:
    """The INSERT of `objs` (one model), and what to do with its rows: give the objects
    their new primary keys, unless they came with them."""
    model = type(objs[0])
    given = objs[0].pk is not None
    fields, sql = _statement(model, connection.alias, given)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    rows = [[_plain(field.get_db_prep_save(field.pre_save(obj, True), connection))
             for field in fields] for obj in objs]
    params = [json.dumps(rows, ensure_ascii=False, allow_nan=False, separators=(",", ":"))]
    pk = model._meta.pk

    def then(rows: list[tuple]) -> None:
        for i, obj in enumerate(objs):
            if not given:
                setattr(obj, pk.attname, rows[i][0])
            obj._state.adding = False
            obj._state.db = connection.alias

    return sql, params, then


def _plain(value):
    """A value as JSON carries it; PostgreSQL casts it back to the column's type."""
    if value is None or isinstance(value, (str, int, float)):  # bool is an int
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()  # with its UTC offset: read back to the microsecond
    if isinstance(value, (Json, Jsonb)):  # a JSONField's, with the field's own encoder
        return (value.dumps or json.dumps)(value.obj)
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return "\\x" + bytes(value).hex()
    raise TypeError(f"bulk insert: no JSON form for {type(value).__name__}")


@lru_cache(maxsize=256)
def _statement(model: type[Model], alias: str, with_pk: bool) -> tuple[list, str]:
    connection = connections[alias]
    meta = model._meta
    fields = [f for f in meta.concrete_fields
              if with_pk or not (f.primary_key and isinstance(f, AutoFieldMixin))]
    quote = connection.ops.quote_name
    values = ", ".join(f"(r->>{i})::{_cast(f, connection)}" for i, f in enumerate(fields))
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"SELECT {values} FROM jsonb_array_elements(%s::text::jsonb) AS r")
    if not with_pk:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return fields, sql


def _cast(field, connection) -> str:
    """The type to read a column's value as: its own, but without a length, so that a value
    too long is refused by the column as in any INSERT (an explicit cast to varchar(n)
    would cut it short without a word)."""
    db_type = field.db_type(connection)
    return re.sub(r"^(varchar|character varying|char|character)\(\d+\)$", "text", db_type)


class Together:
    """Statements sent at once: on PostgreSQL they wait in a queue and `send()` sends them
    in one round trip (psycopg's pipeline mode, server-side binding, binary values); on
    other databases each runs as it is added. Inside the caller's transaction; errors are
    Django's. A statement's rows go to its `then` once it has run.

    The usual use is two rounds: the first takes numbers and the parents' ids
    (`give_ids`), the second inserts parents and children together."""

    def __init__(self, using: str = "default"):
        self.connection = connections[using]
        self.queued = self.connection.vendor == "postgresql"
        self._queue: list[tuple[str, list, Callable | None]] = []

    def execute(self, sql: str, params: list,
                then: Callable[[list[tuple]], None] | None = None) -> None:
        if not self.queued:
            rows = execute(self.connection, sql, params)
            if then is not None:
                then(rows)
            return
        self._queue.append((sql, params, then))

    def insert(self, objs: list[Model]) -> None:
        """Insert `objs` (all of one model). Those without a primary key get theirs when
        the statement has run (at once, or at `send()` on PostgreSQL): add their children
        to a later round."""
        if not objs:
            return
        if any((obj.pk is None) != (objs[0].pk is None) for obj in objs):
            raise ValueError("insert: either every object has its primary key or none has")
        if not self.queued:
            type(objs[0]).objects.using(self.connection.alias).bulk_create(objs)
            return
        self.execute(*_insert_statement(objs, self.connection))

    def give_ids(self, objs: list[Model]) -> None:
        """On PostgreSQL, take primary keys for `objs` (of one model, with an identity key)
        from the table's sequence in this round, so that their rows and their children's
        can go in together in the next. Elsewhere nothing: `insert` gives them."""
        if not objs or not self.queued:
            return
        model = type(objs[0])
        pk = model._meta.pk

        def then(rows: list[tuple]) -> None:
            for obj, (value,) in zip(objs, rows, strict=True):
                setattr(obj, pk.attname, value)

        self.execute("SELECT nextval(%s::text::regclass) FROM generate_series(1, %s)",
                     [_sequence(self.connection.alias, model._meta.db_table, pk.column),
                      len(objs)], then)

    def send(self) -> None:
        queue, self._queue = self._queue, []
        if not queue:
            return
        import psycopg

        connection = self.connection
        connection.ensure_connection()
        with connection.wrap_database_errors:
            raw = connection.connection
            cursors = []
            with raw.pipeline():
                for sql, params, _then in queue:  # a cursor each: each keeps its own rows
                    cursor = psycopg.Cursor(raw)
                    cursor.execute(sql, params, binary=True)
                    cursors.append(cursor)
            for cursor, (_sql, _params, then) in zip(cursors, queue, strict=True):
                if then is not None:
                    then(cursor.fetchall() if cursor.description else [])
                cursor.close()


@lru_cache(maxsize=64)
def _sequence(alias: str, table: str, column: str) -> str:
    """The name of the sequence behind a table's identity column."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        return cursor.fetchone()[0]
