"""Client robustness against a scripted fake server on 127.0.0.1: timeouts, bounded retries with
backoff, which calls may be retried, status → exception mapping and the "Crashed" report."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

import ccdump.cah as cah
from ccdump.jobs.client import RetryPolicy, TrackerClient
from ccdump.jobs.model import WorkerType
from tests.jobs.tracker import free_port

FAST = RetryPolicy(attempts=3, initial=0.01, maximum=0.02)


@dataclass
class Script:
    """Per path, the (status, body) answers in order; the last one repeats. ``hang`` delays answers."""

    answers: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    hang: float = 0.0
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, body)
    queries: list[str] = field(default_factory=list)

    def next(self, path: str) -> tuple[int, str]:
        queue = self.answers.get(path, [(404, "no such path")])
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def fake() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            path, _, query = self.path.partition("?")
            script.queries.append(query)
            script.seen.append((self.command, path, body))
            if script.hang:
                time.sleep(script.hang)
            status, text = script.next(path)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", script
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def tracker(url: str, sleeps: list[float], **kwargs: object) -> TrackerClient:
    return TrackerClient(url, retry=kwargs.pop("retry", FAST), sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]


def test_idempotent_call_retries_503_with_backoff(fake: tuple[str, Script]) -> None:
    url, script = fake
    script.answers["/api/jobCount"] = [(503, "busy"), (502, "proxy"), (200, "7")]
    sleeps: list[float] = []
    assert tracker(url, sleeps, retry=RetryPolicy(attempts=5, initial=0.01, maximum=0.015)).job_count(
        WorkerType.CPU
    ) == 7
    assert len(script.seen) == 3 and sleeps == [0.01, 0.015]


def test_retries_are_bounded_then_the_error_propagates(fake: tuple[str, Script]) -> None:
    url, script = fake
    script.answers["/api/jobCount"] = [(503, "still busy")]
    sleeps: list[float] = []
    with pytest.raises(cah.ServerError, match="503.*still busy"):
        tracker(url, sleeps).job_count(WorkerType.CPU)
    assert len(script.seen) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("path, call", [
    ("/api/markAsDone", lambda c: c.mark_done("t", WorkerType.HYBRID, count=1)),
    ("/api/bye", lambda c: c.bye("t", WorkerType.CPU)),
    ("/api/gpuInvalidDownload", lambda c: c.invalid_download("t")),
])
def test_non_idempotent_calls_are_not_retried_after_sending(fake: tuple[str, Script], path: str, call) -> None:
    url, script = fake
    script.answers[path] = [(503, "busy"), (200, "success")]
    with pytest.raises(cah.ServerError, match="503"):
        call(tracker(url, []))
    assert len(script.seen) == 1


def test_new_job_503_means_no_job_for_v14_servers(fake: tuple[str, Script]) -> None:
    url, script = fake
    script.answers["/api/newJob"] = [(503, "No new jobs available.")]
    with pytest.raises(cah.ZeroJobError, match="503"):
        tracker(url, []).new_job("t", WorkerType.HYBRID)
    assert len(script.seen) == 1


def test_connection_refused_is_retried_even_for_new_job() -> None:
    port = free_port()  # nothing listens here
    sleeps: list[float] = []
    started = time.monotonic()
    with pytest.raises(httpx.ConnectError):
        tracker(f"http://127.0.0.1:{port}/", sleeps).new_job("t", WorkerType.CPU)
    assert len(sleeps) == 2 and time.monotonic() - started < 5


def test_read_timeouts(fake: tuple[str, Script]) -> None:
    url, script = fake
    script.hang = 0.6
    script.answers["/api/jobCount"] = [(200, "1")]
    script.answers["/api/newJob"] = [(200, "{}")]
    client = tracker(url, [], timeout=httpx.Timeout(0.2, connect=1.0), retry=RetryPolicy(2, 0.01, 0.01))
    with pytest.raises(httpx.ReadTimeout):
        client.job_count(WorkerType.CPU)
    assert len(script.seen) == 2  # idempotent: retried once
    script.seen.clear()
    with pytest.raises(httpx.ReadTimeout):
        client.new_job("t", WorkerType.CPU)
    assert len(script.seen) == 1  # sent and maybe applied: not repeated


@pytest.mark.parametrize("status, error", [
    (400, cah.BadRequest), (403, cah.ZeroJobError), (404, cah.WorkerTimedOutError), (500, cah.ServerError),
    (418, cah.ServerError),
])
def test_status_mapping_and_crash_report(fake: tuple[str, Script], status: int, error: type) -> None:
    url, script = fake
    script.answers["/api/new"] = [(200, json.dumps({"token": "tok", "display_name": "d-n-1", "upload_address": ""}))]
    script.answers["/api/updateProgress"] = [(200, "success")]
    script.answers["/api/markAsDone"] = [(status, f"body {status}")]
    client = cah.init(url, "nick", "HYBRID", retry=FAST)
    with pytest.raises(error) as info:
        client.completeJob(3)
    assert str(status) in str(info.value) and f"body {status}" in str(info.value)
    assert info.value.status == status
    progress = [json.loads(b) for m, p, b in script.seen if p == "/api/updateProgress"]
    assert progress == [{"token": "tok", "progress": "Crashed", "type": "HYBRID"}]
    if status == 400:
        assert isinstance(info.value, ValueError)


def test_failed_registration_reports_nothing(fake: tuple[str, Script]) -> None:
    url, script = fake
    script.answers["/api/new"] = [(400, "Invalid worker type.")]
    with pytest.raises(cah.BadRequest, match="400"):
        cah.init(url, "n", "CPU", retry=FAST)
    assert [p for _, p, _ in script.seen] == ["/api/new"]


def test_crash_report_failure_does_not_hide_the_error(fake: tuple[str, Script]) -> None:
    url, script = fake
    script.answers["/api/new"] = [(200, json.dumps({"token": "tok", "display_name": "d", "upload_address": ""}))]
    script.answers["/api/updateProgress"] = [(500, "down")]
    script.answers["/api/newJob"] = [(404, "Worker timed out")]
    client = cah.init(url, None, "GPU", retry=FAST)
    with pytest.raises(cah.WorkerTimedOutError):
        client.newJob()
    assert [p for _, p, _ in script.seen].count("/api/updateProgress") == 1  # one attempt, no retries
    assert script.seen[0][1] == "/api/new" and script.queries[0] == "type=GPU"  # nickname None: omitted


def test_malformed_job_answer_is_a_server_error(fake: tuple[str, Script]) -> None:
    url, script = fake
    script.answers["/api/new"] = [(200, json.dumps({"token": "tok", "display_name": "d", "upload_address": ""}))]
    script.answers["/api/updateProgress"] = [(200, "success")]
    script.answers["/api/newJob"] = [(200, json.dumps({"url": "x", "start_id": "abc", "end_id": "1", "shard": 0}))]
    client = cah.init(url, "n", "CPU", retry=FAST)
    with pytest.raises(cah.ServerError, match="malformed"):
        client.newJob()
    assert client.shard is None


def test_download_retries_then_writes_everything(fake: tuple[str, Script], tmp_path: Path) -> None:
    url, script = fake
    payload = "x" * 300_000
    script.answers["/file.gz"] = [(503, "wait"), (200, payload)]
    sleeps: list[float] = []
    assert tracker(url, sleeps).download(url + "file.gz", tmp_path / "f") == len(payload)
    assert (tmp_path / "f").read_text() == payload and len(sleeps) == 1
    script.answers["/missing.gz"] = [(404, "gone")]
    with pytest.raises(cah.errors.JobsError, match="404"):
        tracker(url, []).download(url + "missing.gz", tmp_path / "g")
