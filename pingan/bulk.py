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
        cursor.execute(sql, params, prepare=True, binary=True)
        return cursor.fetchall() if cursor.description else []


def _insert_statement(
    objs: list[Model], connection, *, returning: bool = True
) -> tuple[str, list, Callable | None, Callable]:
    """The INSERT of `objs` (one model): its text and parameters, what to do with its rows
    (give the objects their new primary keys; None when they came with them, or when
    `returning` is False and their keys are not wanted), and what to do once it has run."""
    model = type(objs[0])
    given = objs[0].pk is not None
    _fields, sql = _statement(model, connection.alias, given, returning)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    params = [_json_rows(_rows(objs, _plan(model, connection.alias, given), connection))]
    pk = model._meta.pk

    def then(rows: list[tuple]) -> None:
        for obj, (value,) in zip(objs, rows, strict=True):
            setattr(obj, pk.attname, value)

    def done() -> None:
        if given or returning:
            for obj in objs:
                obj._state.adding = False
                obj._state.db = connection.alias

    return sql, params, (None if given or not returning else then), done


# What a field's own conversion (`pre_save`, then `get_db_prep_save`) makes of a value of
# these types is the value itself, so such values skip it: that conversion, field by field
# and row by row, was a tenth of a server's CPU in `pingan bench intake`. Any other value,
# and every field of another class (encrypted, JSON, auto_now, ...), takes the field's path.
_SAME_STR = (str,)  # any str, enum members of TextChoices included (JSON keeps their text)
_SAME_INT = (int,)  # exactly int: a bool in an integer column must become 0 or 1
_SAME_FLOAT = (float,)
_SAME_BOOL = (bool,)
_DATETIME, _DATE = "datetime", "date"
_PLAIN_FIELDS = {
    **dict.fromkeys(("CharField", "TextField", "SlugField"), _SAME_STR),
    **dict.fromkeys(
        (
            "IntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "SmallIntegerField",
            "BigIntegerField",
            "PositiveBigIntegerField",
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
        ),
        _SAME_INT,
    ),
    "FloatField": _SAME_FLOAT,
    "BooleanField": _SAME_BOOL,
    "DateTimeField": _DATETIME,
    "DateField": _DATE,
}


@lru_cache(maxsize=256)
def _plan(model: type[Model], alias: str, with_pk: bool) -> list[tuple]:
    """(attname, what passes unchanged, field) for each column of the model's INSERT; None
    where every value takes the field's own conversion."""
    import django.db.models as m

    plan = []
    for field in _statement(model, alias, with_pk)[0]:
        relation = type(field) is m.ForeignKey  # exactly: a subclass may convert values
        target = field.target_field if relation else field
        kind = (
            _PLAIN_FIELDS.get(type(target).__name__)
            if type(target).__module__ == m.fields.__name__
            else None
        )
        if relation and kind is not _SAME_INT:
            kind = None
        if kind in (_DATETIME, _DATE) and (
            getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ):
            kind = None  # pre_save sets the time
        plan.append((field.attname, kind, field))
    return plan


_MISSING = object()


def _rows(objs: list[Model], plan: list[tuple], connection) -> list[list]:
    rows = []
    for obj in objs:
        values = obj.__dict__
        row = []
        for attname, kind, field in plan:
            value = values.get(attname, _MISSING)
            if value is None and kind is not None:
                row.append(None)
                continue
            if kind is _SAME_STR:
                if isinstance(value, str):
                    row.append(value)
                    continue
            elif kind is _DATETIME:
                if type(value) is datetime and value.tzinfo is not None:
                    row.append(value.isoformat())
                    continue
            elif kind is _DATE:
                if type(value) is date:
                    row.append(value.isoformat())
                    continue
            elif kind is not None and type(value) in kind:
                row.append(value)
                continue
            row.append(_plain(field.get_db_prep_save(field.pre_save(obj, True), connection)))
        rows.append(row)
    return rows


