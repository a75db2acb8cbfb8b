"""The client library against a real tracker process (uvicorn on 127.0.0.1), on SQLite and
PostgreSQL: every call of every worker type, the CPU → GPU hand-over, dump/load, timeouts."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

import ccdump.cah as cah
from ccdump.jobs.client import RetryPolicy, TrackerClient, publish_shard
from tests.jobs.tracker import ADMIN_TOKEN, Tracker

FAST = RetryPolicy(attempts=2, initial=0.05, maximum=0.1)


def init(tracker: Tracker, nickname: str | None, type_: object) -> cah.HybridClient:
    return cah.init(tracker.url, nickname, type_, retry=FAST)


def publish(tracker: Tracker, *refs: str) -> list[dict]:
    return [publish_shard(tracker.url, ADMIN_TOKEN, ref) for ref in refs]


def worker_data(tracker: Tracker, client: cah.HybridClient) -> dict:
    return httpx.get(f"{tracker.url}worker/{client.type.lower()}/{client.display_name}/data").json()


def write_tar(path: Path, files: dict[str, bytes], *, evil: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if evil:
            link = tarfile.TarInfo("escape")
            link.type, link.linkname = tarfile.SYMTYPE, "../../../etc"
            tar.addfile(link)


def test_hybrid_worker_through_every_call(
    tracker: Tracker, shards_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = publish(tracker, str(shards_dir / "crawl-data/part-0.warc.wat.gz"), "crawl-data/part-1.warc.wat.gz")
    assert [(c["chunk"], c["jobs"], c["created"]) for c in chunks] == [(1, [1, 2], True), (2, [3, 4], True)]
    assert publish(tracker, "crawl-data/part-1.warc.wat.gz")[0]["created"] is False

    client = init(tracker, "hybrid-nick", "HYBRID")
    assert isinstance(client, cah.HybridClient) and client.type == "HYBRID" and len(client.token) == 36
    assert client.jobCount() == 4
    client.updateUploadServer()
    assert client.upload_address == ""

    client.newJob()
    assert client.shard == tracker.url + "shards/crawl-data/part-0.warc.wat.gz"
    assert (client.start_id, client.end_id, client.shard_piece) == (0, 1_000_000, 0)
    assert isinstance(client.start_id, np.int64) and isinstance(client.end_id, np.int64)
    assert client.jobCount() == 3

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    client.downloadShard()
    assert (work / "shard.wat").read_text() == "WARC/1.0\nshard 0 first member\nshard 0 second member\n"
    assert sorted(p.name for p in work.iterdir()) == ["shard.wat"]
    assert worker_data(tracker, client)["progress"] == "Downloaded shard"

    client.log("1 / 2 (50%)")
    info = worker_data(tracker, client)
    assert (info["progress"], info["shard_number"], info["user_nickname"]) == ("1 / 2 (50%)", 1, "hybrid-nick")
    assert [e["progress"] for e in info["log"]][:3] == ["1 / 2 (50%)", "Downloaded shard", "Downloading shard"]
    assert client.isAlive() is True
    client.completeJob(0)

    client.newJob()
    assert (client.shard_piece, client.start_id) == (1, 0)
    with pytest.warns(DeprecationWarning):
        client._markjobasdone(5)

    moved = cah.load(**client.dump())  # another process would do this
    assert isinstance(moved, cah.HybridClient) and moved.token == client.token
    moved.newJob()
    assert (moved.start_id, moved.end_id, moved.shard_piece) == (1_000_000, 2_000_000, 0)
    moved.completeJob(7)
    board = httpx.get(tracker.url + "leaderboard").json()["leaderboard"]
    assert board == [{"nickname": "hybrid-nick", "jobs": 3, "pairs": 12}]

    client.newJob()
    assert client.jobCount() == 0
    client.bye()  # releases job 4
    assert client.jobCount() == 1
    assert client.isAlive() is False
    with pytest.raises(cah.WorkerTimedOutError, match="404"):
        client.newJob()
    client.recreate()
    assert client.isAlive() is True
    client.newJob()
    assert client.start_id == 1_000_000 and client.shard_piece == 1


def test_cpu_to_gpu_hand_over(tracker: Tracker, shards_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    publish(tracker, "crawl-data/part-2.warc.wat.gz")
    cpu, gpu = init(tracker, "cpu-nick", "CPU"), init(tracker, "gpu-nick", cah.GPUClient)
    assert isinstance(cpu, cah.CPUClient) and isinstance(gpu, cah.GPUClient)
    assert (cpu.jobCount(), gpu.jobCount()) == (2, 0)
    with pytest.raises(cah.ZeroJobError, match="403"):
        gpu.newJob()

    cpu.newJob()
    cpu.downloadShard(path=tmp_path / "cpu")
    assert (tmp_path / "cpu" / "shard.wat").read_text().startswith("WARC/1.0\nshard 2")
    result = shards_dir / "results" / "job-1.tar.gz"
    write_tar(result, {"000000.jpg": b"\xff\xd8jpeg", "000000.txt": b"a caption", "meta/000000.json": b"{}"})
    result_url = f"{tracker.url}shards/results/job-1.tar.gz"
    cpu.completeJob(result_url)
    assert (cpu.jobCount(), gpu.jobCount()) == (1, 1)

    gpu.newJob()
    assert gpu.shard == result_url  # the CPU worker's string, unchanged
    assert (gpu.start_id, gpu.end_id, gpu.shard_piece) == (cpu.start_id, cpu.end_id, 0)
    monkeypatch.chdir(tmp_path)
    names = gpu.downloadShard()  # default path: ./images
    assert sorted(names) == ["000000.jpg", "000000.txt", "meta/000000.json"]
    assert (tmp_path / "images" / "000000.txt").read_bytes() == b"a caption"
    gpu.log("clip: 1 / 1")
    gpu.completeJob(1)
    assert gpu.jobCount() == 0

    done = httpx.post(tracker.url + "api/isCompleted", json={"addresses": [result_url, "other"]}).json()
    assert done == [result_url]
    boards = httpx.get(tracker.url + "leaderboard").json()
    assert boards["leaderboard"] == [{"nickname": "gpu-nick", "jobs": 1, "pairs": 1}]
    assert boards["cpu_leaderboard"] == [{"nickname": "cpu-nick", "jobs": 1, "pairs": 0}]
    data = httpx.get(tracker.url + "data").json()
    assert data["stages"]["done"] == 1 and data["total_pairs_scraped"] == 1


def test_gpu_invalid_url_and_unsafe_archives(tracker: Tracker, shards_dir: Path, tmp_path: Path) -> None:
    publish(tracker, "crawl-data/part-0.warc.wat.gz")
    cpu, gpu = init(tracker, "c", "cpu"), init(tracker, "g", "gpu")
    cpu.newJob()
    cpu.completeJob("rsync 0123abcd")  # upstream's other kind of result string
    gpu.newJob()
    assert gpu.shard == "rsync 0123abcd"
    with pytest.raises(ValueError, match="cannot download"):
        gpu.downloadShard(path=tmp_path / "images")
    assert gpu.invalidURL() is None
    assert (cpu.jobCount(), gpu.jobCount()) == (2, 0)  # back to the CPU stage
    with pytest.raises(cah.ZeroJobError):
        gpu.completeJob(1)  # its job is gone
    with pytest.raises(cah.ZeroJobError):
        gpu.newJob()

    cpu.newJob()
    assert cpu.shard_piece == 0  # the reopened job again
    write_tar(shards_dir / "results" / "evil.tar.gz", {"ok.jpg": b"x"}, evil=True)
    cpu.completeJob(f"{tracker.url}shards/results/evil.tar.gz")
    gpu.newJob()
    with pytest.raises(cah.UnsafeArchiveError):
        gpu.downloadShard(path=tmp_path / "evil")
    assert not (tmp_path / "evil").exists()
    gpu.invalidURL()
    assert gpu.jobCount() == 0 and cpu.jobCount() == 2


def test_legacy_server_codes_map_for_our_client(db_url: str, start_tracker) -> None:
    tracker = start_tracker(db_url, "--legacy-503")
    gpu = init(tracker, "g", "GPU")
    with pytest.raises(cah.ZeroJobError, match="503"):
        gpu.newJob()
    gpu.bye()
    with pytest.raises(cah.ServerError, match="500"):
        gpu.newJob()
    with TrackerClient(tracker.url, retry=FAST) as raw, pytest.raises(cah.BadRequest, match="400"):
        raw.request("GET", "api/jobCount", idempotent=True, params={"type": "TPU"})  # 400 in both modes


def test_idle_workers_expire_and_jobs_reopen(db_url: str, start_tracker) -> None:
    tracker = start_tracker(db_url, "--idle-timeout", "1", "--sweep-interval", "0.2")
    publish(tracker, "https://data.example.org/a.warc.wat.gz")  # added only; never fetched
    quiet, chatty = init(tracker, "quiet", "CPU"), init(tracker, "chatty", "CPU")
    quiet.newJob()
    chatty.newJob()
    assert chatty.jobCount() == 0
    deadline = time.monotonic() + 10
    while chatty.jobCount() == 0:  # the sweep in the server process reopens quiet's job
        assert time.monotonic() < deadline, "idle worker was never expired"
        chatty.log("working")  # keeps chatty alive
        time.sleep(0.2)
    assert quiet.isAlive() is False and chatty.isAlive() is True
    with pytest.raises(cah.WorkerTimedOutError):
        quiet.completeJob("late")
    chatty.completeJob("https://cpu.example/result.tar")
    quiet.recreate()  # v1.5.0 workers re-register after WorkerTimedOutError
    quiet.newJob()
    assert quiet.shard_piece == 0


def test_init_dump_load_edge_cases(tracker: Tracker) -> None:
    for bad in ["x", "", 5, None, object, cah.errors.ZeroJobError]:
        with pytest.raises(ValueError):
            init(tracker, "n", bad)
    fresh = init(tracker, None, "c")
    dumped = cah.dump(fresh)
    assert dumped == {
        "_type": "CPU", "url": tracker.url, "token": fresh.token, "nickname": None,
        "shard": None, "start_id": None, "end_id": None, "shard_piece": None,
    }
    loaded = cah.load(**dumped)  # a client that never had a job
    assert loaded.start_id is None and loaded.isAlive()
    upstream_v140 = {"type": "GPU", "url": tracker.url.rstrip("/"), "token": "t", "nickname": "n", "shard": "s",
                     "start_id": "1000000", "end_id": "2000000", "shard_piece": 1, "wat": "w", "shards": []}
    old = cah.load(**upstream_v140)
    assert isinstance(old, cah.GPUClient) and old.url == tracker.url
    assert (old.start_id, old.end_id, old.shard_piece) == (np.int64(1_000_000), np.int64(2_000_000), 1)
    assert old.isAlive() is False  # unknown token: answered False, not an error
    with pytest.raises(cah.DumpError):
        cah.dump({"token": "x"})
    with pytest.raises(ValueError):
        cah.load(_type="TPU", url=tracker.url)
    with pytest.raises(ValueError):
        cah.load(_type="CPU")
