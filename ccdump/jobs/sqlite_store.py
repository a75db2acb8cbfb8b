"""SQLite backend: one file in WAL mode, one connection, every write in ``BEGIN IMMEDIATE``.

One connection behind a lock serialises this process's transactions (SQLite allows one writer
anyway) and ``BEGIN IMMEDIATE`` takes the database write lock up front, so a transition never
interleaves with another — not even one from a second server process on the same file. WAL with
``synchronous=NORMAL`` keeps committed transactions across a killed server process.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ccdump.jobs.errors import ServiceBusy
from ccdump.jobs.sqlstore import SQLStore, Tx


class SQLiteStore(SQLStore):
    """:class:`~ccdump.jobs.storage.JobStore` in one SQLite file."""

    dialect = "sqlite"
    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: str, *, idle_timeout: float, clock: Callable[[], float] = time.time) -> None:
        super().__init__(idle_timeout=idle_timeout, clock=clock)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._conn.row_factory = sqlite3.Row
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            self._conn.execute(f"PRAGMA {pragma}")
        with self._lock:
            self._conn.executescript(self.sql["schema"])

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as exc:  # another process held the write lock past busy_timeout
                raise ServiceBusy(f"database busy: {exc}") from exc
            try:
                yield Tx(self._conn.execute, self.sql)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
