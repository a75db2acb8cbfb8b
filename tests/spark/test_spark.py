"""``ccdump spark``: the Spark job writes the same records/files as a local run of the same conversion.

One SparkSession (``local[2]``) for the whole module. The tests skip when pyspark or Java is missing,
unless ``CCDUMP_REQUIRE_SERVICES=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import ccdump
from ccdump.cli import cli
from ccdump.run import DumpOptions
from ccdump.writers.commoncrawl import DerivedOptions
from tests.conftest import conformance_oracles, leftovers, output_files
from tests.warc.helpers import read_records

REQUIRED = os.environ.get("CCDUMP_REQUIRE_SERVICES") == "1"
MANIFEST = "_ccdump_spark_manifest.json"
NAME = re.compile(r"^WEB-(\d{17})-(\d{5})\.warc\.gz$")
#: two parts in one segment, one in the other: three units
WANTED = ("i_two_parts", "n_nutch_defaults")
SEGMENTS = {o.parent.name: s for o, s in conformance_oracles() if o.parent.name in WANTED}


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


def _need(what: str, available: object) -> None:
    if available:
        return
    if REQUIRED:
        pytest.fail(f"{what} is not available, but CCDUMP_REQUIRE_SERVICES=1 (pip install '.[spark]', a Java runtime)")
    pytest.skip(f"{what} is not available (pip install 'ccdump[spark]' and a Java runtime)")


@pytest.fixture(scope="module")
def spark():
    _need("pyspark", importlib.util.find_spec("pyspark"))
    _need("java", _java())
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("ccdump-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def segments(conformance) -> list[str]:
    missing = [name for name in WANTED if name not in SEGMENTS]
    assert not missing, f"{conformance}: generated/{missing} missing"
    return [str(SEGMENTS[name]) for name in WANTED]


def _run(segments: list[str], output: str, **options):
    from ccdump.spark import run_spark

    derived = options.pop("derived", DerivedOptions())
    return run_spark(DumpOptions(output, list(segments), derived=derived, **options), master="local[2]")


def _records(files: list[Path]) -> Counter:
    return Counter(
        (r.type, r.get("WARC-Target-URI"), hashlib.sha1(r.block).hexdigest())
        for f in files for r in read_records(f) if r.type != "warcinfo"
    )


def _warcs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if NAME.match(p.name))


def _serial(path: Path | str) -> int:
    m = NAME.match(os.path.basename(path))
    assert m, path
    return int(m.group(2))


def _manifest(output: Path) -> dict:
    from ccdump.spark import read_manifest

    return read_manifest(str(output))


def _present(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in output_files(root) if p.name != MANIFEST)


@pytest.fixture(scope="module")
def local_warc(segments, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local-warc")
    ccdump.dump(str(out), segments, warc=True, gzip=True, workers=1)
    return out


@pytest.fixture(scope="module")
def url_run(spark, segments, tmp_path_factory):
    """WARC mode into a file:// URL."""
    out = tmp_path_factory.mktemp("spark-url")
    stats = _run(segments, out.as_uri(), warc=True, gzip=True)
    return out, stats


@pytest.fixture(scope="module")
def path_run(spark, segments, tmp_path_factory):
    """WARC mode into a plain path, rotated small, with -wat, after an earlier run's serial 4."""
    out = tmp_path_factory.mktemp("spark-path")
    (out / "WEB-20240101000000000-00004.warc.gz").write_bytes(b"")  # an earlier run's file
    stats = _run(segments, str(out), warc=True, gzip=True, warc_size=60_000, derived=DerivedOptions(wat=True))
    return out, stats


def test_warc_into_file_url_has_the_local_runs_records(url_run, local_warc):
    out, stats = url_run
    files = _warcs(out)
    assert _records(files) == _records(_warcs(local_warc))
    assert len(files) == len(_warcs(local_warc)) == stats.units == 3
    assert sorted(map(_serial, files)) == [0, 1, 2]
    assert stats.documents == 230 and stats.written > 0
    assert all(o.startswith("file://") for o in stats.outputs)
    assert not leftovers(out)


def test_warc_into_plain_path_has_the_local_runs_records(path_run, local_warc):
    out, stats = path_run
    files = [f for f in _warcs(out) if f.stat().st_size]
    assert len(files) > 3, "the size limit should rotate"
    assert _records(files) == _records(_warcs(local_warc))
    for f in files:  # one warcinfo per file, first
        assert [r.type for r in read_records(f)].count("warcinfo") == 1
    assert not leftovers(out)


def test_every_warc_is_readable_by_warcio(url_run, path_run):
    from warcio.archiveiterator import ArchiveIterator

    for out, _ in (url_run, path_run):
        for f in _warcs(out):
            if not f.stat().st_size:
                continue
            with f.open("rb") as stream:
                types = [r.rec_type for r in ArchiveIterator(stream)]
            assert types[0] == "warcinfo" and len(types) == len(read_records(f))


def test_manifest_lists_exactly_the_files_written(url_run, path_run):
    for out, stats in (url_run, path_run):
        manifest = _manifest(out)
        earlier = {"WEB-20240101000000000-00004.warc.gz"}
        assert manifest["files"] == sorted(set(_present(out)) - earlier)
        assert sorted(f for u in manifest["units"] for f in u["files"]) == manifest["files"]
        assert [u["index"] for u in manifest["units"]] == [0, 1, 2]
        assert manifest["stats"]["documents"] == stats.documents


