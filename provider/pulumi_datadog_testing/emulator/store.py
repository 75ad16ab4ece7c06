"""SQLite persistence of the emulator's state.

One connection (``:memory:`` or a file in WAL mode) guarded by a lock, so concurrent
requests — on the event loop or in worker threads — are serialized; every write is one
transaction, so a stop/restart (or a crash) loses nothing that was answered. Objects are
stored as JSON documents keyed by their API id; the domain logic lives in the sibling
modules, this one only reads and writes rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

__all__ = ["MEMORY", "Store", "StoreError", "compact_json"]

MEMORY: Final = ":memory:"

compact_json: Final = json.JSONEncoder(separators=(",", ":")).encode
"""``json.dumps(value, separators=(",", ":"))``: documents and answers without spaces."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS service_settings (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS policies (repository_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flaky_tests (
    id TEXT PRIMARY KEY, repository_id TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS flaky_test_states (
    id TEXT PRIMARY KEY, flaky_state TEXT NOT NULL, history TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS suites (public_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
"""
_DATA_TABLES: Final = (
    "service_settings",
    "policies",
    "flaky_tests",
    "flaky_test_states",
    "suites",
)


class StoreError(RuntimeError):
    """The database cannot be used; the message is one line saying what to do."""


def _open_problem(path: str, exc: sqlite3.Error) -> StoreError:
    detail = " ".join(str(exc).split()) or type(exc).__name__  # one line
    text = detail.lower()
    if "locked" in text or "busy" in text:
        advice = (
            "it is locked by another process — stop the other program (another emulator?) "
            "using it, or pass another --db"
        )
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        advice = (
            "it is not an SQLite database or it is corrupt — move it aside (the emulator "
            "creates a new one) or pass another --db"
        )
    elif "unable to open" in text or "readonly" in text or "read-only" in text:
        advice = (
            "it cannot be created or written — check that its folder exists and is writable, "
            "or pass another --db"
        )
    else:
        advice = "pass another --db, or move this file aside"
    return StoreError(f"cannot use {path!r} as the emulator's database ({detail}): {advice}")


class Store:
    """Rows of JSON documents in SQLite; all methods are thread-safe.

    Opening checks the file (``PRAGMA quick_check``) and writes the schema, so a corrupt,
    foreign, locked or unwritable database is a ``StoreError`` at start-up, not mid-request.
    """

    def __init__(self, path: str = MEMORY, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=busy_timeout
            )
        except sqlite3.Error as exc:
            raise _open_problem(path, exc) from None
        try:
            if path != MEMORY:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                (verdict,) = self._db.execute("PRAGMA quick_check(1)").fetchone()
                if verdict != "ok":
                    raise sqlite3.DatabaseError(f"database disk image is malformed: {verdict}")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self._db.close()
            raise _open_problem(path, exc) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write (or consistent read) holding the lock; nested uses join the
        outermost transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    # ----------------------------------------------------------------- generic rows
    def get(self, table: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT doc FROM {table} WHERE {_key(table)} = ?", (key,)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, table: str, key: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT INTO {table} ({_key(table)}, doc) VALUES (?, ?) "
                f"ON CONFLICT DO UPDATE SET doc = excluded.doc",
                (key, json.dumps(doc)),
            )

    def delete(self, table: str, keys: Iterable[str]) -> list[str]:
        """Delete rows; return the keys that existed."""
        deleted: list[str] = []
        with self.transaction() as db:
            for key in keys:
                if db.execute(f"DELETE FROM {table} WHERE {_key(table)} = ?", (key,)).rowcount:
                    deleted.append(key)
        return deleted

    def all(self, table: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(f"SELECT doc FROM {table}").fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, table: str) -> int:
        with self._lock:
            (n,) = self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        return int(n)

    # ------------------------------------------------------------------ flaky tests
    def put_flaky_tests(
        self, docs: Iterable[dict[str, Any]], texts: Sequence[str] | None = None
    ) -> None:
        """Insert or replace whole flaky-test documents (their state and history included:
        an overlay written before is dropped); ``texts``: their JSON, already encoded."""
        docs = list(docs)
        encoded = texts if texts is not None else [compact_json(d) for d in docs]
        rows = [(d["id"], d["repository_id"], t) for d, t in zip(docs, encoded, strict=True)]
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO flaky_tests (id, repository_id, doc) VALUES (?, ?, ?) "
                "ON CONFLICT DO UPDATE SET repository_id = excluded.repository_id, "
                "doc = excluded.doc",
                rows,
            )
            db.executemany("DELETE FROM flaky_test_states WHERE id = ?", [r[:1] for r in rows])

    def put_flaky_states(self, states: Iterable[tuple[str, str, str]]) -> None:
        """Record the new ``(id, flaky_state, history JSON text)`` of tests whose documents
        are stored."""
        rows = list(states)
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO flaky_test_states (id, flaky_state, history) VALUES (?, ?, ?) "
                "ON CONFLICT DO UPDATE SET flaky_state = excluded.flaky_state, "
                "history = excluded.history",
                rows,
            )

    def flaky_tests(self) -> list[dict[str, Any]]:
        """Every flaky-test document, with its latest state and history."""
        with self._lock:
            rows = self._db.execute(
                "SELECT t.doc, s.flaky_state, s.history FROM flaky_tests t "
                "LEFT JOIN flaky_test_states s ON s.id = t.id"
            ).fetchall()
        docs: list[dict[str, Any]] = []
        for doc_text, state, history in rows:
            doc = json.loads(doc_text)
            if state is not None:
                doc["flaky_state"] = state
                doc["history"] = json.loads(history)
            docs.append(doc)
        return docs

    # ------------------------------------------------------------------------- meta
    def get_meta(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def next_counter(self, name: str, start: int) -> int:
        """An increasing integer that survives restarts (e.g. suite monitor ids)."""
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
            value = start if row is None else int(json.loads(row[0])) + 1
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT DO UPDATE SET value = excluded.value",
                (name, json.dumps(value)),
            )
        return value

    def reset(self) -> None:
        """Delete every object (settings, policies, flaky tests, suites, counters, config)."""
        with self.transaction() as db:
            for table in (*_DATA_TABLES, "meta"):
                db.execute(f"DELETE FROM {table}")


def _key(table: str) -> str:
    return {"policies": "repository_id", "suites": "public_id"}.get(table, "id")
