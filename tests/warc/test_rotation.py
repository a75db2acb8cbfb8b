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


def _dump(segment: Path, out: Path, size: int = 0) -> list[Path]:
    ccdump.dump(str(out), str(segment), warc=True, gzip=True, warc_size=size)
    return sorted(out.iterdir())


def _content(files: list[Path]) -> Counter:
    return Counter((r.type, r.get("WARC-Target-URI"), hashlib.sha1(r.block).hexdigest())
                   for f in files for r in read_records(f) if r.type != "warcinfo")


@pytest.fixture(scope="module")
def single(segment, tmp_path_factory) -> list[Path]:
    files = _dump(segment, tmp_path_factory.mktemp("single"))
    assert len(files) == 1
    return files


@pytest.mark.parametrize("limit", [20_000, 60_000, 1_000])
def test_rotated_files_within_limit_consecutive_and_complete(segment, single, tmp_path, limit):
    files = _dump(segment, tmp_path, limit)
    names = [NAME.match(f.name) for f in files]
    assert all(names), [f.name for f in files]
    assert [int(m.group(2)) for m in names] == list(range(len(files)))  # type: ignore[union-attr]
    stamps = [int(m.group(1)) for m in names]  # type: ignore[union-attr]
    assert stamps == sorted(set(stamps))
    assert len(files) > 2
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
    assert _content(files) == _content(single)
    result = tool("warcio", "check", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_capture_alone_when_the_limit_is_tiny(segment, single, tmp_path):
    files = _dump(segment, tmp_path, 1)
    captures = sum(r.type in MAIN for r in read_records(single[0]))
    assert len(files) == captures
    assert all(sum(r.type in MAIN for r in read_records(f)) == 1 for f in files)
