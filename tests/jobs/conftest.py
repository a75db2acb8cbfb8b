"""Fixtures for the job-tracker tests: databases (SQLite file, PostgreSQL schema) and servers."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.jobs.services import postgres_schema
from tests.jobs.tracker import Tracker

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture
def shards_dir(tmp_path: Path) -> Path:
    """A --shards-dir holding three small WATs (two gzip members each, as Common Crawl writes them)."""
    root = tmp_path / "wat"
    (root / "crawl-data").mkdir(parents=True)
    for i in range(3):
        with open(root / "crawl-data" / f"part-{i}.warc.wat.gz", "wb") as out:
            for member in (f"WARC/1.0\nshard {i} first member\n", f"shard {i} second member\n"):
                out.write(gzip.compress(member.encode()))
    return root


@pytest.fixture
def start_tracker(tmp_path: Path) -> Iterator[Callable[..., Tracker]]:
    """Start tracker processes (``start_tracker(db_url, *args, shards_dir=…)``); all stopped afterwards."""
    started: list[Tracker] = []

    def start(db_url: str, *args: str, shards_dir: Path | None = None) -> Tracker:
        tracker = Tracker(db_url, tmp_path, *args, shards_dir=shards_dir)
        started.append(tracker)
        return tracker.start()

    yield start
    for tracker in started:
        tracker.stop()


@pytest.fixture
def tracker(db_url: str, shards_dir: Path, start_tracker: Callable[..., Tracker]) -> Tracker:
    """A running tracker on each backend, serving ``shards_dir``."""
    return start_tracker(db_url, shards_dir=shards_dir)
