"""SegmentWriter and write_linkdb: round trips through our reader, Nutch's layout rules checked
against Hadoop/Nutch-written conformance segments, and the committed sample fixture."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from ccdump.hadoop.crc import verify_crc
from ccdump.hadoop.mapfile import MapFileReader
from ccdump.hadoop.sequencefile import SequenceFileReader
from ccdump.hadoop.writer import hash_partition
from ccdump.nutch import linkdb as linkdb_mod
from ccdump.nutch.content import Content
from ccdump.nutch.crawldatum import CrawlDatum, bits_from_float
from ccdump.nutch.linkdb import Inlink
from ccdump.nutch.mapwritable import PROTOCOL_STATUS, TEXT, Writable
from ccdump.nutch.metadata import Metadata
from ccdump.nutch.parse import Outlink, ParseData, ParseText
from ccdump.nutch.segment_writer import (
    FOLDERS,
    SegmentWriter,
    generate_sort_hash,
    serialize_value,
    url_partition,
    write_linkdb,
)
from ccdump.nutch.status import ParseStatus, ProtocolStatus
from ccdump.nutch.values import decode_value
from tests.conftest import FIXTURES, REPO

MAPFILES = ("content", "crawl_fetch", "parse_data", "parse_text")
CALL_KEY = {
    "content": "content",
    "crawl_fetch": "fetch",
    "parse_data": "parse_data",
    "parse_text": "parse_text",
}
DATUM = "org.apache.nutch.crawl.CrawlDatum"


def _group(rng: random.Random, url: str, i: int) -> list[dict]:
    """The add() calls for one URL (two for a redirect target: the linked datum, then its fetch)."""
    fetch = CrawlDatum(
        0x21,
        1_732_181_540_000 + i,
        0,
        2_592_000,
        bits_from_float(rng.random()),
        0,
        None,
        [(Writable(TEXT, "_pst_"), Writable(PROTOCOL_STATUS, ProtocolStatus(1)))],
    )
    call: dict = {"url": url, "generate": CrawlDatum(1, 1_732_000_000_000 + i), "fetch": fetch}
    if i % 7 != 3:  # some fetches have no content (404, robots-denied)
        body = rng.randbytes(rng.randint(0, 4000))
        call["content"] = Content(
            url, url, body, "text/html", Metadata([("Server", ["x"]), ("_fst_", ["33"])])
        )
        outs = [f"https://out{j}.example/{i}" for j in range(rng.randint(0, 4))]
        call["parse_data"] = ParseData(ParseStatus(1, 0), f"title {i}", [Outlink(o, "a") for o in outs])
        call["parse_text"] = ParseText(f"text of {url}")
        call["crawl_parse"] = [(url, CrawlDatum(0x41, 5, signature=hashlib.md5(body).digest()))] + [
            (o, CrawlDatum(0x43, 6)) for o in outs
        ]
    calls = [call]
    if i % 11 == 5:
        calls.insert(
            0,
            {
                "url": url,
                "fetch": CrawlDatum(0x43, 7, metadata=[(Writable(TEXT, "_repr_"), Writable(TEXT, url))]),
            },
        )
    return calls


def _groups(n: int = 80, seed: int = 1) -> list[list[dict]]:
    rng = random.Random(seed)
    hosts = ["www.example.com", "blog.example.org", "ÜBER.example.de", "xn--r8jz45g.jp", "[2001:db8::1]:8080"]
    urls = sorted({f"https://{rng.choice(hosts)}/p/{rng.randint(0, 10_000)}?q=ü" for _ in range(n)})
    return [_group(rng, u, i) for i, u in enumerate(urls)]


def _write(path: Path, calls: list[dict], **options) -> None:
    with SegmentWriter(str(path), sync_seed="test", **options) as w:
        for call in calls:
            w.add(**call)


def _read(path: Path) -> list[tuple[bytes, bytes]]:
    with SequenceFileReader(str(path)) as r:
        return [(rec.key, rec.value) for rec in r]


def _part_files(segment: Path, folder: str) -> list[Path]:
    parts = sorted((segment / folder).glob("part-*"))
    return [p / "data" if p.is_dir() else p for p in parts]


def test_round_trip_unsorted_input_with_spilled_runs(tmp_path: Path) -> None:
    groups = _groups()
    calls = [c for g in random.Random(2).sample(groups, len(groups)) for c in g]
    segment = tmp_path / "20241121120000"
    _write(segment, calls, parts=3, max_in_memory=7, compression="BLOCK", block_size=5000)

    for folder in MAPFILES:
        expected = sorted(
            (c["url"].encode(), serialize_value(v))
            for c in calls
            for v in (c.get(CALL_KEY[folder]),)
            if v is not None
        )
        got = []
        for p, f in enumerate(_part_files(segment, folder)):
            recs = _read(f)
            keys = [k for k, _ in recs]
            assert keys == sorted(keys), f"{folder} part {p} not sorted"
            assert {hash_partition(k, 3) for k in keys} <= {p}
            got += recs
        assert sorted(got) == expected, folder
    # Duplicate crawl_fetch keys keep the order they were added in (linked datum, then the fetch).
    dup = next(g for g in groups if len(g) == 2)
    url = dup[0]["url"].encode()
    fetched = [
        decode_value(DATUM, v) for f in _part_files(segment, "crawl_fetch") for k, v in _read(f) if k == url
    ]
    assert [d.status for d in fetched] == [0x43, 0x21]

    # crawl_generate: host partitioning, Generator hash order.
    gen_calls = [c for c in calls if "generate" in c]
    gen_got = []
    for p, f in enumerate(_part_files(segment, "crawl_generate")):
        recs = _read(f)
        assert all(url_partition(k.decode(), 3) == p for k, _ in recs)
        hashes = [generate_sort_hash(k) for k, _ in recs]
        assert hashes == sorted(hashes)
        gen_got += recs
    assert sorted(gen_got) == sorted((c["url"].encode(), serialize_value(c["generate"])) for c in gen_calls)

    # crawl_parse: in the source URL's part, grouped by source URL in sorted order.
    for p, f in enumerate(_part_files(segment, "crawl_parse")):
        sources = sorted(
            c["url"] for c in calls if c.get("crawl_parse") and hash_partition(c["url"].encode(), 3) == p
        )
        by_url = {c["url"]: c["crawl_parse"] for c in calls if c.get("crawl_parse")}
        expected_cp = [(k.encode(), serialize_value(v)) for u in sources for k, v in by_url[u]]
        assert _read(f) == expected_cp

    # Decoded values equal what went in (one of each class).
    first = groups[0][-1]
    recs = dict(_read(_part_files(segment, "content")[hash_partition(first["url"].encode(), 3)]))
    if "content" in first:
        assert (
            decode_value("org.apache.nutch.protocol.Content", recs[first["url"].encode()]) == first["content"]
        )

    assert (segment / "_SUCCESS").exists() and (segment / "crawl_generate" / "_SUCCESS").exists()
    names = [n for _, dirs, files in os.walk(segment) for n in dirs + files]
    assert not [n for n in names if "inprogress" in n or "spill" in n]
    data_files = [Path(r) / n for r, _, files in os.walk(segment) for n in files if not n.startswith(".")]
    assert data_files and all(verify_crc(str(p)) for p in data_files)


def test_presorted_and_unsorted_input_give_identical_bytes(tmp_path: Path) -> None:
    groups = _groups(60, seed=4)
    sorted_calls = [c for g in groups for c in g]
    shuffled = [c for g in random.Random(5).sample(groups, len(groups)) for c in g]
    _write(tmp_path / "a", sorted_calls, parts=2, presorted=True)
    _write(tmp_path / "b", shuffled, parts=2, max_in_memory=5)
    _assert_same_tree(tmp_path / "a", tmp_path / "b")


def _assert_same_tree(a: Path, b: Path) -> None:
    files_a = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    files_b = sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    differing = [f for f in files_a if (a / f).read_bytes() != (b / f).read_bytes()]
    assert differing == []


def test_presorted_input_out_of_order_is_refused(tmp_path: Path) -> None:
    w = SegmentWriter(str(tmp_path / "s"), presorted=True)
    w.add("https://b.example/", fetch=CrawlDatum(0x21))
    with pytest.raises(ValueError, match="out of order"):
        w.add("https://a.example/", fetch=CrawlDatum(0x21))
    w.abort()
    assert not [p for p in (tmp_path / "s").rglob("*") if p.is_file()]


def test_old_style_segment(tmp_path: Path) -> None:
    calls = [c for g in _groups(40, seed=8) for c in g]
    segment = tmp_path / "20150309101625"
    _write(segment, calls, old_style=True, folders=("crawl_generate", "crawl_fetch", "content"))
    assert sorted(p.name for p in segment.iterdir()) == [
        "._SUCCESS.crc",
        "_SUCCESS",
        "content",
        "crawl_fetch",
        "crawl_generate",
    ]
    assert [p.name for p in (segment / "content").iterdir()] == ["part-00000"]
    with SequenceFileReader(str(segment / "content" / "part-00000" / "data")) as r:
        list(r)
        assert r.stats.sync_count > 10  # the 2 000-byte interval of Hadoop ≤ 2
    keys = [k for k, _ in _read(segment / "crawl_generate" / "part-00000")]
    hashes = [generate_sort_hash(k, with_length=True) for k in keys]
    assert hashes == sorted(hashes)


def test_linkdb_round_trip(tmp_path: Path) -> None:
    rng = random.Random(3)
    data = [
        (
            f"https://t{rng.randint(0, 999)}.example/",
            [Inlink(f"https://s{j}.example/", f"anchor {j}") for j in range(rng.randint(1, 4))],
        )
        for _ in range(300)
    ]
    paths = write_linkdb(str(tmp_path / "linkdb"), data, parts=2, max_in_memory=50)
    assert [Path(p).name for p in paths] == ["part-r-00000", "part-r-00001"]
    assert not (tmp_path / "linkdb" / "current" / "_SUCCESS").exists()  # LinkDb turns the marker off
    expected: dict[bytes, list[list[Inlink]]] = {}
    for url, inl in data:
        expected.setdefault(url.encode(), []).append(inl)
    for p, path in enumerate(paths):
        reader = MapFileReader(path)
        keys = [rec.key for rec in reader]
        assert keys == sorted(keys) and {hash_partition(k, 2) for k in keys} <= {p}
        for k in set(keys):
            got = [decode_value(linkdb_mod.CLASS, r.value) for r in reader.get_all(k)]
            assert got == expected[k]
        assert reader.index.header.kind == "BLOCK"


def test_linkdb_pre_1_21_layout(tmp_path: Path) -> None:
    paths = write_linkdb(
        str(tmp_path / "l"), [("https://a.example/", [Inlink("https://b.example/", "x")])], inlink_flag=False
    )
    (rec,) = list(MapFileReader(paths[0]))
    assert rec.value == bytes.fromhex("00000001") + b"\x12https://b.example/" + b"\x01x"  # no flag byte
    assert decode_value(linkdb_mod.CLASS, rec.value) == [Inlink("https://b.example/", "x")]


# --- Nutch's partitioning and ordering, checked on Nutch-written segments ----------------------------


def test_partitioning_matches_a_two_reducer_nutch_segment(conformance: Path) -> None:
    segment = conformance / "generated" / "i_two_parts" / "segments" / "20241121093000"
    for folder in MAPFILES:
        for p, f in enumerate(_part_files(segment, folder)):
            assert {hash_partition(k, 2) for k, _ in _read(f)} == {p}, folder
    # The Generator partitions by host, XORing a random per-run seed; with two parts only its low
    # bit matters, and this run's seed was odd.
    for p, f in enumerate(_part_files(segment, "crawl_generate")):
        assert {url_partition(k.decode(), 2, "host", seed=1) for k, _ in _read(f)} == {p}


@pytest.mark.parametrize(
    ("variant", "with_length"),
    [
        ("generated/n_nutch_defaults/segments/20241121093000", False),
        ("generated/i_two_parts/segments/20241121093000", False),
        ("nutch-test-segments-2015/segments/20150309101656", True),
    ],
)
def test_generate_order_matches_nutch(conformance: Path, variant: str, with_length: bool) -> None:
    for f in _part_files(conformance / variant, "crawl_generate"):
        keys = [k for k, _ in _read(f)]
        hashes = [generate_sort_hash(k, with_length) for k in keys]
        assert len(keys) > 10 and hashes == sorted(hashes)
        # ... and the other hash variant does not explain the order (the test can tell them apart).
        other = [generate_sort_hash(k, not with_length) for k in keys]
        assert other != sorted(other)


# --- the committed sample --------------------------------------------------------------------------

SAMPLE = FIXTURES / "sample"
#: SHA-1 of zlib.compress(PROBE, 6) with the zlib the fixture was built with (1.2.x/1.3, as Java's).
PROBE = b"ccdump fixture probe: " + bytes(range(256)) * 8 + b"the quick brown fox " * 50
EXPECTED_PROBE_SHA1 = "dcb9b3c440817ce096b8ddf3a66dbb9ca30aabe2"


def test_make_sample_regenerates_the_committed_fixture(tmp_path: Path) -> None:
    """``fixtures/make_sample.py`` rebuilds ``fixtures/sample`` byte for byte.

    The segment's RECORD-compressed values come from zlib; a zlib build that emits different (but
    equally valid) deflate bytes, such as zlib-ng, cannot reproduce them, which the probe detects.
    """
    assert SAMPLE.is_dir(), "run: python fixtures/make_sample.py fixtures/sample"
    out = tmp_path / "sample"
    subprocess.run([sys.executable, str(FIXTURES / "make_sample.py"), str(out)], check=True, cwd=REPO)
    try:
        _assert_same_tree(SAMPLE, out)
    except AssertionError:
        if hashlib.sha1(zlib.compress(PROBE, 6)).hexdigest() != EXPECTED_PROBE_SHA1:
            pytest.skip(f"this zlib ({zlib.ZLIB_RUNTIME_VERSION}) deflates differently; bytes cannot match")
        raise
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 300_000


def test_sample_covers_what_it_promises() -> None:
    segment = SAMPLE / "segments" / "20241121120000"
    contents = {
        k.decode(): decode_value("org.apache.nutch.protocol.Content", v)
        for k, v in _read(_part_files(segment, "content")[0])
    }
    fetches: dict[str, list[CrawlDatum]] = {}
    for k, v in _read(_part_files(segment, "crawl_fetch")[0]):
        fetches.setdefault(k.decode(), []).append(decode_value(DATUM, v))
    names = {n for c in contents.values() for n in c.metadata.names()}
    assert {
        "_ip_",
        "_request_",
        "_response.headers_",
        "nutch.fetch.time",
        "nutch.segment.name",
        "_fst_",
    } <= names
    assert any("content-type" in c.metadata.names() for c in contents.values())  # HTTP/2, lower case
    charsets = {(c.metadata.get("Content-Type") or "").rpartition("=")[2].lower() for c in contents.values()}
    assert {"utf-8", "iso-8859-1", "windows-1252", "shift_jis"} <= charsets
    assert any(
        b'charset=iso-8859-15"' in c.content and c.metadata.get("Content-Type") == "text/html"
        for c in contents.values()
    )
    gz = [c for c in contents.values() if c.metadata.get("Content-Encoding") == "gzip"]
    assert gz and gz[0].content.startswith(b"<!DOCTYPE html>")  # stored decoded
    assert any(
        c.metadata.get("Location", "").startswith("https://") and c.url.startswith("http://")
        for c in contents.values()
    )
    pdf = next(c for c in contents.values() if c.content_type == "application/pdf")
    assert pdf.content.startswith(b"%PDF-1.4") and pdf.content.rstrip().endswith(b"%%EOF")
    assert any(b"<img src=" in c.content and b" alt=" in c.content for c in contents.values())
    gone = [
        u
        for u, ds in fetches.items()
        if any(d.protocol_status and d.protocol_status.name == "notfound" for d in ds)
    ]
    denied = [
        u
        for u, ds in fetches.items()
        if any(d.protocol_status and d.protocol_status.name == "robots_denied" for d in ds)
    ]
    assert gone and denied and not (set(gone) | set(denied)) & set(contents)
    assert any(len(ds) == 2 for ds in fetches.values())  # a redirect target that was fetched too
    with SequenceFileReader(str(_part_files(segment, "parse_data")[0])) as r:
        pdata = [decode_value(r.header.value_class, rec.value) for rec in r]
    assert any(o.metadata for p in pdata for o in p.outlinks)
    assert MapFileReader(str(SAMPLE / "linkdb" / "current" / "part-r-00000")).get(
        b"https://blog.example.org/"
    )
    assert set(FOLDERS) <= {p.name for p in segment.iterdir()}
