"""The storage contract, run on SQLite and PostgreSQL: the C@H state machine, atomic claims, expiry.

These call :class:`~ccdump.jobs.storage.JobStore` directly (no HTTP), so every transition and its
effect on ``job_count`` is checked exactly, and concurrent claims hit the database itself.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from ccdump.jobs.errors import NoCurrentJob, NotFound, WorkerTimedOutError, ZeroJobError
from ccdump.jobs.model import Stage, WorkerType
from ccdump.jobs.storage import JobStore, open_store

H, C, G = WorkerType.HYBRID, WorkerType.CPU, WorkerType.GPU


class Clock:
    """A hand-moved clock for idle-timeout tests."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(db_url: str) -> Iterator[JobStore]:
    s = open_store(db_url, idle_timeout=100)
    yield s
    s.close()


def add(store: JobStore, n: int) -> list[str]:
    urls = [f"https://data.example.org/crawl/{i:03d}.warc.wat.gz" for i in range(n)]
    store.add_shards(urls)
    return urls


def counts(store: JobStore) -> tuple[int, int]:
    return store.job_count(C), store.job_count(G)


def test_shards_become_two_jobs_each_in_order(store: JobStore) -> None:
    chunks = store.add_shards(["https://x/a.gz", "rel/b.gz", "https://x/c.gz"])
    assert [(c.number, c.url, c.created) for c in chunks] == [
        (1, "https://x/a.gz", True),
        (2, "rel/b.gz", True),
        (3, "https://x/c.gz", True),
    ]
    again = store.add_shards(["https://x/d.gz", "rel/b.gz"])
    assert [(c.number, c.created) for c in again] == [(4, True), (2, False)]
    assert counts(store) == (8, 0) and store.job_count(H) == 8
    worker = store.register(H, "n")
    offers = []
    for _ in range(8):
        offers.append(store.new_job(worker.token, H))
        store.complete(worker.token, H, count=1)
    assert [(o.number, o.chunk, o.piece, o.start_id, o.end_id) for o in offers[:4]] == [
        (1, 1, 0, 0, 1_000_000),
        (2, 1, 1, 0, 1_000_000),
        (3, 2, 0, 1_000_000, 2_000_000),
        (4, 2, 1, 1_000_000, 2_000_000),
    ]
    assert [o.url for o in offers[2:4]] == ["rel/b.gz", "rel/b.gz"]


def test_full_state_machine_with_exact_counts(store: JobStore) -> None:
    add(store, 2)  # jobs 1..4
    cpu, gpu, hyb = store.register(C, "cpu-nick"), store.register(G, "gpu-nick"), store.register(H, "hyb-nick")
    assert counts(store) == (4, 0)

    offer = store.new_job(cpu.token, C)  # OPEN → PENDING
    assert offer.number == 1 and offer.stage is Stage.CPU and counts(store) == (3, 0)
    result = "rsync 2f9c…/job-1 ✓ (any string at all)"
    store.complete(cpu.token, C, url=result)  # PENDING → GPU-OPEN
    assert counts(store) == (3, 1)

    got = store.new_job(gpu.token, G)  # GPU-OPEN → GPU-PENDING
    assert (got.number, got.url, got.stage) == (1, result, Stage.GPU)  # the CPU's string, unchanged
    assert counts(store) == (3, 0)
    store.invalid_url(gpu.token)  # GPU-PENDING → OPEN, URL dropped
    assert counts(store) == (4, 0)
    with pytest.raises(ZeroJobError):
        store.new_job(gpu.token, G)

    assert store.new_job(cpu.token, C).number == 1  # reopened job, lowest number first
    store.complete(cpu.token, C, url="https://cpu.example/1.tar")
    assert store.new_job(gpu.token, G).url == "https://cpu.example/1.tar"
    store.complete(gpu.token, G, count=42)  # GPU-PENDING → CLOSED
    assert counts(store) == (3, 0)

    assert store.new_job(hyb.token, H).number == 2
    store.complete(hyb.token, H, count=0)  # count 0 is a valid completion (upstream refused it)
    assert counts(store) == (2, 0)
    assert store.completed_addresses(["https://cpu.example/1.tar", "nope", result]) == ["https://cpu.example/1.tar"]

    stats = store.stats()
    assert stats["stages"] == {
        "cpu": {"open": 2, "pending": 0},
        "gpu": {"open": 0, "pending": 0},
        "done": 2,
        "banned": 0,
    }
    assert stats["leaderboard"] == [
        {"nickname": "gpu-nick", "jobs": 1, "pairs": 42},
        {"nickname": "hyb-nick", "jobs": 1, "pairs": 0},
    ]
    assert stats["cpu_leaderboard"] == [{"nickname": "cpu-nick", "jobs": 2, "pairs": 0}]
    assert stats["total_pairs_scraped"] == 42 and stats["total_connected_workers"] == 3
    assert stats["completion_float"] == pytest.approx(50.0) and stats["total_chunks"] == 2
    dumped = json.dumps(stats)
    assert all(w.token not in dumped for w in (cpu, gpu, hyb))  # tokens are credentials: never shown


