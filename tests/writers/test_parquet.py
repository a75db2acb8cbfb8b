"""Parquet columnar index: Common Crawl's schema, partitioning, and records found by DuckDB."""

from __future__ import annotations

import gzip

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ccdump.errors import WriterError
from ccdump.writers.cdxj import generate_cdxj
from ccdump.writers.parquet import ParquetIndexWriter, row_from_line
from tests.writers.warcgen import sample_captures, write_warc

# commoncrawl-formats.md §5 (cc-index-schema-flat.json), columns 1-30
CC_SCHEMA = [
    ("url_surtkey", "string", False),
    ("url", "string", False),
    ("url_host_name", "string", False),
    ("url_host_tld", "string", True),
    ("url_host_2nd_last_part", "string", True),
    ("url_host_3rd_last_part", "string", True),
    ("url_host_4th_last_part", "string", True),
    ("url_host_5th_last_part", "string", True),
    ("url_host_registry_suffix", "string", True),
    ("url_host_registered_domain", "string", True),
    ("url_host_private_suffix", "string", True),
    ("url_host_private_domain", "string", True),
    ("url_host_name_reversed", "string", True),
    ("url_protocol", "string", False),
    ("url_port", "int32", True),
    ("url_path", "string", False),
    ("url_query", "string", True),
    ("fetch_time", "timestamp[us, tz=UTC]", False),
    ("fetch_status", "int16", False),
    ("fetch_redirect", "string", True),
    ("content_digest", "string", True),
    ("content_mime_type", "string", True),
    ("content_mime_detected", "string", True),
    ("content_charset", "string", True),
    ("content_languages", "string", True),
    ("content_truncated", "string", True),
    ("warc_filename", "string", False),
    ("warc_record_offset", "int32", False),
    ("warc_record_length", "int32", False),
    ("warc_segment", "string", False),
]


@pytest.fixture()
def index(tmp_path):
    warc = tmp_path / "s.warc.gz"
    write_warc(warc, sample_captures())
    root = tmp_path / "table"
    with ParquetIndexWriter(root, "CC-MAIN-2099-01", "warc", segment="1700000000000.7") as writer:
        generate_cdxj(warc, tmp_path / "s.cdx.gz", parquet=writer)
    return warc, root, writer.stats


def test_schema_and_layout(index):
    _, root, stats = index
    assert stats.path == str(root / "crawl=CC-MAIN-2099-01" / "subset=warc" / "part-00000.c000.gz.parquet")
    meta = pq.ParquetFile(stats.path)
    schema = meta.schema_arrow
    assert [(f.name, str(f.type), f.nullable) for f in schema] == CC_SCHEMA
    assert meta.metadata.row_group(0).column(0).compression == "GZIP"
    table = pq.read_table(stats.path)
    keys = table.column("url_surtkey").to_pylist()
    assert keys == sorted(keys) and len(keys) == 8
    assert set(table.column("warc_segment").to_pylist()) == {"1700000000000.7"}


def test_duckdb_finds_records_by_registered_domain(index):
    warc, root, _ = index
    rows = duckdb.sql(
        f"SELECT url, warc_filename, warc_record_offset, warc_record_length, crawl, subset "
        f"FROM read_parquet('{root}/**/*.parquet', hive_partitioning=true) "
        "WHERE url_host_registered_domain = 'example.org' ORDER BY url"
    ).fetchall()
    assert [r[0] for r in rows] == [
        "https://example.org/image.png",
        "https://example.org/old",
        "https://example.org/redirect",
    ]
    data = warc.read_bytes()
    for url, filename, offset, length, crawl, subset in rows:
        assert (filename, crawl, subset) == ("s.warc.gz", "CC-MAIN-2099-01", "warc")
        record = gzip.decompress(data[offset : offset + length])
        assert f"WARC-Target-URI: {url}\r\n".encode() in record
        assert b"WARC-Type: response" in record or b"WARC-Type: revisit" in record
    # pyarrow reads the partitioned dataset too
    assert pq.read_table(root).num_rows == 8


def test_host_columns(index):
    _, root, _ = index
    table = {r["url"]: r for r in pq.read_table(root).to_pylist()}
    blog = table["http://foo.blogspot.com/"]
    assert (blog["url_host_registry_suffix"], blog["url_host_registered_domain"]) == ("com", "blogspot.com")
    assert (blog["url_host_private_suffix"], blog["url_host_private_domain"]) == (
        "blogspot.com",
        "foo.blogspot.com",
    )
    shop = table["https://shop.example.co.uk/item?id=2&b=1"]
    assert shop["url_host_name_reversed"] == "uk.co.example.shop"
    assert (shop["url_host_tld"], shop["url_host_2nd_last_part"], shop["url_host_3rd_last_part"]) == (
        "uk",
        "co",
        "example",
    )
    assert (shop["url_host_registered_domain"], shop["url_query"], shop["url_path"]) == (
        "example.co.uk",
        "id=2&b=1",
        "/item",
    )
    ip = table["http://93.184.216.34:8080/ip"]
    assert ip["url_port"] == 8080 and ip["url_host_name"] == "93.184.216.34"
    assert (
        ip["url_host_tld"] is None
        and ip["url_host_name_reversed"] is None
        and ip["url_host_registered_domain"] is None
    )
    assert table["https://www.example.com/a"]["url_port"] is None
    assert table["https://example.org/redirect"]["fetch_redirect"] == "https://example.org/new-place"
    assert table["https://example.org/redirect"]["fetch_status"] == 301
    assert table["https://www.example.com/a"]["content_languages"] == "eng"


def test_int96_and_next_part_number(tmp_path):
    line = 'com,example)/ 20240518015810 {"url": "https://example.com/", "mime": "text/html", "status": "200", "length": "10", "offset": "0", "filename": "crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc/x.warc.gz"}'
    for _ in range(2):
        with ParquetIndexWriter(tmp_path, "C", "crawldiagnostics", int96=True) as writer:
            writer.add_line(line)
    names = sorted(p.name for p in (tmp_path / "crawl=C" / "subset=crawldiagnostics").iterdir())
    assert names == ["part-00000.c000.gz.parquet", "part-00001.c000.gz.parquet"]
    table = pq.read_table(writer.path)
    assert table.column("warc_segment").to_pylist() == ["1715971057216.39"]  # from the crawl-data path
    assert pq.ParquetFile(writer.path).schema.column(17).physical_type == "INT96"
    assert table.schema.field("fetch_time").type in (
        pa.timestamp("ns"),
        pa.timestamp("ns", tz="UTC"),
        pa.timestamp("us", tz="UTC"),
    )


def test_offsets_beyond_int32_are_refused():
    line = 'com,example)/ 20240518015810 {"url": "https://example.com/", "status": "200", "length": "10", "offset": "3000000000", "filename": "f"}'
    with pytest.raises(WriterError, match="2 GiB"):
        row_from_line(line)


def test_per_record_api(tmp_path):
    warc = tmp_path / "s.warc.gz"
    records = write_warc(warc, sample_captures(), with_records=True)
    for rec in records:
        rec.segment = "seg-7"
    with ParquetIndexWriter(tmp_path / "t", "C", filename="s.warc.gz") as writer:
        for rec in records:
            writer.add(rec)
    rows = pq.read_table(writer.path).to_pylist()
    assert len(rows) == 8 and {r["warc_segment"] for r in rows} == {"seg-7"}
    assert {r["warc_record_offset"] for r in rows} == {
        r.offset for r in records if r.type in ("response", "revisit")
    }
