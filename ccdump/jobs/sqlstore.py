"""The C@H state machine written once over named SQL, for every SQL backend.

A backend supplies :meth:`SQLStore.transaction` (a context manager yielding a :class:`Tx`) and its
dialect's query file; this module sequences the statements of each transition inside one
transaction. Locking differs per dialect and lives in the SQL (``FOR UPDATE`` in PostgreSQL; the
whole transaction is serialised by ``BEGIN IMMEDIATE`` in SQLite).
"""

from __future__ import annotations

import abc
import functools
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from ccdump.jobs.errors import (
    BadRequest,
    NoCurrentJob,
    NotFound,
    ServiceBusy,
    WorkerTimedOutError,
    ZeroJobError,
)
from ccdump.jobs.model import (
    ChunkInfo,
    Offer,
    Registration,
    Stage,
    WorkerType,
    job_numbers,
    random_display_name,
)
from ccdump.jobs.sql import queries
from ccdump.jobs.storage import JobStore

T = TypeVar("T")

#: Rate window for the dashboard's ETA.
ETA_WINDOW = 3600.0
#: Progress-log lines shown per worker.
LOG_LINES = 20


class Tx:
    """One open transaction: run named queries with named parameters."""

    def __init__(self, execute: Callable[[str, Mapping[str, Any]], Any], sql: Mapping[str, str]) -> None:
        self._execute = execute
        self._sql = sql

    def one(self, name: str, **params: Any) -> dict[str, Any] | None:
        row = self._execute(self._sql[name], params).fetchone()
        return None if row is None else dict(row)

    def all(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return [dict(row) for row in self._execute(self._sql[name], params).fetchall()]

    def run(self, name: str, **params: Any) -> int:
        """Execute a statement; returns the number of rows it changed."""
        return self._execute(self._sql[name], params).rowcount


def _retrying(method: Callable[..., T]) -> Callable[..., T]:
    """Re-run a whole transition when the database aborted it for a conflict (deadlock, serialisation)."""

    @functools.wraps(method)
    def wrapper(self: SQLStore, *args: Any, **kwargs: Any) -> T:
        for attempt in range(3):
            try:
                return method(self, *args, **kwargs)
            except self.conflict_errors:
                if attempt == 2:
                    raise ServiceBusy() from None
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


class SQLStore(JobStore):
    """:class:`JobStore` over a SQL database; subclasses provide connections."""

    dialect: str = ""
    #: errors meaning "the same row was inserted concurrently" (display-name collisions).
    integrity_errors: tuple[type[BaseException], ...] = ()
    #: errors meaning "transaction aborted by a lock conflict; re-running it is safe".
    conflict_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, *, idle_timeout: float, clock: Callable[[], float] = time.time) -> None:
        self.idle_timeout = float(idle_timeout)
        self.clock = clock
        self.sql = queries(self.dialect)

    @abc.abstractmethod
    def transaction(self, write: bool = True) -> AbstractContextManager[Tx]:
        """A transaction on some connection; committed on normal exit, rolled back on exception."""

    # -- helpers ---------------------------------------------------------------------------

    def _alive_since(self, now: float) -> float:
        return now - self.idle_timeout

    def _live_worker(self, tx: Tx, token: str, type: WorkerType, now: float) -> dict[str, Any]:
        worker = tx.one("lock_worker", token=token, type=type.value, alive_since=self._alive_since(now))
        if worker is None:
            raise WorkerTimedOutError()
        return worker

    def _chunk(self, tx: Tx, shard: int | str) -> dict[str, Any]:
        row = (
            tx.one("chunk_by_number", number=shard)
            if isinstance(shard, int)
            else tx.one("chunk_by_url", url=shard)
        )
        if row is None:
            raise NotFound(f"no shard {shard!r}")
        return row

    # -- workers ---------------------------------------------------------------------------

    @_retrying
    def register(self, type: WorkerType, nickname: str) -> Registration:
        token = str(uuid.uuid4())  # 122 random bits from os.urandom: the worker's only credential
        for _ in range(50):
            name = random_display_name()
            now = self.clock()
            try:
                with self.transaction() as tx:
                    if tx.one("display_name_taken", display_name=name) is not None:
                        continue
                    tx.run(
                        "insert_worker",
                        token=token,
                        type=type.value,
                        display_name=name,
                        nickname=nickname,
                        now=now,
                    )
            except self.integrity_errors:
                continue
            return Registration(token=token, display_name=name, type=type, nickname=nickname)
        raise ServiceBusy("could not allocate a worker name")

    @_retrying
    def validate(self, token: str, type: WorkerType) -> bool:
        now = self.clock()
        with self.transaction() as tx:
            return (
                tx.run(
                    "validate_worker",
                    token=token,
                    type=type.value,
                    now=now,
                    alive_since=self._alive_since(now),
                )
                == 1
            )

    @_retrying
    def update_progress(self, token: str, type: WorkerType, progress: str) -> None:
        now = self.clock()
        with self.transaction() as tx:
            worker = self._live_worker(tx, token, type, now)
            held = tx.one("held_job", token=token)
            tx.run("set_progress", token=token, progress=progress, now=now)
            tx.run(
                "log_progress",
                worker=worker["display_name"],
                type=type.value,
                job=None if held is None else held["number"],
                progress=progress,
                now=now,
            )

    @_retrying
    def bye(self, token: str, type: WorkerType) -> None:
        now = self.clock()
        with self.transaction() as tx:
            self._live_worker(tx, token, type, now)
            tx.run("release_worker_job", token=token)
            tx.run("delete_worker", token=token)

    @_retrying
    def expire_idle(self) -> int:
        now = self.clock()
        with self.transaction() as tx:
            stale = tx.all("stale_workers", alive_since=self._alive_since(now))
            for row in stale:
                tx.run("release_worker_job", token=row["token"])
                tx.run("delete_worker", token=row["token"])
        return len(stale)

    # -- jobs ------------------------------------------------------------------------------

    @_retrying
    def job_count(self, type: WorkerType) -> int:
        with self.transaction(write=False) as tx:
            row = tx.one("count_open", stage=type.stage.value)
        return int(row["n"]) if row else 0

    @_retrying
    def new_job(self, token: str, type: WorkerType) -> Offer:
        now = self.clock()
        offer: Offer | None = None
        with self.transaction() as tx:
            self._live_worker(tx, token, type, now)
            # Asking for a new job abandons the current one, whether or not a new one is found.
            tx.run("release_worker_job", token=token)
            claimed = tx.one("claim_job", stage=type.stage.value, token=token, now=now)
            if claimed is None:
                tx.run("touch_worker", token=token, now=now)
            else:
                row = tx.one("offer", number=claimed["number"])
                assert row is not None
                stage = Stage(row["stage"])
                offer = Offer(
                    number=int(row["number"]),
                    chunk=int(row["chunk"]),
                    piece=int(row["piece"]),
                    url=row["gpu_url"] if stage is Stage.GPU else row["url"],
                    stage=stage,
                )
                tx.run("set_progress", token=token, progress="Recieved new job", now=now)  # sic, upstream
        if offer is None:
            raise ZeroJobError()
        return offer

    @_retrying
    def complete(
        self, token: str, type: WorkerType, *, url: str | None = None, count: int | None = None
    ) -> None:
        if type is WorkerType.CPU and url is None:
            raise BadRequest("url: required to complete a CPU job")
        if type is not WorkerType.CPU and count is None:
            raise BadRequest("count: required to complete a Hybrid or GPU job")
        now = self.clock()
        with self.transaction() as tx:
            worker = self._live_worker(tx, token, type, now)
            held = tx.one("held_job", token=token)
            if held is None or held["stage"] != type.stage.value:
                raise NoCurrentJob()
            nickname = worker["nickname"]
            if type is WorkerType.CPU:
                changed = tx.run(
                    "complete_cpu", number=held["number"], token=token, url=url, nickname=nickname
                )
            else:
                changed = tx.run(
                    "complete_final",
                    number=held["number"],
                    token=token,
                    stage=type.stage.value,
                    count=count,
                    nickname=nickname,
                    now=now,
                )
            if changed != 1:  # pragma: no cover - the worker row lock makes this impossible
                raise NoCurrentJob()
            tx.run("worker_completed", token=token, progress="Completed job", now=now)
            tx.run("add_to_board", nickname=nickname, board=type.board, jobs=1, pairs=count or 0)

    @_retrying
    def invalid_url(self, token: str) -> None:
        now = self.clock()
        with self.transaction() as tx:
            self._live_worker(tx, token, WorkerType.GPU, now)
            held = tx.one("held_job", token=token)
            if held is None or held["stage"] != Stage.GPU.value:
                raise NoCurrentJob()
            tx.run("invalidate_gpu", number=held["number"], token=token)
            tx.run("set_progress", token=token, progress="Flagged invalid URL", now=now)

    @_retrying
    def completed_addresses(self, addresses: Sequence[str]) -> list[str]:
        with self.transaction(write=False) as tx:
            return [a for a in addresses if tx.one("completed_address", url=a) is not None]

    # -- shards ----------------------------------------------------------------------------

    @_retrying
    def add_shards(self, urls: Sequence[str]) -> list[ChunkInfo]:
        now = self.clock()
        added: list[ChunkInfo] = []
        with self.transaction() as tx:
            tx.run("lock_chunks")
            for url in urls:
                existing = tx.one("chunk_by_url", url=url)
                if existing is not None:
                    added.append(ChunkInfo(number=int(existing["number"]), url=url, created=False))
                    continue
                next_row = tx.one("next_chunk")
                assert next_row is not None
                number = int(next_row["n"])
                tx.run("insert_chunk", number=number, url=url, now=now)
                for piece, job in enumerate(job_numbers(number)):
                    tx.run("insert_job", number=job, chunk=number, piece=piece)
                added.append(ChunkInfo(number=number, url=url, created=True))
        return added

    @_retrying
    def ban_shard(self, shard: int | str) -> int:
        with self.transaction() as tx:
            return tx.run("ban_chunk", chunk=self._chunk(tx, shard)["number"])

    @_retrying
    def reset_shard(self, shard: int | str) -> int:
        with self.transaction() as tx:
            return tx.run("reset_chunk", chunk=self._chunk(tx, shard)["number"])

    # -- reporting -------------------------------------------------------------------------

    @_retrying
    def stats(self, *, limit: int = 50) -> dict[str, Any]:
        now = self.clock()
        alive_since = self._alive_since(now)
        with self.transaction(write=False) as tx:
            counts = {row["stage"]: row for row in tx.all("stage_counts")}
            chunk_row = tx.one("chunk_count")
            workers = {row["type"]: int(row["n"]) for row in tx.all("worker_counts", alive_since=alive_since)}
            active = tx.all("active_workers", alive_since=alive_since, limit=limit)
            main_board = tx.all("leaderboard", board="main", limit=limit)
            cpu_board = tx.all("leaderboard", board="cpu", limit=limit)
            pairs_row = tx.one("total_pairs")
            recent_row = tx.one("closed_since", since=now - ETA_WINDOW)
        return _summary(
            now=now,
            counts=counts,
            chunks=int(chunk_row["n"]) if chunk_row else 0,
            workers=workers,
            active=active,
            main_board=main_board,
            cpu_board=cpu_board,
            pairs=int(pairs_row["n"]) if pairs_row else 0,
            closed_recently=int(recent_row["n"]) if recent_row else 0,
        )

    @_retrying
    def worker_info(self, type: WorkerType, display_name: str) -> dict[str, Any] | None:
        now = self.clock()
        with self.transaction(write=False) as tx:
            row = tx.one(
                "worker_by_name",
                type=type.value,
                display_name=display_name,
                alive_since=self._alive_since(now),
            )
            if row is None:
                return None
            log = tx.all("recent_log", worker=display_name, limit=LOG_LINES)
        return {
            "display_name": row["display_name"],
            "shard_number": "N/A" if row["job"] is None else int(row["job"]),
            "progress": row["progress"],
            "jobs_completed": int(row["jobs_completed"]),
            "first_seen": row["first_seen"],
            "last_seen": row["last_seen"],
            "user_nickname": row["nickname"],
            "type": row["type"],
            "log": [{"job": e["job"], "progress": e["progress"], "at": e["at"]} for e in log],
        }


