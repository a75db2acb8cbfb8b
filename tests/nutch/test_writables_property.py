"""Property tests: every Nutch Writable layout, encoded by our writers and decoded by our readers.

Covers Content (current and the zlib-wrapped v0/v1/v2 forms), CrawlDatum v4–v7 with metadata
(ProtocolStatus included), ParseData v4 and v5 in both outlink layouts, ParseText v1/v2 and
Inlinks with and without the per-inlink flag. Each value goes through ``decode_value``, which also
insists that every stored byte is consumed. A few fixed byte strings pin the encoders to the
layouts in spec nutch-writables.md, so encoder and decoder cannot drift together unnoticed.
"""

from __future__ import annotations

import struct
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccdump.hadoop.writables import DataInput, DataOutput, encode_java_utf
from ccdump.nutch import content, crawldatum, linkdb, parse
from ccdump.nutch.content import Content, write_content
from ccdump.nutch.crawldatum import CrawlDatum, write_crawl_datum
from ccdump.nutch.linkdb import Inlink, read_inlinks, write_inlinks
from ccdump.nutch.mapwritable import PROTOCOL_STATUS, TEXT, H, Writable
from ccdump.nutch.metadata import Metadata
from ccdump.nutch.parse import Outlink, ParseData, ParseText, write_parse_data, write_parse_text
from ccdump.nutch.status import OLD_STATUS, ParseStatus, ProtocolStatus
from ccdump.nutch.values import decode_value

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

short_text = st.text(max_size=40)
urls = st.builds(
    lambda host, path: f"http://{host}.example/{path}",
    st.text("abcxyz", min_size=1, max_size=8),
    st.text(max_size=30),
)
int32 = st.integers(-(2**31), 2**31 - 1)
int64 = st.integers(-(2**63), 2**63 - 1)
float32 = st.floats(width=32, allow_nan=False)


def _encode(writer, value) -> bytes:
    out = DataOutput()
    writer(out, value)
    return out.getvalue()


def metadata(max_names: int = 5) -> st.SearchStrategy[Metadata]:
    names = st.lists(short_text, unique=True, max_size=max_names)
    return names.flatmap(
        lambda ns: st.builds(
            lambda values: Metadata(list(zip(ns, values, strict=True))),
            st.lists(st.lists(short_text, min_size=1, max_size=3), min_size=len(ns), max_size=len(ns)),
        )
    )


# --- Content ------------------------------------------------------------------------------------------


@SETTINGS
@given(urls, urls, st.binary(max_size=3000), short_text, metadata())
def test_content_current(url: str, base: str, body: bytes, ctype: str, meta: Metadata) -> None:
    c = Content(url, base, body, ctype, meta)
    raw = _encode(write_content, c)
    assert raw[:4] == b"\xff\xff\xff\xff"
    assert decode_value(content.CLASS, raw) == c


@SETTINGS
@given(st.sampled_from([0, 1, 2]), urls, st.binary(max_size=2000), short_text, metadata())
def test_content_legacy_zlib_wrapped(version: int, url: str, body: bytes, ctype: str, meta: Metadata) -> None:
    c = Content(url, url, body, ctype, meta, version)
    raw = _encode(write_content, c)
    (n,) = struct.unpack(">i", raw[:4])
    assert n == len(raw) - 4 and raw[4:6] == b"\x78\x01"  # Deflater BEST_SPEED
    inner = zlib.decompress(raw[4:])
    assert inner[0] == version
    if version < 2:  # UTF8 strings: u16 length
        assert inner[1:3] == len(encode_java_utf(url)).to_bytes(2, "big")
    assert decode_value(content.CLASS, raw) == c


# --- CrawlDatum ----------------------------------------------------------------------------------------

hadoop_values = st.one_of(
    st.builds(lambda v: Writable(TEXT, v), short_text),
    st.builds(lambda v: Writable(H + "LongWritable", v), int64),
    st.builds(lambda v: Writable(H + "IntWritable", v), int32),
    st.builds(lambda v: Writable(H + "FloatWritable", v), float32),
    st.builds(lambda v: Writable(H + "BooleanWritable", v), st.booleans()),
    st.builds(lambda v: Writable(H + "BytesWritable", v), st.binary(max_size=40)),
    st.builds(lambda v: Writable(H + "MD5Hash", v), st.binary(min_size=16, max_size=16)),
    st.builds(lambda v: Writable(H + "VLongWritable", v), int64),
    st.just(Writable(H + "NullWritable", None)),
    st.builds(
        lambda code, lm, args: Writable(PROTOCOL_STATUS, ProtocolStatus(code, lm, args)),
        st.integers(0, 255),
        int64,
        st.none() | st.lists(st.none() | short_text, max_size=3),
    ),
)


def map_entries(values=hadoop_values, max_size: int = 5):
    return st.lists(st.tuples(st.builds(lambda k: Writable(TEXT, k), short_text), values), max_size=max_size)


@SETTINGS
@given(
    st.sampled_from([4, 5, 6, 7]),
    st.integers(0, 255),
    int64,
    st.integers(0, 255),
    int32,
    float32,
    int32,
    int64,
    st.none() | st.binary(min_size=1, max_size=16),
    map_entries(),
)
def test_crawl_datum_versions(
    version, status, fetch_time, retries, interval_s, interval_days, score_bits, modified, sig, meta
):
    if version < 5:  # old status codes, translated on read
        stored = status % 8
        kwargs = {"status": OLD_STATUS.get(stored, 0x01), "stored_status": stored}
    else:
        kwargs = {"status": status, "stored_status": status}
    interval = interval_s if version > 5 else interval_days
    d = CrawlDatum(
        fetch_time=fetch_time,
        retries=retries,
        fetch_interval=interval,
        score_bits=score_bits,
        modified_time=modified,
        signature=sig,
        metadata=meta,
        version=version,
        **kwargs,
    )
    raw = _encode(write_crawl_datum, d)
    assert raw[0] == version and raw[11:15] == (
        struct.pack(">i", interval) if version > 5 else struct.pack(">f", interval)
    )
    got = decode_value(crawldatum.CLASS, raw)
    assert got == d


