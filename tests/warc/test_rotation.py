"""Size rotation: files within the limit, consecutive names, no capture lost, duplicated or split."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

import ccdump
from tests.conftest import conformance_oracles
from tests.warc.helpers import gzip_members, read_records, tool

SEGMENTS = [s for o, s in conformance_oracles() if o.parent.name == "n_nutch_defaults"]
NAME = re.compile(r"^WEB-(\d{17})-(\d{5})\.warc\.gz$")
MAIN = ("response", "revisit", "resource")


@pytest.fixture(scope="module")
def segment(conformance) -> Path:
    assert SEGMENTS, f"{conformance}: generated/n_nutch_defaults is missing"
    return SEGMENTS[0]


def _dump(segment: Path, out: Path, size: int = 0, workers: int = 1) -> list[Path]:
    ccdump.dump(str(out), str(segment), warc=True, gzip=True, warc_size=size, workers=workers)
    return sorted(p for p in out.iterdir() if not p.name.startswith("."))


def _serial(f: Path) -> int:
    m = NAME.match(f.name)
    assert m, f.name
    return int(m.group(2))


def _by_unit(files: list[Path], units: int) -> list[list[Path]]:
    """Unit i of n writes serials i, i+n, i+2n … (ccdump.units): each unit's files in serial order."""
    return [sorted((f for f in files if _serial(f) % units == i), key=_serial) for i in range(units)]


def _content(files: list[Path]) -> Counter:
    return Counter((r.type, r.get("WARC-Target-URI"), hashlib.sha1(r.block).hexdigest())
                   for f in files for r in read_records(f) if r.type != "warcinfo")


@pytest.fixture(scope="module")
def single(segment, tmp_path_factory) -> list[Path]:
    """Without a size limit: one file per (segment, part) unit, serials 0 … units-1."""
    files = _dump(segment, tmp_path_factory.mktemp("single"))
    parts = {p.name for p in (segment / "content").iterdir() if p.name.startswith("part-")}
    assert len(files) == len(parts)
    assert sorted(map(_serial, files)) == list(range(len(parts)))
    return files


@pytest.mark.parametrize("limit", [20_000, 60_000, 1_000])
def test_rotated_files_within_limit_consecutive_and_complete(segment, single, tmp_path, limit):
    files = _dump(segment, tmp_path, limit)
    assert len(files) > 2
    for unit, unit_files in enumerate(_by_unit(files, len(single))):
        serials = [_serial(f) for f in unit_files]
        assert serials == list(range(unit, unit + len(single) * len(serials), len(single)))
        stamps = [int(NAME.match(f.name).group(1)) for f in unit_files]  # type: ignore[union-attr]
        assert stamps == sorted(set(stamps))
        _check_rotation(unit_files, limit)
    assert _content(files) == _content(single)
    result = tool("warcio", "check", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_workers_write_the_same_records_in_the_same_series(conformance, tmp_path):
    """Three units (a two-part segment and a one-part one) on one core and on two.

    Which capture opens the next file may differ by a byte of gzip output (record ids are random),
    so files are compared as a set of records and a series of serials per unit."""
    segments = [conformance / "generated" / name / "segments" for name in ("i_two_parts", "n_nutch_defaults")]
    dumps = {}
    for workers in (1, 2):
        out = tmp_path / str(workers)
        stats = ccdump.dump(str(out), [str(s) for s in segments], warc=True, gzip=True, warc_size=20_000, workers=workers)
        assert stats.workers == workers and stats.units == 3
        dumps[workers] = sorted((p for p in out.iterdir() if not p.name.startswith(".")), key=_serial)
    for files in dumps.values():
        for unit, unit_files in enumerate(_by_unit(files, 3)):
            assert [_serial(f) for f in unit_files] == list(range(unit, unit + 3 * len(unit_files), 3))
            _check_rotation(unit_files, 20_000)
    assert _content(dumps[1]) == _content(dumps[2])
    assert sum(_content(dumps[1]).values()) > 100


def _check_rotation(files: list[Path], limit: int) -> None:
    for i, f in enumerate(files):
        records = read_records(f)
        captures = sum(r.type in MAIN for r in records)
        assert records[0].type == "warcinfo" and captures >= 1
        size = f.stat().st_size
        if i < len(files) - 1:
            assert size <= limit or captures == 1, f"{f.name}: {size} bytes, {captures} captures"
            # rotation was needed: the next file's first capture would not have fitted here
            nxt = gzip_members(files[i + 1])
            first = [r.type for r in read_records(files[i + 1])]
            end = first.index("metadata", 1) + 1 if "metadata" in first else 2
            assert size + sum(m.length for m in nxt[1:end]) > limit - 16
        ids = {r.get("WARC-Record-ID") for r in records}
        for r in records:
            for link in ("WARC-Concurrent-To", "WARC-Warcinfo-ID", "WARC-Refers-To"):
                assert r.get(link) is None or r.get(link) in ids, f"{f.name}: {link} leaves the file"


def test_every_capture_alone_when_the_limit_is_tiny(segment, single, tmp_path):
    files = _dump(segment, tmp_path, 1)
    captures = sum(r.type in MAIN for f in single for r in read_records(f))
    assert len(files) == captures
    assert all(sum(r.type in MAIN for r in read_records(f)) == 1 for f in files)
