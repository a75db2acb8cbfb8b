"""``ccdump jobs`` commands, run as a user would (subprocesses) against a real tracker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import httpx
import pytest

from ccdump.cli.jobs import jobs_group
from tests.jobs.tracker import ADMIN_TOKEN, REPO, Tracker, free_port


def ccdump(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CCDUMP_JOBS_ADMIN_TOKEN", None)
    env.pop("CCDUMP_JOBS_SERVER", None)
    return subprocess.run(
        [sys.executable, "-m", "ccdump", "jobs", *args],
        capture_output=True, text=True, input=stdin, env=env, cwd=cwd, timeout=60, check=False,
    )


@pytest.mark.parametrize("name", sorted(jobs_group.commands))
def test_every_command_has_help_with_an_example(name: str) -> None:
    command = jobs_group.commands[name]
    with click.Context(command, info_name=name) as ctx:
        text = command.get_help(ctx)
    assert "Example" in text and f"ccdump jobs {name}" in text


@pytest.fixture
def cli_tracker(tmp_path: Path, shards_dir: Path, start_tracker) -> Tracker:
    """The CLI only talks HTTP: one backend is enough here (both are covered elsewhere)."""
    return start_tracker(f"sqlite:///{tmp_path / 'jobs.db'}", shards_dir=shards_dir)


def test_group_help() -> None:
    result = ccdump("--help")
    assert result.returncode == 0
    for name in ("serve", "add", "ban", "reset", "status"):
        assert name in result.stdout


def test_add_status_ban_reset(cli_tracker: Tracker, shards_dir: Path, tmp_path: Path) -> None:
    tracker = cli_tracker
    manifest = tmp_path / "wat.paths"
    manifest.write_text("# comment\nhttps://data.example.org/c.warc.wat.gz\n\ncrawl-data/part-2.warc.wat.gz\n")
    local = str(shards_dir / "crawl-data" / "part-0.warc.wat.gz")
    result = ccdump("add", "--server", tracker.url, "--token", ADMIN_TOKEN, local, "--from-file", str(manifest))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"chunk 1 (jobs 1, 2): {tracker.url}shards/crawl-data/part-0.warc.wat.gz [added]",
        "chunk 2 (jobs 3, 4): https://data.example.org/c.warc.wat.gz [added]",
        f"chunk 3 (jobs 5, 6): {tracker.url}shards/crawl-data/part-2.warc.wat.gz [added]",
    ]
    # relative to the current directory works too, and adding again is harmless
    again = ccdump("add", "--server", tracker.url, "--token", ADMIN_TOKEN, "part-0.warc.wat.gz",
                   cwd=shards_dir / "crawl-data")
    assert again.returncode == 0 and again.stdout.strip().endswith("[already present]")
    stdin = ccdump("add", "--server", tracker.url, "--token", ADMIN_TOKEN, "--from-file", "-",
                   stdin="crawl-data/part-1.warc.wat.gz\n")
    assert "chunk 4 (jobs 7, 8)" in stdin.stdout

    status = ccdump("status", "--server", tracker.url)
    assert status.returncode == 0
    assert "shards: 4  jobs: 8  0 / 8 (0.00%)" in status.stdout and "cpu: 8 open" in status.stdout

    banned = ccdump("ban", "--server", tracker.url, "--token", ADMIN_TOKEN, "2")
    assert banned.stdout.strip() == "banned 2 job(s) of shard 2"
    assert httpx.get(tracker.url + "api/jobCount", params={"type": "CPU"}).text == "6"
    reset = ccdump("reset", "--server", tracker.url, "--token", ADMIN_TOKEN, "https://data.example.org/c.warc.wat.gz")
    assert reset.stdout.strip().startswith("reset 2 job(s)")
    assert httpx.get(tracker.url + "api/jobCount", params={"type": "CPU"}).text == "8"
    as_json = ccdump("status", "--server", tracker.url, "--json")
    assert '"total_jobs": 8' in as_json.stdout


ERRORS = [
    (["add", "--token", "wrong", "https://x/a.gz"], "HTTP 401"),
    (["add", "--token", ADMIN_TOKEN, "/etc/passwd"], "outside the server's --shards-dir"),
    (["add", "--token", ADMIN_TOKEN, "no/such/file.gz"], "no such file inside"),
    (["add", "--token", ADMIN_TOKEN], "no shards given"),
    (["ban", "--token", ADMIN_TOKEN, "99"], "no shard 99"),
    (["reset", "--token", ADMIN_TOKEN, "0"], "chunk numbers start at 1"),
]


def test_errors_are_one_line(cli_tracker: Tracker) -> None:
    for args, message in ERRORS:
        result = ccdump(args[0], "--server", cli_tracker.url, *args[1:])
        assert result.returncode == 1, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ccdump: error: ") and message in lines[0], result.stderr


def test_unreachable_server_is_one_line() -> None:
    result = ccdump("status", "--server", f"http://127.0.0.1:{free_port()}/")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "cannot reach the tracker" in result.stderr


def test_serve_rejects_bad_options(tmp_path: Path) -> None:
    bad_db = ccdump("serve", "--db", "mysql://x/y", "--port", str(free_port()))
    assert bad_db.returncode == 1 and "unsupported database URL" in bad_db.stderr
    assert bad_db.stderr.strip().splitlines()[-1].startswith("ccdump: error: ")
    bad_address = ccdump("serve", "--db", f"sqlite:///{tmp_path}/j.db", "--upload-address", "TPU=x")
    assert bad_address.returncode == 2 and "TYPE=ADDRESS" in bad_address.stderr


def test_serve_generates_an_admin_token_when_none_is_given(tmp_path: Path) -> None:
    tracker = Tracker(f"sqlite:///{tmp_path / 'j.db'}", tmp_path)
    tracker.command = lambda: [  # type: ignore[method-assign]
        sys.executable, "-m", "ccdump", "jobs", "serve", "--db", tracker.db_url, "--port", str(tracker.port),
    ]
    tracker.start()
    try:
        lines = [line for line in tracker.log().splitlines() if "admin token" in line]
        token = lines[0].rsplit(" ", 1)[1]
        assert len(token) >= 40 and token != ADMIN_TOKEN
        ok = httpx.post(tracker.url + "admin/shards", json={"shards": ["https://x/a.gz"]},
                        headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    finally:
        tracker.stop()