def test_crawl_datum_spec_example() -> None:
    """The crawl_fetch value of spec nutch-writables.md §4.1, byte for byte."""
    expected = bytes.fromhex(
        "07 21 0000014bff89b346 00 00278d00 3f800000 0000000000000000 00 01"
        "01 01 0028" + b"org.apache.nutch.protocol.ProtocolStatus".hex() + "00000004"
        "8c 05" + b"_ngt_".hex() + "86 0000014bff899b1f"
        "8c 0c"
        + b"Content-Type".hex()
        + "8c 09"
        + b"text/html".hex()
        + "8c 05"
        + b"_pst_".hex()
        + "01 02 01 0000000000000000 ffffffff"
        "8c 04" + b"_rs_".hex() + "85 00000155"
    )
    d = decode_value(crawldatum.CLASS, expected)
    assert d.status == 0x21 and d.fetch_interval == 2_592_000 and d.protocol_status == ProtocolStatus(1)
    assert _encode(write_crawl_datum, d) == expected


# --- ParseData / ParseText ------------------------------------------------------------------------------

parse_status = st.builds(
    ParseStatus,
    st.integers(0, 2),
    st.integers(-(2**15), 2**15 - 1),
    st.none() | st.lists(short_text, max_size=2),
)


@SETTINGS
@given(
    parse_status,
    short_text,
    st.lists(st.tuples(urls, short_text, st.none() | map_entries(max_size=3)), max_size=5),
    metadata(),
    metadata(),
)
def test_parse_data_v5_with_outlink_flags(status, title, links, content_meta, parse_meta):
    p = ParseData(status, title, [Outlink(u, a, m) for u, a, m in links], content_meta, parse_meta, 5, "flag")
    raw = _encode(write_parse_data, p)
    assert decode_value(parse.PARSE_DATA, raw, outlink_layout="flag") == p


@SETTINGS
@given(parse_status, short_text, st.lists(st.tuples(urls, short_text), max_size=5), metadata(), metadata())
def test_parse_data_v5_before_nutch_1_8(status, title, links, content_meta, parse_meta):
    p = ParseData(status, title, [Outlink(u, a) for u, a in links], content_meta, parse_meta, 5, "plain")
    raw = _encode(write_parse_data, p)
    got = decode_value(parse.PARSE_DATA, raw, outlink_layout="plain")
    assert got == p
    # Without the per-part hint the layout is detected: the plain bytes never pass as flagged ones
    # here (URLs are longer than one byte, so no length byte can pose as a 00/01 flag).
    assert decode_value(parse.PARSE_DATA, raw, outlink_layout="flag").outlinks == p.outlinks


@SETTINGS
@given(
    st.builds(
        ParseStatus,
        st.integers(0, 2),
        st.integers(0, 300),
        st.none() | st.lists(short_text, max_size=2),
        st.just(1),
    ),
    short_text,
    st.lists(st.tuples(urls, short_text), max_size=5),
    metadata(),
    metadata(),
)
def test_parse_data_v4_nutch_0_8(status, title, links, content_meta, parse_meta):
    p = ParseData(status, title, [Outlink(u, a) for u, a in links], content_meta, parse_meta, 4, "utf8")
    raw = _encode(write_parse_data, p)
    assert raw[0] == 4
    assert decode_value(parse.PARSE_DATA, raw) == p


@SETTINGS
@given(st.sampled_from([1, 2]), st.text(max_size=3000))
def test_parse_text_versions(version: int, text: str) -> None:
    t = ParseText(text, version)
    raw = _encode(write_parse_text, t)
    assert raw[0] == version
    if version == 1:
        assert raw[5:7] == b"\x1f\x8b"  # int32 length, then a gzip member
    assert decode_value(parse.PARSE_TEXT, raw) == t


# --- Inlinks -------------------------------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.tuples(urls, short_text, st.none() | map_entries(max_size=3)), max_size=6))
def test_inlinks_with_flag(links) -> None:
    inlinks = [Inlink(u, a, m) for u, a, m in links]
    raw = _encode(lambda out, v: write_inlinks(out, v, with_flag=True), inlinks)
    assert decode_value(linkdb.CLASS, raw) == inlinks


@SETTINGS
@given(st.lists(st.tuples(urls, short_text), max_size=6))
def test_inlinks_without_flag(links) -> None:
    inlinks = [Inlink(u, a) for u, a in links]
    raw = _encode(lambda out, v: write_inlinks(out, v, with_flag=False), inlinks)
    assert decode_value(linkdb.CLASS, raw) == inlinks


@SETTINGS
@given(st.lists(st.tuples(urls, short_text), max_size=6))
def test_inlinks_nutch_0_8_utf8(links) -> None:
    out = DataOutput().i32(len(links))
    for u, a in links:
        out.utf8(u).utf8(a)
    assert read_inlinks(DataInput(out.getvalue()), legacy_utf8=True) == [Inlink(u, a) for u, a in links]
