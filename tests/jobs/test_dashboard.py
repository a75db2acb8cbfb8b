"""The dashboard in headless Chromium: the numbers are produced by the page's script (the HTML
the server sends holds only placeholders) and the page refreshes itself from /data."""

from __future__ import annotations

import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import httpx

import ccdump.cah as cah
from ccdump.jobs.client import RetryPolicy, TrackerClient
from tests.jobs.services import CHROMIUM, need
from tests.jobs.tracker import ADMIN_TOKEN, Tracker

FAST = RetryPolicy(attempts=2, initial=0.05, maximum=0.1)


class Page(HTMLParser):
    """Text of every element with an id, cells of rows with an id, rows of tables with an id, <main>'s attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.rows: dict[str, list[str]] = {}
        self._row: str | None = None
        self.main: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "main":
            self.main = {k: v or "" for k, v in a.items()}
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        if tag == "tbody":
            self._in_body = True
        if tag == "tr" and self._table and self._in_body:
            self.tables[self._table].append([])
        if tag == "tr" and a.get("id"):
            self._row = a["id"]
            self.rows[self._row] = []
        if tag == "td" and (self._row or (self._table and self._in_body)):
            self._cell = []
        self._open.append((tag, a.get("id")))
        if a.get("id"):
            self.text.setdefault(a["id"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            cell = "".join(self._cell).strip()
            if self._table and self._in_body:
                self.tables[self._table][-1].append(cell)
            if self._row:
                self.rows[self._row].append(cell)
            self._cell = None
        if tag == "tr":
            self._row = None
        if tag == "tbody":
            self._in_body = False
        if tag == "table":
            self._table = None
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        for _, element_id in self._open:
            if element_id:
                self.text[element_id] += data


def render(url: str, profile: Path) -> Page:
    """Load ``url`` in headless Chromium, let scripts and timers run, return the DOM."""
    need("Chromium (CCDUMP_CHROMIUM)", CHROMIUM and os.access(CHROMIUM, os.X_OK))
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=4000", "--dump-dom", url,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)
    assert result.returncode == 0 and "<main" in result.stdout, result.stderr[-2000:]
    return Page(result.stdout)


def populate(tracker: Tracker) -> dict[str, cah.HybridClient]:
    with TrackerClient(tracker.url) as admin:
        admin.add_shards(ADMIN_TOKEN, [f"https://data.example.org/{i}.warc.wat.gz" for i in range(4)])  # 8 jobs
    alice = cah.init(tracker.url, "alice", "HYBRID", retry=FAST)
    for pairs in (1500, 2500):
        alice.newJob()
        alice.completeJob(pairs)
    bob = cah.init(tracker.url, "<b>bob</b>", "CPU", retry=FAST)
    bob.newJob()
    bob.completeJob("http://cpu.invalid/1.tar")
    gpu = cah.init(tracker.url, "gina", "GPU", retry=FAST)
    gpu.newJob()
    alice.newJob()
    alice.log("7 / 10 (70%)")
    return {"alice": alice, "bob": bob, "gina": gpu}


def test_dashboard_shows_live_numbers(tmp_path: Path, start_tracker) -> None:
    need("Chromium (CCDUMP_CHROMIUM)", CHROMIUM and os.access(CHROMIUM, os.X_OK))
    tracker = start_tracker(f"sqlite:///{tmp_path / 'jobs.db'}", "--refresh", "0.3")
    workers = populate(tracker)
    served = httpx.get(tracker.url).text
    # the server sends placeholders (and the data as JSON): the numbers below come from the script
    assert 'id="completion">–<' in served and 'id="total-pairs">–<' in served and "4,000" not in served

    page = render(tracker.url, tmp_path / "profile")
    t = page.text
    assert t["completion"] == "25.00%"
    assert t["jobs-done"] == "2 / 8"
    assert (t["total-chunks"], t["total-pairs"], t["total-workers"]) == ("4", "4,000", "3")
    assert (t["workers-HYBRID"], t["workers-CPU"], t["workers-GPU"]) == ("1", "1", "1")
    assert t["banned"] == "0" and t["eta"]
    stages = page.tables["workers"]
    assert {row[0] for row in stages} == {w.display_name for w in workers.values()}
    alice_row = next(r for r in stages if r[0] == workers["alice"].display_name)
    assert alice_row[1:6] == ["HYBRID", "alice", "#4", "7 / 10 (70%)", "2"]
    assert page.tables["board-main"] == [["1", "alice", "2", "4,000"]]
    assert page.tables["board-cpu"] == [["1", "<b>bob</b>", "1"]]  # shown as text, not markup
    assert int(page.main["data-refreshes"]) >= 1  # the page polled /data by itself
    assert t["updated"].startswith("updated ")


def test_stage_progress_and_worker_page(tmp_path: Path, start_tracker) -> None:
    need("Chromium (CCDUMP_CHROMIUM)", CHROMIUM and os.access(CHROMIUM, os.X_OK))
    tracker = start_tracker(f"sqlite:///{tmp_path / 'jobs.db'}", "--refresh", "0.3")
    workers = populate(tracker)
    page = render(tracker.url, tmp_path / "profile")
    # jobs 1, 2 done (alice); 3 at the GPU stage, held by gina; 4 held by alice; 5-8 open
    assert page.rows["stage-cpu"] == ["CPU / Hybrid", "4", "1", "3 (37.5%)", ""]
    assert page.rows["stage-gpu"] == ["GPU", "0", "1", "2 (25.0%)", ""]

    alice = workers["alice"]
    worker_page = render(f"{tracker.url}worker/hybrid/{alice.display_name}", tmp_path / "profile2")
    w = worker_page.text
    assert (w["name"], w["type"], w["nickname"], w["job"]) == (alice.display_name, "HYBRID", "alice", "#4")
    assert (w["progress"], w["jobs-completed"]) == ("7 / 10 (70%)", "2")
    assert worker_page.tables["log"][0][1:] == ["#4", "7 / 10 (70%)"]
    assert int(worker_page.main["data-refreshes"]) >= 1


def test_leaderboard_html_is_the_dashboard(tmp_path: Path, start_tracker) -> None:
    need("Chromium (CCDUMP_CHROMIUM)", CHROMIUM and os.access(CHROMIUM, os.X_OK))
    tracker = start_tracker(f"sqlite:///{tmp_path / 'jobs.db'}")
    populate(tracker)
    page = render(tracker.url + "leaderboard", tmp_path / "profile")
    assert page.tables["board-main"] == [["1", "alice", "2", "4,000"]]
