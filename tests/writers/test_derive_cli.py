"""``ccdump wat | wet | cdxj`` on the command line: same results as the library calls."""

from __future__ import annotations

import gzip

from click.testing import CliRunner

from ccdump.cli import cli
from tests.writers.conftest import REF_NAME
from tests.writers.test_wat import read_records


def test_commands_write_all_outputs(ref_warc, reference_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    for command in ("wat", "wet"):
        result = runner.invoke(cli, [command, str(ref_warc), "-o", str(out)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        [
            "cdxj",
            str(ref_warc),
            "-o",
            str(out),
            "--parquet",
            str(tmp_path / "table"),
            "--crawl",
            "CC-MAIN-2024-22",
            "--filename-prefix",
            "crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc/",
        ],
    )
    assert result.exit_code == 0, result.output
    wat = read_records(out / f"{REF_NAME}.warc.wat.gz")
    ref_wat = read_records(reference_dir / f"{REF_NAME}.warc.wat.gz")
    assert [p for _, p in wat[1:]] == [p for _, p in ref_wat[1:]]
    wet = read_records(out / f"{REF_NAME}.warc.wet.gz")
    assert wet[1][1] == b"Cats & Dogs\nPets\nSome text about cute cats.\nx\n"
    (line,) = gzip.decompress((out / f"{REF_NAME}.cdx.gz").read_bytes()).decode().splitlines()
    assert '"filename": "crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc/' in line
    parts = list((tmp_path / "table" / "crawl=CC-MAIN-2024-22" / "subset=warc").iterdir())
    assert [p.name for p in parts] == ["part-00000.c000.gz.parquet"]


def test_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x00garbage")
    result = CliRunner().invoke(cli, ["wat", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("ccdump: error: ") and "bad.warc.gz at byte 0" in result.output
    assert not (tmp_path / "bad.warc.wat.gz").exists()


def test_parquet_needs_crawl(ref_warc, tmp_path):
    result = CliRunner().invoke(cli, ["cdxj", str(ref_warc), "--parquet", str(tmp_path / "t")])
    assert result.exit_code == 2 and "--crawl" in result.output


def test_deflate_option(ref_warc, tmp_path):
    """``--deflate zlib:6`` (Common Crawl's level) and the default give the same records; a bad value is one line."""
    runner = CliRunner()
    for deflate in ("zlib:6", None):
        out = tmp_path / str(deflate)
        args = ["wat", str(ref_warc), "-o", str(out)] + (["--deflate", deflate] if deflate else [])
        assert runner.invoke(cli, args).exit_code == 0
    zlib6, default = (tmp_path / d / f"{REF_NAME}.warc.wat.gz" for d in ("zlib:6", "None"))
    assert [p for _, p in read_records(zlib6)[1:]] == [p for _, p in read_records(default)[1:]]
    result = runner.invoke(cli, ["wet", str(ref_warc), "-o", str(tmp_path / "x"), "--deflate", "isal:9"])
    assert result.exit_code == 1 and result.output.startswith("ccdump: error: deflate 'isal:9'")
    assert not (tmp_path / "x").exists()
