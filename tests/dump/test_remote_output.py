"""Output folders on fsspec file systems (``memory://``, ``file://``): the same files as a local run."""

from __future__ import annotations

import hashlib
import io
from collections import Counter

import fsspec
import pytest
from warcio.archiveiterator import ArchiveIterator

import ccdump
from tests.conftest import output_files


@pytest.fixture
def memory():
    fs = fsspec.filesystem("memory")
    yield fs
    for top in fs.ls("/", detail=False):
        fs.rm(top, recursive=True)


def remote_tree(fs, root: str) -> dict[str, bytes]:
    return {p[len(root) + 1 :]: fs.cat_file(p) for p in fs.find(root) if not p.rsplit("/", 1)[1].startswith(".")}


def warc_records(blobs) -> Counter:
    found: Counter = Counter()
    for blob in blobs:
        for r in ArchiveIterator(io.BytesIO(blob)):
            if r.rec_type != "warcinfo":
                found[(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), hashlib.sha1(r.content_stream().read()).hexdigest())] += 1
    return found


@pytest.fixture(scope="module")
def segment(conformance) -> str:
    return str(conformance / "generated" / "i_two_parts" / "segments")


@pytest.mark.parametrize("workers", [1, 2])
def test_cbor_files_to_memory_equal_local(segment, memory, tmp_path, workers):
    ccdump.dump(str(tmp_path), segment, workers=workers)
    stats = ccdump.dump("memory://bucket/out", segment, workers=workers)
    local = {str(p.relative_to(tmp_path)): p.read_bytes() for p in output_files(tmp_path)}
    assert remote_tree(memory, "/bucket/out") == local
    assert stats.written == len(local) and len(stats.outputs) == len(local)
    assert memory.exists("/bucket/out/.ccdump-manifest.jsonl")
    again = ccdump.dump("memory://bucket/out", segment, workers=workers)  # Nutch's rule: the first file stays
    assert again.collisions == len(local) and again.written == 0


def test_commoncrawl_to_memory_equal_local(segment, memory, tmp_path):
    ccdump.dump(str(tmp_path), segment, warc=True, gzip=True, derived=_all_derived(str(tmp_path / "index")))
    stats = ccdump.dump("memory://bucket/cc", segment, warc=True, gzip=True, derived=_all_derived("memory://bucket/cc/index"))
    remote = remote_tree(memory, "/bucket/cc")
    local = {str(p.relative_to(tmp_path)): p.read_bytes() for p in output_files(tmp_path)}
    assert _shape(remote) == _shape(local)
    assert warc_records(v for k, v in remote.items() if k.endswith(".warc.gz")) == warc_records(
        v for k, v in local.items() if k.endswith(".warc.gz")
    )
    assert sorted(stats.outputs) == sorted(f"/bucket/cc/{k}" for k in remote)
    assert any(k.startswith("index/crawl=CCDUMP/subset=warc/part-") for k in remote)


def test_file_url_output_is_a_local_folder(segment, tmp_path):
    stats = ccdump.dump(f"file://{tmp_path}/out", segment, warc=True, gzip=True)
    assert sorted(str(p) for p in output_files(tmp_path / "out")) == sorted(stats.outputs)


def test_resume_reads_the_remote_manifest(segment, memory):
    ccdump.dump("memory://bucket/r", segment, warc=True, gzip=True)
    stats = ccdump.dump("memory://bucket/r", segment, warc=True, gzip=True, resume=True)
    assert stats.documents == 0 and any("Nothing to resume" in n for n in stats.notes)


def _all_derived(parquet_dir: str):
    from ccdump.writers.commoncrawl import DerivedOptions

    return DerivedOptions(wat=True, wet=True, cdxj=True, parquet_dir=parquet_dir)


def _shape(tree: dict[str, bytes]) -> list[str]:
    """File names with the 17-digit timestamps blanked (they are the moment each file was opened)."""
    import re

    return sorted(re.sub(r"-\d{17}-", "-T-", k) for k in tree)

