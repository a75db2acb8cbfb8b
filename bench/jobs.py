"""Job-tracker throughput: claims per second with 50 concurrent workers, SQLite and PostgreSQL.

Two figures per backend:

* **http**: a real ``ccdump jobs serve`` process on 127.0.0.1 (uvicorn, one process) and 50
  concurrent workers (threads with keep-alive connections, spread over ``--processes`` load
  processes), each looping ``newJob`` → ``markAsDone`` as Hybrid workers. Claims/s = jobs
  claimed ÷ wall time; every claim is two requests. Client and server share the machine.
* **storage**: the same loop against the storage layer directly from 50 threads (no HTTP),
  i.e. what the database and the claim transaction sustain.

Usage::

    python bench/jobs.py                                   # SQLite only
    python bench/jobs.py --postgres postgresql://u:p@127.0.0.1:5432/db
    CCDUMP_TEST_POSTGRES=postgresql://… python bench/jobs.py --jobs 4000 --workers 50

Each PostgreSQL run uses a fresh schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.queues import Queue
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ccdump.jobs.errors import ZeroJobError  # noqa: E402
from ccdump.jobs.model import WorkerType  # noqa: E402
from ccdump.jobs.storage import open_store  # noqa: E402

ADMIN = "bench-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database(kind: str, pg_url: str | None, workdir: Path) -> Iterator[str]:
    """A fresh database URL of ``kind``."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    import psycopg

    assert pg_url
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    parts = urlsplit(pg_url)
    query = [*parse_qsl(parts.query), ("options", f"-csearch_path={schema}")]
    try:
        yield urlunsplit(parts._replace(query=urlencode(query)))
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def seed(db_url: str, jobs: int) -> None:
    store = open_store(db_url)
    try:
        store.add_shards([f"https://data.example.org/wat/{i:06d}.warc.wat.gz" for i in range(jobs // 2)])
    finally:
        store.close()


# -- storage only --------------------------------------------------------------------------


def bench_storage(db_url: str, workers: int, pool_size: int) -> tuple[int, float]:
    store = open_store(db_url, pool_size=pool_size)
    tokens = [store.register(WorkerType.HYBRID, f"w{i}").token for i in range(workers)]
    barrier = threading.Barrier(workers + 1)
    claimed = [0] * workers

    def run(i: int) -> None:
        barrier.wait()
        while True:
            try:
                store.new_job(tokens[i], WorkerType.HYBRID)
            except ZeroJobError:
                return
            claimed[i] += 1
            store.complete(tokens[i], WorkerType.HYBRID, count=1)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    store.close()
    return sum(claimed), elapsed


# -- over HTTP -----------------------------------------------------------------------------


def _http_process(port: int, tokens: list[str], start: float, out: Queue) -> None:
    """One load-generator process: a thread per worker, each with its own keep-alive connection.

    Plain ``http.client`` keeps the generator cheap; an httpx AsyncClient with 50 connections was
    itself the bottleneck on a 2-core machine (about 240 requests/s even against an empty app).
    """

    def run(token: str, counter: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        claim = json.dumps({"token": token, "type": "HYBRID"})
        done = json.dumps({"token": token, "type": "HYBRID", "count": 1})
        headers = {"Content-Type": "application/json"}
        while True:
            conn.request("POST", "/api/newJob", claim, headers)
            response = conn.getresponse()
            response.read()
            if response.status == 403:
                return
            assert response.status == 200, response.status
            counter[0] += 1
            conn.request("POST", "/api/markAsDone", done, headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status

    counters = [[0] for _ in tokens]
    threads = [threading.Thread(target=run, args=(t, c)) for t, c in zip(tokens, counters, strict=True)]
    time.sleep(max(0.0, start - time.time()))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((sum(c[0] for c in counters), time.time()))


def http_workers(port: int, workers: int, processes: int) -> tuple[int, float]:
    """Register ``workers`` Hybrid workers and run them from ``processes`` processes until no job is left."""
    tokens = [
        httpx.get(f"http://127.0.0.1:{port}/api/new", params={"type": "HYBRID", "nickname": f"w{i}"}).json()["token"]
        for i in range(workers)
    ]
    ctx = multiprocessing.get_context("fork")
    out: Queue = ctx.Queue()
    start = time.time() + 0.5  # all processes begin together, after they are forked
    procs = [ctx.Process(target=_http_process, args=(port, tokens[i::processes], start, out)) for i in range(processes)]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return sum(n for n, _ in results), max(t for _, t in results) - start


def bench_http(db_url: str, workers: int, pool_size: int, processes: int, workdir: Path) -> tuple[int, float]:
    port = free_port()
    cmd = [sys.executable, "-m", "ccdump", "jobs", "serve", "--db", db_url, "--port", str(port),
           "--admin-token", ADMIN, "--pool-size", str(pool_size)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = open(workdir / f"server-{port}.log", "wb")  # noqa: SIM115 - handed to the child
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "api/jobCount?type=HYBRID", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((workdir / f"server-{port}.log").read_text()) from None
                time.sleep(0.05)
        return http_workers(port, workers, processes)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=4000, help="jobs per run (default 4000)")
    parser.add_argument("--workers", type=int, default=50, help="concurrent workers (default 50)")
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes (default 2)")
    parser.add_argument("--pool-size", type=int, default=10, help="PostgreSQL connections (default 10)")
    parser.add_argument("--postgres", default=os.environ.get("CCDUMP_TEST_POSTGRES"), help="PostgreSQL URL")
    args = parser.parse_args()

    kinds = ["sqlite"] + (["postgres"] if args.postgres else [])
    workdir = Path(tempfile.mkdtemp(prefix="ccdump-bench-jobs-"))
    print(f"{args.jobs} jobs, {args.workers} concurrent workers, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'backend':<10} {'path':<8} {'claims':>7} {'seconds':>8} {'claims/s':>9}")
    try:
        for kind in kinds:
            for path in ("storage", "http"):
                with database(kind, args.postgres, workdir) as db_url:
                    seed(db_url, args.jobs)
                    if path == "storage":
                        claimed, elapsed = bench_storage(db_url, args.workers, args.pool_size)
                    else:
                        claimed, elapsed = bench_http(db_url, args.workers, args.pool_size, args.processes, workdir)
                    assert claimed == args.jobs, (claimed, args.jobs)
                    print(f"{kind:<10} {path:<8} {claimed:>7} {elapsed:>8.2f} {claimed / elapsed:>9.0f}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