def test_serials_follow_the_unit_stripe_after_existing_files(url_run, path_run):
    assert _manifest(url_run[0])["warc_serial_base"] == 0
    out, _ = path_run
    manifest = _manifest(out)
    base, count = manifest["warc_serial_base"], len(manifest["units"])
    assert base == 5
    for unit in manifest["units"]:
        serials = sorted(_serial(f) for f in unit["files"] if NAME.match(f))
        assert serials, unit
        # unit i of n writes base+i, base+i+n, … with no gap
        assert serials == [base + unit["index"] + k * count for k in range(len(serials))]


def test_wat_beside_each_warc(path_run):
    out, _ = path_run
    from warcio.archiveiterator import ArchiveIterator

    for f in _warcs(out):
        if not f.stat().st_size:
            continue
        wat = f.with_name(f.name.replace(".warc.gz", ".warc.wat.gz"))
        assert wat.is_file(), wat
        with wat.open("rb") as stream:
            assert sum(1 for r in ArchiveIterator(stream) if r.rec_type == "metadata") > 0


def test_cbor_files_identical_to_local_run(spark, segments, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "spark"
    ccdump.dump(str(local), segments, workers=1)
    stats = _run(segments, remote.as_uri())
    expected = _present(local)
    assert expected and _present(remote) == expected
    for name in expected:
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    assert _manifest(remote)["files"] == expected
    local_stats = ccdump.dump(str(tmp_path / "again"), segments, workers=1)
    assert (stats.written, stats.collisions) == (local_stats.written, local_stats.collisions)


def test_gzip_archive_has_the_local_runs_entries(spark, segments, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "spark"
    ccdump.dump(str(local), segments, gzip=True, workers=1)
    stats = _run(segments, str(remote), gzip=True)

    def entries(root: Path) -> list[tuple[str, bytes]]:
        (archive,) = output_files(root, "*.tar.gz")
        with tarfile.open(archive) as tar:
            return [(m.name, tar.extractfile(m).read()) for m in tar if m.isfile()]  # type: ignore[union-attr]

    assert entries(remote) == entries(local)
    assert _manifest(remote)["files"] == _present(remote) and len(_present(remote)) == 1
    assert not leftovers(remote), "the archive pieces must be removed"
    assert stats.outputs == [str(output_files(remote, "*.tar.gz")[0])]


def test_cli_runs_and_prints_the_report(spark, segments, tmp_path, local_warc):
    out = tmp_path / "cli"
    args = ["spark", "-segment", *segments, "-outputDir", str(out), "-warc", "-gzip", "-master", "local[2]"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "TOTAL Stats:" in result.output and "Total count: 230" in result.output
    assert "Spark: 3 task(s)" in result.output
    assert _records(_warcs(out)) == _records(_warcs(local_warc))


# --- without Spark ------------------------------------------------------------------------------------


def test_spark_command_has_every_dump_option_and_answers_h():
    from ccdump.cli.dump import dump_command
    from ccdump.cli.spark import NOT_ON_SPARK, spark_command

    names = {p.name for p in spark_command.params}
    assert {p.name for p in dump_command.params} | {"master", "app_name"} == names
    hidden = {p.name for p in spark_command.params if getattr(p, "hidden", False)}
    assert hidden == set(NOT_ON_SPARK)
    result = CliRunner().invoke(cli, ["spark", "-h"])
    assert result.exit_code == 0 and "-master" in result.output and "-warcSize" in result.output
    assert "-resume" not in result.output and "-workers" not in result.output


def test_module_entry_point_answers_h():
    done = subprocess.run([sys.executable, "-m", "ccdump.spark", "-h"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "-outputDir" in done.stdout


def test_clear_error_without_pyspark(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails as if not installed
    result = CliRunner().invoke(cli, ["spark", "-segment", str(tmp_path), "-outputDir", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "pip install 'ccdump[spark]'" in result.output


def test_unsupported_options_are_refused():
    from ccdump.cli.spark import spark_command

    base = ["spark", "-segment", "s", "-outputDir", "o", "-warc"]
    for extra, message in (
        (["-wat", "-publish", "http://x", "-publishToken", "t"], "-publish is not supported on Spark"),
        (["-resume"], "-resume is not supported on Spark"),
        (["-workers", "4"], "-workers is not used on Spark"),
    ):
        result = CliRunner().invoke(cli, base + extra)
        assert result.exit_code == 2 and message in result.output, result.output
    assert spark_command.params  # built from the dump command's parameters


def test_retried_warc_task_replaces_the_failed_attempts_files(segments, tmp_path, monkeypatch):
    """A task attempt after a failure removes what the earlier attempt of its unit published."""
    import time

    import ccdump.spark as sp

    options = DumpOptions(str(tmp_path / "out"), segments, warc=True, gzip=True, derived=DerivedOptions(wat=True))
    options, target, plan, parts = sp.prepare_run(options, time.time())
    options = sp._task_options(options)
    unit = plan.units[1]
    first = sp.run_task(options, plan, parts, unit)
    time.sleep(0.01)  # WARC names hold the time in milliseconds: the retry writes other names
    monkeypatch.setattr(sp, "_attempt", lambda: 1)
    second = sp.run_task(options, plan, parts, unit)
    assert first["files"] != second["files"]
    present = sorted(str(p) for p in output_files(tmp_path / "out"))
    assert present == sorted(second["files"])
    assert {_serial(f) for f in present if NAME.match(os.path.basename(f))} == {1}