def _summary(
    *,
    now: float,
    counts: Mapping[str, Mapping[str, Any]],
    chunks: int,
    workers: Mapping[str, int],
    active: list[dict[str, Any]],
    main_board: list[dict[str, Any]],
    cpu_board: list[dict[str, Any]],
    pairs: int,
    closed_recently: int,
) -> dict[str, Any]:
    """Shape the dashboard document: raw counts plus upstream's ``/data`` keys."""

    def n(stage: Stage, key: str) -> int:
        row = counts.get(stage.value)
        return int(row[key]) if row else 0

    stages = {s.value: {"open": n(s, "open"), "pending": n(s, "pending")} for s in (Stage.CPU, Stage.GPU)}
    done = n(Stage.DONE, "open") + n(Stage.DONE, "pending")
    banned = n(Stage.BANNED, "open") + n(Stage.BANNED, "pending")
    total = sum(s["open"] + s["pending"] for s in stages.values()) + done + banned
    eligible = total - banned
    remaining = eligible - done
    completion = 100.0 * done / eligible if eligible else 0.0
    rate = closed_recently / ETA_WINDOW
    eta_seconds = remaining / rate if rate > 0 and remaining > 0 else None
    return {
        "generated_at": now,
        "total_chunks": chunks,
        "total_jobs": total,
        "stages": {**stages, "done": done, "banned": banned},
        "workers": {t.value: workers.get(t.value, 0) for t in WorkerType},
        "active_workers": [
            {
                **w,
                "job": None if w["job"] is None else int(w["job"]),
                "jobs_completed": int(w["jobs_completed"]),
            }
            for w in active
        ],
        "leaderboard": [_board_row(r) for r in main_board],
        "cpu_leaderboard": [_board_row(r) for r in cpu_board],
        "jobs_closed_last_hour": closed_recently,
        # upstream /data keys
        "completion_str": f"{done} / {eligible} ({completion:.2f}%)",
        "completion_float": completion,
        "total_connected_workers": sum(workers.values()),
        "total_pairs_scraped": pairs,
        "eta": _duration(eta_seconds)
        if eta_seconds is not None
        else ("done" if eligible and not remaining else "N/A"),
    }


def _board_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"nickname": row["nickname"], "jobs": int(row["jobs"]), "pairs": int(row["pairs"])}


def _duration(seconds: float) -> str:
    """Human ETA.

    >>> _duration(3 * 86400 + 4 * 3600 + 5 * 60)
    '3d 4h 5m'
    >>> _duration(59)
    '0m'
    """
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m")
    return " ".join(parts)
