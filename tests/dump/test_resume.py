"""-resume after SIGKILL: only the unfinished units run again, and no partial file is left behind."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccdump.cli import cli
from tests.conftest import MANIFEST, leftovers, output_files
from tests.warc.helpers import read_records

COPIES = 8  # segments of two parts each: 16 units


@pytest.fixture(scope="module")
def many_segments(conformance, tmp_path_factory) -> Path:
    """The two-part conformance segment under eight segment names."""
    source = next((conformance / "generated" / "i_two_parts" / "segments").iterdir())
    root = tmp_path_factory.mktemp("segments")
    for i in range(COPIES):
        shutil.copytree(source, root / f"2024112109{i:02d}00")
    return root


def unit_lines(out: Path) -> list[dict]:
    try:
        text = (out / MANIFEST).read_text()
    except FileNotFoundError:
        return []
    found = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("kind") == "unit":
            found.append(entry)
    return found


def kill_midway(args: list[str], out: Path, after_units: int) -> int:
    """Start the command, SIGKILL it once ``after_units`` units are recorded; units recorded at the kill."""
    proc = subprocess.Popen([sys.executable, "-m", "ccdump", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(unit_lines(out)) < after_units:
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while running_on(out):  # workers notice their parent is gone (PR_SET_PDEATHSIG), unwind and exit
        assert time.monotonic() < deadline, f"worker processes outlived their killed parent: {running_on(out)}"
        time.sleep(0.05)
    return len(unit_lines(out))


def running_on(out: Path) -> list[int]:
    """Processes whose command line names ``out``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(out).encode() in cmdline and state != "Z":
            found.append(int(pid))
    return found


def records(files: list[Path]) -> Counter:
    return Counter(
        (r.type, r.get("WARC-Target-URI"), hashlib.sha1(r.block).hexdigest())
        for f in files
        if f.name.endswith(".warc.gz")
        for r in read_records(f)
        if r.type not in ("warcinfo",)
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_warc_commoncrawl_killed_then_resumed(many_segments, tmp_path, workers):
    out = tmp_path / "out"
    args = ["-segment", str(many_segments), "-outputDir", str(out), "-commoncrawl", "-warcSize", "30000",
            "-workers", workers, "-quiet"]
    done_at_kill = kill_midway(args, out, after_units=3)
    assert 3 <= done_at_kill < 2 * COPIES, "killed mid-way"
    result = CliRunner().invoke(cli, [*args[:-1], "-resume"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Resumed: {done_at_kill} unit(s) were already done" in result.output
    assert len(unit_lines(out)) == 2 * COPIES
    assert not leftovers(out), "no temporary or partial file"
    # exactly the records a run that was never interrupted writes: nothing lost, nothing twice
    clean = tmp_path / "clean"
    assert CliRunner().invoke(cli, [*args[:3], str(clean), *args[4:]]).exit_code == 0
    resumed, fresh = records(output_files(out)), records(output_files(clean))
    assert resumed == fresh and sum(fresh.values()) > 1000
    for suffix in (".warc.wat.gz", ".warc.wet.gz"):  # each WARC file still has its derived files, and only those
        warcs = {f.name[: -len(".warc.gz")] for f in output_files(out) if f.name.endswith(".warc.gz")}
        assert {f.name[: -len(suffix)] for f in output_files(out) if f.name.endswith(suffix)} == warcs
    index = output_files(out / "index")
    assert len(index) == len(warcs)


def test_tar_killed_then_resumed(many_segments, tmp_path):
    out = tmp_path / "out"
    args = ["-segment", str(many_segments), "-outputDir", str(out), "-gzip", "-workers", "1", "-quiet"]
    done_at_kill = kill_midway(args, out, after_units=2)
    assert done_at_kill < 2 * COPIES
    assert not list(out.glob("*.tar.gz")), "the archive only appears once complete"
    assert list(out.glob(".ccdump-parts-*/unit-*.tar.gz")), "the finished units' pieces wait for the rest"
    result = CliRunner().invoke(cli, [*args, "-resume"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (archive,) = output_files(out)
    listing = subprocess.run(["tar", "-tzf", str(archive)], capture_output=True, text=True, check=True).stdout.split()
    assert len(listing) == len(set(listing)) == 115
    assert not leftovers(out)


def test_resume_refuses_another_command(many_segments, tmp_path):
    out = tmp_path / "out"
    base = ["-segment", str(many_segments), "-outputDir", str(out), "-warc", "-gzip", "-quiet"]
    kill_midway(base, out, after_units=1)
    result = CliRunner().invoke(cli, [*base, "-warcSize", "1000", "-resume"])
    assert result.exit_code != 0
    assert "used other segments or options" in result.output
    assert os.path.exists(out / MANIFEST)
