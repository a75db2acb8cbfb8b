"""The storage interface of the job tracker, and the factory that opens one from a URL.

The server only calls these methods; SQLite (:mod:`ccdump.jobs.sqlite_store`) and PostgreSQL
(:mod:`ccdump.jobs.postgres_store`) implement them with the same transition logic
(:mod:`ccdump.jobs.sqlstore`). Every method is one transaction: a transition either happens
completely or not at all, which is what lets the server be killed at any moment.

Methods are synchronous (the server runs them in its thread pool) and raise
:mod:`ccdump.jobs.errors` exceptions for protocol outcomes (no job, unknown worker …).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ccdump.errors import ConfigError
from ccdump.jobs.model import ChunkInfo, Offer, Registration, WorkerType

#: Default idle timeout in seconds (issue #6: one hour); the server's --idle-timeout overrides it.
DEFAULT_IDLE_TIMEOUT = 3600.0


class JobStore(abc.ABC):
    """Jobs, workers and leaderboards, with the C@H state machine as atomic transitions."""

    idle_timeout: float

    # -- workers ---------------------------------------------------------------------------

    @abc.abstractmethod
    def register(self, type: WorkerType, nickname: str) -> Registration:
        """Create a worker with a fresh unguessable token and a unique display name."""

    @abc.abstractmethod
    def validate(self, token: str, type: WorkerType) -> bool:
        """True (and refresh last_seen) if the token names a live worker of this type."""

    @abc.abstractmethod
    def update_progress(self, token: str, type: WorkerType, progress: str) -> None:
        """Record a progress string (kept in the progress log too)."""

    @abc.abstractmethod
    def bye(self, token: str, type: WorkerType) -> None:
        """Release the worker's job and delete the worker."""

    @abc.abstractmethod
    def expire_idle(self) -> int:
        """Drop workers silent for longer than ``idle_timeout``, reopening their jobs; returns how many."""

    # -- jobs ------------------------------------------------------------------------------

    @abc.abstractmethod
    def job_count(self, type: WorkerType) -> int:
        """Open (unclaimed) jobs of the stage this worker type works on; exact."""

    @abc.abstractmethod
    def new_job(self, token: str, type: WorkerType) -> Offer:
        """Release the worker's current job, then claim exactly one open job atomically."""

    @abc.abstractmethod
    def complete(
        self, token: str, type: WorkerType, *, url: str | None = None, count: int | None = None
    ) -> None:
        """Finish the worker's job: CPU → GPU stage with ``url``; Hybrid/GPU → done with ``count`` pairs."""

    @abc.abstractmethod
    def invalid_url(self, token: str) -> None:
        """A GPU worker could not use its job's URL: the job goes back to the CPU stage."""

    @abc.abstractmethod
    def completed_addresses(self, addresses: Sequence[str]) -> list[str]:
        """The given CPU result URLs whose jobs are closed."""

    # -- shards (admin) --------------------------------------------------------------------

    @abc.abstractmethod
    def add_shards(self, urls: Sequence[str]) -> list[ChunkInfo]:
        """Append chunks in order (two jobs each); a URL already present is returned, not duplicated."""

    @abc.abstractmethod
    def ban_shard(self, shard: int | str) -> int:
        """Take a chunk's jobs out of circulation; returns the number of jobs changed."""

    @abc.abstractmethod
    def reset_shard(self, shard: int | str) -> int:
        """Put a chunk's jobs back to the start (open for CPU/Hybrid); returns the number of jobs changed."""

    # -- reporting -------------------------------------------------------------------------

    @abc.abstractmethod
    def stats(self, *, limit: int = 50) -> dict[str, Any]:
        """Totals, per-stage counts, live workers and leaderboards (no tokens) for the dashboard."""

    @abc.abstractmethod
    def worker_info(self, type: WorkerType, display_name: str) -> dict[str, Any] | None:
        """A live worker's public record and recent progress log, or None."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""


def open_store(url: str, *, idle_timeout: float = DEFAULT_IDLE_TIMEOUT, pool_size: int = 10) -> JobStore:
    """Open the store a database URL names, creating the schema if needed.

    ``sqlite:///relative.db``, ``sqlite:////absolute/path.db``, ``sqlite:///:memory:``;
    ``postgresql://user:password@host:port/database`` (or ``postgres://``) — PostgreSQL needs the
    ``postgres`` extra (psycopg).
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from ccdump.jobs.sqlite_store import SQLiteStore

        if not url.lower().startswith("sqlite:///"):
            raise ConfigError(f"{url}: write sqlite:///relative.db or sqlite:////absolute/path.db")
        path = unquote(url[len("sqlite:///") :].split("?", 1)[0])
        if not path:
            raise ConfigError(f"{url}: no database file named")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteStore(path, idle_timeout=idle_timeout)
    if scheme in ("postgresql", "postgres"):
        try:
            from ccdump.jobs.postgres_store import PostgresStore
        except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installed extras
            raise ConfigError("PostgreSQL storage needs psycopg: pip install 'ccdump[postgres]'") from exc
        return PostgresStore(url, idle_timeout=idle_timeout, pool_size=pool_size)
    raise ConfigError(f"{url}: unsupported database URL (use sqlite:///FILE or postgresql://…)")
