"""Many concurrent workers of all three types against a real tracker, on SQLite and PostgreSQL —
once undisturbed, once with the server SIGKILLed and restarted midway.

Every Hybrid/GPU completion reports ``count = job number``, so the tracker's total of pairs
equals ``1 + 2 + … + N`` exactly when every job was completed once: a job lost or done twice
changes the sum.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

import ccdump.cah as cah
from ccdump.jobs.client import RetryPolicy, TrackerClient
from tests.jobs.tracker import ADMIN_TOKEN, Tracker

CHUNKS = 30
JOBS = 2 * CHUNKS
PER_TYPE = 8  # 24 workers
DEADLINE = 60.0
RETRY = RetryPolicy(attempts=3, initial=0.05, maximum=0.2)
#: Failures that mean "the tracker is down or restarting" (transport errors, and 503 busy).
TRANSIENT = (httpx.TransportError,)


def job_number(client: cah.HybridClient) -> int:
    assert client.end_id is not None and client.shard_piece is not None
    return 2 * int(client.end_id) // 1_000_000 - 1 + client.shard_piece


@dataclass
class Ledger:
    """What the workers saw, recorded client-side."""

    deadline: float = 0.0
    claims: list[tuple[str, int, str]] = field(default_factory=list)  # (stage, job, worker)
    acks: list[tuple[str, int, str, bool]] = field(default_factory=list)  # (stage, job, worker, ambiguous)
    errors: list[BaseException] = field(default_factory=list)
    transient: int = 0  # failures caused by the tracker being down
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, bucket: list, item: tuple) -> None:
        with self.lock:
            bucket.append(item)

    def outage(self) -> None:
        with self.lock:
            self.transient += 1

    def finals(self) -> int:
        with self.lock:
            return sum(1 for stage, *_ in self.acks if stage == "final")


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT) or (isinstance(exc, cah.ServerError) and exc.status in (502, 503, 504))


def complete(client: cah.HybridClient, kind: str, number: int, ledger: Ledger, crashes_expected: bool) -> None:
    """Complete the held job; after a transport failure, retry: 403 then means it was applied."""
    stage = "cpu" if kind == "CPU" else "final"
    retried = False
    while time.monotonic() < ledger.deadline:
        try:
            if kind == "CPU":
                client.completeJob(f"http://results.invalid/job-{number}.tar")
            else:
                client.completeJob(number)
            ledger.add(ledger.acks, (stage, number, client.nickname, False))
            return
        except cah.ZeroJobError:
            if not (retried and crashes_expected):
                raise
            ledger.add(ledger.acks, (stage, number, client.nickname, True))  # first attempt was committed
            return
        except Exception as exc:
            if not (crashes_expected and is_transient(exc)):
                raise
            ledger.outage()
            retried = True
            time.sleep(0.05)
    raise TimeoutError("completion did not get through before the deadline")


def worker(url: str, kind: str, index: int, ledger: Ledger, crashes_expected: bool) -> None:
    rng = random.Random(index)
    client: cah.HybridClient | None = None
    try:
        while time.monotonic() < ledger.deadline:
            if ledger.finals() >= JOBS:
                return
            try:
                if client is None:
                    client = cah.init(url, f"{kind.lower()}-{index}", kind, retry=RETRY, timeout=10.0)
                try:
                    client.newJob()
                except cah.ZeroJobError:
                    time.sleep(0.01)
                    continue
                number = job_number(client)
                ledger.add(ledger.claims, ("gpu" if kind == "GPU" else "cpu", number, client.nickname))
                time.sleep(rng.random() * 0.005)  # "work"
                complete(client, kind, number, ledger, crashes_expected)
            except Exception as exc:
                if not (crashes_expected and is_transient(exc)):
                    raise
                ledger.outage()
                time.sleep(0.05)
        raise TimeoutError(f"{kind}-{index} still running at the deadline")
    except BaseException as exc:
        ledger.add(ledger.errors, exc)


def run_workers(tracker: Tracker, *, crashes: int) -> tuple[Ledger, list[int]]:
    """Run all workers to the end; returns the ledger and how many jobs were finished at each kill."""
    with TrackerClient(tracker.url) as admin:
        admin.add_shards(ADMIN_TOKEN, [f"https://data.example.org/wat/{i:04d}.warc.wat.gz" for i in range(CHUNKS)])
    ledger = Ledger(deadline=time.monotonic() + DEADLINE)
    finished_at_kill: list[int] = []
    threads = [
        threading.Thread(target=worker, args=(tracker.url, kind, i, ledger, crashes > 0), daemon=True)
        for kind in ("HYBRID", "CPU", "GPU")
        for i in range(PER_TYPE)
    ]
    for t in threads:
        t.start()
    for n in range(crashes):
        target = JOBS * (n + 1) // (crashes + 1)
        while ledger.finals() < target and time.monotonic() < ledger.deadline and not ledger.errors:
            time.sleep(0.005)
        finished_at_kill.append(ledger.finals())
        tracker.kill()  # SIGKILL mid-traffic: requests in flight, transactions open
        time.sleep(0.3)
        tracker.restart()
    for t in threads:
        t.join(timeout=DEADLINE + 10)
    assert not any(t.is_alive() for t in threads)
    assert not ledger.errors, ledger.errors
    return ledger, finished_at_kill


def check_tracker(tracker: Tracker, ledger: Ledger) -> None:
    """Server-side: everything done exactly once, counts exact."""
    data = httpx.get(tracker.url + "data").json()
    assert data["stages"] == {
        "cpu": {"open": 0, "pending": 0},
        "gpu": {"open": 0, "pending": 0},
        "done": JOBS,
        "banned": 0,
    }
    assert httpx.get(tracker.url + "api/jobCount", params={"type": "CPU"}).text == "0"
    assert httpx.get(tracker.url + "api/jobCount", params={"type": "GPU"}).text == "0"
    assert data["total_pairs_scraped"] == JOBS * (JOBS + 1) // 2  # each job's count added exactly once
    boards = httpx.get(tracker.url + "leaderboard", params={"format": "json"}).json()
    final_jobs = sum(r["jobs"] for r in boards["leaderboard"])
    gpu_jobs = sum(r["jobs"] for r in boards["leaderboard"] if r["nickname"].startswith("gpu-"))
    cpu_jobs = sum(r["jobs"] for r in boards["cpu_leaderboard"])
    assert final_jobs == JOBS
    assert cpu_jobs == gpu_jobs  # each CPU completion created exactly one GPU job, completed once
    # Client side: each job acknowledged as finished by exactly one worker, each CPU stage once.
    finals = Counter(job for stage, job, _, _ in ledger.acks if stage == "final")
    cpus = Counter(job for stage, job, _, _ in ledger.acks if stage == "cpu")
    assert sorted(finals) == list(range(1, JOBS + 1)) and set(finals.values()) == {1}
    assert set(cpus.values()) <= {1} and len(cpus) == cpu_jobs


@pytest.mark.timeout(120)
def test_many_workers_each_job_done_once(db_url: str, start_tracker) -> None:
    tracker = start_tracker(db_url)
    ledger, _ = run_workers(tracker, crashes=0)
    check_tracker(tracker, ledger)
    # Without crashes nothing is ever released, so a job handed out twice means a broken claim.
    cpu_claims = Counter(job for stage, job, _ in ledger.claims if stage == "cpu")
    gpu_claims = Counter(job for stage, job, _ in ledger.claims if stage == "gpu")
    assert sorted(cpu_claims) == list(range(1, JOBS + 1)) and set(cpu_claims.values()) == {1}
    assert set(gpu_claims.values()) <= {1} and set(gpu_claims) == {j for s, j, _, _ in ledger.acks if s == "cpu"}
    assert not any(ambiguous for *_, ambiguous in ledger.acks) and ledger.transient == 0
    assert 0 < len(gpu_claims) < JOBS  # both paths (Hybrid, and CPU → GPU) were exercised


@pytest.mark.timeout(120)
def test_server_killed_and_restarted_midway(db_url: str, start_tracker) -> None:
    tracker = start_tracker(db_url)
    ledger, finished_at_kill = run_workers(tracker, crashes=2)
    check_tracker(tracker, ledger)
    assert all(0 < n < JOBS for n in finished_at_kill), finished_at_kill  # killed mid-run, twice
    assert ledger.transient > 0  # the workers really lost the server
