"""PostgreSQL backend: a small connection pool, READ COMMITTED, explicit row locks.

For trackers that outgrow one machine: several server processes can share one database. Claims
use ``FOR UPDATE SKIP LOCKED`` on a materialised single-row candidate (see ``sql/postgres.sql``),
so concurrent claims take different rows without waiting for each other.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row

from ccdump.errors import ConfigError
from ccdump.jobs.errors import ServiceBusy
from ccdump.jobs.sqlstore import SQLStore, Tx


class ConnectionPool:
    """At most ``size`` connections, opened lazily and reused; broken ones are dropped.

    Kept minimal on purpose (psycopg_pool is not a dependency): callers wait at most
    ``acquire_timeout`` seconds for a free connection, then get :class:`ServiceBusy` (503).
    """

    def __init__(self, conninfo: str, size: int, *, acquire_timeout: float = 30.0, connect_timeout: int = 10):
        self._conninfo = conninfo
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self._acquire_timeout = acquire_timeout
        self._connect_timeout = connect_timeout

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        if not self._slots.acquire(timeout=self._acquire_timeout):
            raise ServiceBusy("all database connections are busy")
        conn: psycopg.Connection | None = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = psycopg.connect(
                    self._conninfo,
                    autocommit=True,
                    row_factory=dict_row,
                    connect_timeout=self._connect_timeout,
                )
            yield conn
        finally:
            if conn is not None:
                if conn.closed or conn.broken:
                    conn.close()
                else:
                    self._idle.put(conn)
            self._slots.release()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class PostgresStore(SQLStore):
    """:class:`~ccdump.jobs.storage.JobStore` in a PostgreSQL database (schema from the URL's search_path)."""

    dialect = "postgres"
    integrity_errors = (psycopg.errors.UniqueViolation,)
    conflict_errors = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)

    def __init__(
        self,
        url: str,
        *,
        idle_timeout: float,
        pool_size: int = 10,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(idle_timeout=idle_timeout, clock=clock)
        self._pool = ConnectionPool(url, pool_size)
        try:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute(self.sql["schema"])
        except psycopg.OperationalError as exc:
            raise ConfigError(f"cannot connect to PostgreSQL: {exc}".strip()) from exc

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        with self._pool.connection() as conn:
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield Tx(cur.execute, self.sql)
            except psycopg.OperationalError as exc:
                if type(exc) is psycopg.OperationalError or isinstance(exc, psycopg.errors.AdminShutdown):
                    raise ServiceBusy(f"database unavailable: {exc}".strip()) from exc
                raise

    def close(self) -> None:
        self._pool.close()