def test_new_job_releases_the_current_one(store: JobStore) -> None:
    add(store, 2)
    a, b = store.register(C, "a"), store.register(C, "b")
    assert store.new_job(a.token, C).number == 1
    assert store.new_job(a.token, C).number == 1  # released, then the lowest open job again
    assert counts(store) == (3, 0)
    assert store.new_job(b.token, C).number == 2
    store.complete(a.token, C, url="x")
    assert store.new_job(a.token, C).number == 3
    assert store.new_job(b.token, C).number == 2  # b's job 2 released and re-claimed
    assert counts(store) == (1, 1)
    store.complete(a.token, C, url="y")
    store.complete(b.token, C, url="z")
    assert store.new_job(a.token, C).number == 4
    with pytest.raises(ZeroJobError):
        store.new_job(b.token, C)
    with pytest.raises(NoCurrentJob):
        store.complete(b.token, C, url="x")


def test_released_gpu_job_stays_a_gpu_job(store: JobStore) -> None:
    add(store, 1)
    cpu, gpu = store.register(C, "c"), store.register(G, "g")
    store.new_job(cpu.token, C)
    store.complete(cpu.token, C, url="u1")
    store.new_job(gpu.token, G)
    store.bye(gpu.token, G)
    assert counts(store) == (1, 1)
    assert store.new_job(store.register(G, "g2").token, G).url == "u1"


def test_completion_errors(store: JobStore) -> None:
    add(store, 1)
    h = store.register(H, "h")
    with pytest.raises(NoCurrentJob):  # never claimed
        store.complete(h.token, H, count=1)
    store.new_job(h.token, H)
    store.complete(h.token, H, count=1)
    with pytest.raises(NoCurrentJob):  # already completed
        store.complete(h.token, H, count=1)
    with pytest.raises(WorkerTimedOutError):  # token of another type
        store.new_job(h.token, G)
    with pytest.raises(WorkerTimedOutError):
        store.complete("not-a-token", H, count=1)
    with pytest.raises(NoCurrentJob):  # only GPU jobs can be flagged
        store.invalid_url(store.register(G, "g").token)
    with pytest.raises(WorkerTimedOutError):
        store.invalid_url(h.token)
    stats = store.stats()
    assert stats["leaderboard"] == [{"nickname": "h", "jobs": 1, "pairs": 1}]


def test_bye_releases_and_forgets(store: JobStore) -> None:
    add(store, 1)
    w = store.register(C, "w")
    store.new_job(w.token, C)
    assert store.validate(w.token, C) and not store.validate(w.token, G)
    store.bye(w.token, C)
    assert counts(store) == (2, 0)
    assert not store.validate(w.token, C)
    for call in (lambda: store.bye(w.token, C), lambda: store.update_progress(w.token, C, "x")):
        with pytest.raises(WorkerTimedOutError):
            call()


