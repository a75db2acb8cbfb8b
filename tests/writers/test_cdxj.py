"""CDXJ: Common Crawl's key layout, checked against pywb's reference line and cdxj-indexer."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

from ccdump.writers.cdxj import CdxjWriter, generate_cdxj
from ccdump.writers.extsort import ExternalSorter
from tests.writers.conftest import REF_NAME
from tests.writers.warcgen import Capture, page, sample_captures, write_warc

PYWB_KEYS = ["url", "mime", "mime-detected", "status", "digest", "length", "offset", "filename"]


def parse(line: str):
    key, ts, payload = line.split(" ", 2)
    return key, ts, json.loads(payload, object_pairs_hook=list)


def cdx_lines(path) -> list[str]:
    return gzip.decompress(open(path, "rb").read()).decode().splitlines()


def cdxj_indexer(path) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", str(path)], capture_output=True, text=True, check=True
    )
    return run.stdout.splitlines()


def test_cdxj_equals_pywb_reference(ref_warc, reference_dir):
    stats = generate_cdxj(ref_warc)
    assert stats.path.endswith(f"{REF_NAME}.cdx.gz")
    (ours,) = cdx_lines(stats.path)
    (pywb,) = (reference_dir / f"{REF_NAME}.pywb.cdxj").read_text().splitlines()
    key, ts, fields = parse(ours)
    ref_key, ref_ts, ref_fields = parse(pywb)
    assert (key, ts) == (ref_key, ref_ts)
    assert [k for k, _ in fields[:8]] == PYWB_KEYS
    assert fields[:8] == ref_fields
    # Common Crawl's extra keys, from the capture's metadata record
    assert fields[8:] == [("charset", "UTF-8"), ("languages", "eng")]
    # the exact serialisation of the shared prefix
    assert ours.startswith(pywb.rstrip("}"))


def test_first_keys_agree_with_cdxj_indexer(ref_warc, reference_dir, tmp_path):
    synthetic = tmp_path / "s.warc.gz"
    write_warc(synthetic, sample_captures())
    saved = (reference_dir / f"{REF_NAME}.cdxj-indexer.cdxj").read_text().splitlines()
    assert cdxj_indexer(ref_warc) == saved  # the judge behaves as recorded in the spec
    for warc in (ref_warc, synthetic):
        ours = sorted(parse(line) for line in cdx_lines(generate_cdxj(warc).path))
        theirs = sorted(parse(line) for line in cdxj_indexer(warc))
        assert len(ours) == len(theirs) > 0
        for (key, ts, fields), (their_key, their_ts, their_fields) in zip(ours, theirs, strict=True):
            assert (key, ts) == (their_key, their_ts)
            mine = dict(fields)
            for name, value in their_fields:
                if name == "digest":
                    value = value.removeprefix("sha1:")
                assert mine[name] == value, (name, key)


def test_cc_fields(tmp_path):
    warc = tmp_path / "s.warc.gz"
    write_warc(warc, sample_captures())
    lines = {
        parse(line)[2][0][1]: dict(parse(line)[2])
        for line in cdx_lines(generate_cdxj(warc, filename="crawl-data/X/s.warc.gz").path)
    }
    assert lines["https://example.org/redirect"]["redirect"] == "https://example.org/new-place"
    assert lines["https://example.org/old"]["mime"] == "warc/revisit"
    assert (
        "digest" not in lines["https://example.org/old"]
        and "mime-detected" not in lines["https://example.org/old"]
    )
    assert lines["https://example.net/trunc"]["truncated"] == "length"
    assert lines["https://shop.example.co.uk/item?id=2&b=1"]["languages"] == "deu,eng"
    assert all(v["filename"] == "crawl-data/X/s.warc.gz" for v in lines.values())
    assert list(lines["https://example.net/trunc"])[-1] == "truncated"


def test_sorted_in_bounded_memory(tmp_path):
    captures = [Capture(f"https://h{i % 7}.example/p{i}", page(str(i))) for i in range(60)]
    warc = tmp_path / "many.warc.gz"
    records = write_warc(warc, captures, with_records=True)
    out = tmp_path / "many.cdxj"
    writer = CdxjWriter(out, warc.name, max_bytes=2000)
    for rec in records:
        writer.add(rec)
    assert writer._sorter.runs > 3  # spilled to disk several times
    writer.close()
    lines = out.read_text().splitlines()
    assert len(lines) == 60 and lines == sorted(lines)
    unsorted = [line for line in cdx_lines(generate_cdxj(warc, sort=False).path)]
    assert sorted(unsorted) == lines and unsorted != lines


def test_external_sorter_merges_runs(tmp_path):
    import random

    rng = random.Random(5)
    items = [f"{rng.random():.12f} {i}" for i in range(5000)]
    with ExternalSorter(max_bytes=10_000, tmp_dir=str(tmp_path)) as sorter:
        for item in items:
            sorter.add(item)
        assert sorter.runs > 10
        assert list(sorter) == sorted(items)
    assert list(tmp_path.iterdir()) == []