def _json_rows(rows: list[list]) -> str:
    """Rows of JSON-ready values as the one parameter of an INSERT from `_statement`."""
    return json.dumps(rows, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


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
def _statement(
    model: type[Model], alias: str, with_pk: bool, returning: bool = True
) -> tuple[list, str]:
    """The columns and text of the model's INSERT from a JSON array of rows; without the
    primary key (with_pk False), the database gives it, and the statement returns it unless
    `returning` is False."""
    connection = connections[alias]
    meta = model._meta
    fields = [
        f
        for f in meta.concrete_fields
        if with_pk or not (f.primary_key and isinstance(f, AutoFieldMixin))
    ]
    quote = connection.ops.quote_name
    values = ", ".join(f"(r->>{i})::{_cast(f, connection)}" for i, f in enumerate(fields))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"SELECT {values} FROM jsonb_array_elements(%s::text::jsonb) AS r"
    )
    if not with_pk and returning:
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

    On PostgreSQL, statements in a row that may join (inserts that return nothing, and
    statements added with `join=True`) travel as one statement, `WITH w0 AS (…), w1 AS
    (…) …`: the driver's and the server's work per statement is then paid once. PostgreSQL
    runs such parts on one snapshot, in no set order: they must be INSERTs or upserts that
    touch no rows another part touches (foreign keys between them are checked at commit,
    as Django declares them deferred). A SELECT, SET, or a statement that is itself a
    `WITH`, must not join.

    The usual use is two rounds: the first takes numbers and ids (`give_ids`, one statement
    for every model), the second inserts parents and children together."""

    def __init__(self, using: str = "default"):
        self.connection = connections[using]
        self.queued = self.connection.vendor == "postgresql"
        # (text, parameters, what takes its rows, whether it may join its neighbours)
        self._queue: list[tuple[str, list, Callable | None, bool]] = []
        self._done: list[Callable[[], None]] = []
        self._ids: list[tuple[list[Model], str]] = []

    def execute(
        self,
        sql: str,
        params: list,
        then: Callable[[list[tuple]], None] | None = None,
        *,
        join: bool = False,
    ) -> None:
        """Add a statement; its rows go to `then`. `join`: an INSERT (or upsert) that returns
        nothing and touches no rows another statement of the round touches, so it may
        travel with its neighbours in one `WITH` statement (see the class)."""
        if join and then is not None:
            raise ValueError("a statement whose rows are wanted cannot join others")
        if not self.queued:
            rows = execute(self.connection, sql, params)
            if then is not None:
                then(rows)
            return
        self._queue.append((sql, params, then, join))

    def insert(self, objs: list[Model], *, returning: bool = True) -> None:
        """Insert `objs` (all of one model). Those without a primary key get theirs when
        the statement has run (at once, or at `send()` on PostgreSQL): add their children
        to a later round. `returning=False`: their keys are not wanted (the objects are
        left as unsaved), and the insert joins the other statements that return nothing."""
        if not objs:
            return
        if any((obj.pk is None) != (objs[0].pk is None) for obj in objs):
            raise ValueError("insert: either every object has its primary key or none has")
        if not self.queued:
            type(objs[0]).objects.using(self.connection.alias).bulk_create(objs)
            return
        sql, params, then, done = _insert_statement(objs, self.connection, returning=returning)
        self.execute(sql, params, then, join=then is None)
        self._done.append(done)

    def insert_rows(self, model: type[Model], rows: list[list]) -> None:
        """Insert rows of plain values (None, str, int, float, bool, date, aware datetime)
        in the order of the model's concrete fields, primary key included: for a caller
        that holds no model objects. The statement returns nothing."""
        if not rows:
            return
        if not self.queued:
            names = [f.attname for f in model._meta.concrete_fields]
            model.objects.using(self.connection.alias).bulk_create(
                [model(**dict(zip(names, row, strict=True))) for row in rows]
            )
            return
        _fields, sql = _statement(model, self.connection.alias, True)
        self.execute(sql, [_json_rows([[_plain(v) for v in row] for row in rows])], join=True)

    def give_ids(self, objs: list[Model]) -> None:
        """On PostgreSQL, take primary keys for `objs` (of one model, with an identity key)
        from the table's sequence in this round, so that their rows and their children's
        can go in together in the next. Elsewhere nothing: `insert` gives them. All the
        models' keys of a round come in one statement."""
        if not objs or not self.queued:
            return
        table, column = objs[0]._meta.db_table, objs[0]._meta.pk.column
        self._ids.append((objs, _sequence(self.connection.alias, table, column)))

    def send(self) -> None:
        queue, self._queue = self._queue, []
        done, self._done = self._done, []
        if self._ids:
            queue.insert(0, self._ids_statement())
        if not queue:
            return
        import psycopg

        queue = _joined(queue)
        connection = self.connection
        connection.ensure_connection()
        with connection.wrap_database_errors:
            raw = connection.connection
            cursors = []
            with raw.pipeline():
                for sql, params, _then, _join in queue:  # a cursor each: each keeps its own rows
                    cursor = psycopg.Cursor(raw)
                    cursor.execute(sql, params, prepare=True, binary=True)
                    cursors.append(cursor)
            for cursor, (_sql, _params, then, _join) in zip(cursors, queue, strict=True):
                if then is not None:
                    then(cursor.fetchall() if cursor.description else [])
                cursor.close()
        for step in done:
            step()

    def _ids_statement(self) -> tuple[str, list, Callable, bool]:
        wanted, self._ids = self._ids, []

        def then(rows: list[tuple]) -> None:
            values: list[list[int]] = [[] for _ in wanted]
            for k, value in rows:
                values[k].append(value)
            for (objs, _seq), ids in zip(wanted, values, strict=True):
                pk = objs[0]._meta.pk
                for obj, value in zip(objs, ids, strict=True):
                    setattr(obj, pk.attname, value)

        asked = [{"k": k, "seq": seq, "n": len(objs)} for k, (objs, seq) in enumerate(wanted)]
        return (_IDS_SQL, [json.dumps(asked)], then, False)


# Keys from several sequences in one statement: (which request, a new key) per row.
_IDS_SQL = (
    "SELECT t.k, nextval(t.seq::regclass) "
    "FROM jsonb_to_recordset(%s::text::jsonb) AS t(k int, seq text, n int), "
    "generate_series(1, t.n)"
)


def _joined(queue: list[tuple]) -> list[tuple]:
    """Each run of statements that may join their neighbours made into one (see
    `Together`); the others keep their place."""
    out: list[tuple] = []
    run: list[tuple] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            parts = ", ".join(f"w{i} AS ({statement[0]})" for i, statement in enumerate(run[:-1]))
            out.append(
                (
                    f"WITH {parts} {run[-1][0]}",
                    [p for statement in run for p in statement[1]],
                    None,
                    False,
                )
            )
        run.clear()

    for statement in queue:
        if statement[3]:
            run.append(statement)
        else:
            flush()
            out.append(statement)
    flush()
    return out


@lru_cache(maxsize=64)
def _sequence(alias: str, table: str, column: str) -> str:
    """The name of the sequence behind a table's identity column."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        return cursor.fetchone()[0]
