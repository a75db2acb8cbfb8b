"""Segments on any fsspec file system: the same reader over ``memory://`` and ``file://``."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest

import ccdump
from ccdump.nutch.readseg import dump_json_lines
from ccdump.nutch.segment import Segment, find_segments
from tests.conftest import conformance_oracles


def _upload(local: Path, url_root: str) -> None:
    fs = fsspec.filesystem("memory")
    for p in local.rglob("*"):
        if p.is_file():
            fs.pipe(f"{url_root}/{p.relative_to(local).as_posix()}", p.read_bytes())


@pytest.fixture
def memory_segment(conformance):
    oracle, seg = next((o, s) for o, s in conformance_oracles() if "i_two_parts" in str(o))
    root = "memory://crawl/segments"
    _upload(seg, f"{root}/{seg.name}")
    yield oracle, f"{root}/{seg.name}"
    fsspec.filesystem("memory").rm("/crawl", recursive=True)


def test_memory_fs_dump_equals_oracle(memory_segment):
    oracle, url = memory_segment
    assert find_segments("memory://crawl/segments") == [url]
    expected = [json.loads(line) for line in open(oracle, encoding="utf-8")]
    ours = [json.loads(json.dumps(line)) for line in dump_json_lines(Segment(url))]
    for want, got in zip(expected, ours, strict=True):
        if want["type"] == "record" and "score" in want["value"]:
            assert got["value"].pop("score") == pytest.approx(want["value"].pop("score"))
        assert got == want


def test_memory_fs_documents_and_dump(memory_segment, tmp_path):
    _, url = memory_segment
    docs = list(Segment(url).documents())
    local = list(Segment(str(Path(memory_segment[0]).parent / "segments" / Path(url).name)).documents())
    assert [d.url for d in docs] == [d.url for d in local]
    stats = ccdump.dump(str(tmp_path), "memory://crawl/segments")
    assert stats.written == sum(d.content is not None for d in local)


def test_file_url(conformance):
    _, seg = conformance_oracles()[0]
    docs = list(Segment("file://" + str(seg)).documents())
    assert docs and [d.url for d in docs] == [d.url for d in Segment(str(seg)).documents()]