def test_idle_workers_expire_and_their_jobs_reopen(store: JobStore) -> None:
    clock = Clock()
    store.clock = clock  # type: ignore[attr-defined]
    add(store, 1)
    idle, busy = store.register(C, "idle"), store.register(C, "busy")
    store.new_job(idle.token, C)
    store.new_job(busy.token, C)
    clock.now += 60
    store.update_progress(busy.token, C, "still here")  # every token call refreshes last_seen
    clock.now += 60  # idle: 120 s silent > 100 s; busy: 60 s
    assert not store.validate(idle.token, C)  # expired even before the sweep ran
    with pytest.raises(WorkerTimedOutError):
        store.complete(idle.token, C, url="late")
    assert counts(store) == (0, 0)
    assert store.expire_idle() == 1
    assert counts(store) == (1, 0)
    assert store.validate(busy.token, C)
    store.complete(busy.token, C, url="u")
    assert store.stats()["workers"] == {"HYBRID": 0, "CPU": 1, "GPU": 0}


def test_progress_log_and_worker_info(store: JobStore) -> None:
    add(store, 1)
    w = store.register(C, "nick")
    store.new_job(w.token, C)
    for i in range(3):
        store.update_progress(w.token, C, f"{i} / 3")
    info = store.worker_info(C, w.display_name)
    assert info is not None
    assert (info["shard_number"], info["progress"], info["user_nickname"], info["type"]) == (1, "2 / 3", "nick", "CPU")
    assert [e["progress"] for e in info["log"]] == ["2 / 3", "1 / 3", "0 / 3"]
    assert all(e["job"] == 1 for e in info["log"])
    assert store.worker_info(G, w.display_name) is None
    assert store.worker_info(C, "no-such-name-1") is None
    store.complete(w.token, C, url="u")
    info = store.worker_info(C, w.display_name)
    assert info is not None and info["shard_number"] == "N/A" and info["jobs_completed"] == 1


def test_ban_and_reset(store: JobStore) -> None:
    urls = add(store, 2)
    h = store.register(H, "h")
    store.new_job(h.token, H)
    assert store.ban_shard(1) == 2
    assert counts(store) == (2, 0)
    with pytest.raises(NoCurrentJob):  # its job was taken away
        store.complete(h.token, H, count=1)
    assert store.stats()["stages"]["banned"] == 2
    store.new_job(h.token, H)
    store.complete(h.token, H, count=5)  # job 3 (chunk 2) done
    assert store.reset_shard(urls[1]) == 2  # by URL
    assert store.reset_shard(1) == 2  # unban
    assert counts(store) == (4, 0) and store.stats()["stages"]["done"] == 0
    with pytest.raises(NotFound):
        store.ban_shard(99)
    with pytest.raises(NotFound):
        store.reset_shard("https://unknown/x.gz")


def test_one_claim_takes_exactly_one_job(store: JobStore) -> None:
    """Upstream's claim could mark every open job pending at once (spec §6)."""
    add(store, 5)
    w = store.register(H, "w")
    for expected_open in range(9, -1, -1):
        store.new_job(w.token, H)
        store.complete(w.token, H, count=0)
        assert store.job_count(H) == expected_open
        assert store.stats()["stages"]["cpu"]["pending"] == 0


def test_concurrent_claims_never_share_a_job(store: JobStore) -> None:
    add(store, 20)  # 40 jobs, 32 claimers, 3 rounds each: more demand than supply
    workers = [store.register(C, f"w{i}") for i in range(32)]
    barrier = threading.Barrier(len(workers))
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run(token: str) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(3):
                try:
                    offer = store.new_job(token, C)
                except ZeroJobError:
                    return
                with lock:
                    claimed.append((token, offer.number))
                store.complete(token, C, url=f"done-{offer.number}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w.token,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    numbers = Counter(n for _, n in claimed)
    assert sorted(numbers) == list(range(1, 41)) and set(numbers.values()) == {1}
    assert counts(store) == (0, 40)
    assert sum(r["jobs"] for r in store.stats()["cpu_leaderboard"]) == 40


def test_state_survives_reopening(db_url: str) -> None:
    first = open_store(db_url, idle_timeout=100)
    add(first, 2)
    w = first.register(C, "persist")
    first.new_job(w.token, C)
    first.close()
    second = open_store(db_url, idle_timeout=100)
    try:
        assert counts(second) == (3, 0)
        second.complete(w.token, C, url="after-restart")
        assert counts(second) == (3, 1)
    finally:
        second.close()
