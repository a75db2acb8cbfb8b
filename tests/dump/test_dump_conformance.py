"""Every conformance document dumped; each CBOR file decodes (cbor2) to the record the oracle implies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cbor2
import pytest

import ccdump
from ccdump.nutch.segment import Segment
from ccdump.web.urls import encode_path, host
from ccdump.writers.layout import LayoutOptions, relative_path
from tests.conftest import conformance_oracles, output_files

ORACLES = conformance_oracles()
IDS = [o.parent.name + "/" + s.name for o, s in ORACLES]

FIXED = ("content-encoding", "content-type", "date", "server")


def _contents(oracle: Path) -> list[dict]:
    out = []
    for line in oracle.open(encoding="utf-8"):
        rec = json.loads(line)
        if rec["type"] == "record" and rec["dir"] == "content":
            out.append(rec)
    return out


def _first(meta: dict, name: str) -> str:
    for k, v in meta.items():
        if k.lower() == name.lower():
            return v[0]
    return ""


@pytest.mark.parametrize(("oracle", "segment"), ORACLES, ids=IDS)
def test_every_document_dumped_as_oracle_says(oracle, segment, tmp_path):
    stats = ccdump.dump(str(tmp_path), str(segment))
    contents = _contents(oracle)
    raw = {d.url: d.content.content for d in Segment(str(segment)).documents() if d.content is not None}
    keys = {rec["key"] for rec in contents}
    assert stats.documents == len(contents)
    assert stats.written + stats.collisions == len(contents)
    assert stats.written == len(keys)
    for rec in contents:
        key, value = rec["key"], rec["value"]
        path = tmp_path / relative_path(key, LayoutOptions())
        data = path.read_bytes()
        assert data[:3] == b"\xd9\xd9\xf7"
        record = json.loads(cbor2.loads(data))
        meta = value["metadata"]
        assert list(record) == ["url", "timestamp", "request", "response", "key", "imported"]
        assert record["url"] == encode_path(key)
        assert record["key"] == key
        assert record["timestamp"] == _first(meta, "Last-Modified")
        assert record["imported"] == _first(meta, "Date")
        response = record["response"]
        assert response["server"] == {"hostname": host(key), "address": _first(meta, "_ip_")}
        headers = response["headers"]
        assert list(headers)[:4] == ["Content-Encoding", "Content-Type", "Date", "Server"]
        for name in ("Content-Encoding", "Content-Type", "Date", "Server"):
            assert headers[name] == _first(meta, name), name
        others = {k: v[0] for k, v in meta.items() if k.lower() not in FIXED}
        assert {k: v for k, v in headers.items() if k not in ("Content-Encoding", "Content-Type", "Date", "Server")} == others
        body = response["body"]
        if value["content_len"] == 0:
            assert body == ""
        elif "text/html" in value["contentType"]:
            assert hashlib.sha1(raw[key]).hexdigest() == value["content_sha1"]
            # decoded with the page's charset: no replacement characters but those the page holds
            assert body.count("\ufffd") == raw[key].count("\ufffd".encode()), f"{key}: body mis-decoded"
            assert len(body) >= value["content_len"] // 3


def test_nutch_test_segment_file_names(conformance, tmp_path):
    """File names Nutch's own TestCommonCrawlDataDumper expects for its test segments."""
    segments = conformance / "nutch-test-segments-2015" / "segments"
    stats = ccdump.dump(str(tmp_path), str(segments))
    names = {p.name for p in output_files(tmp_path)}
    assert stats.written == 50 == len(names)
    for expected in (
        "c463a4381eb837f9f5d45978cfbde79e_.html",
        "32fb7fe362e1a0d8a1b15addf2a00bdc_1.9-rel",
        "c830cfc5c28bed10e69d5b83e9c1bcdc_nutch_2.3",
        "64adaebadd44e487a8b58894e979dc70_CHANGES.txt",
    ):
        assert expected in names
    assert (tmp_path / "c1" / "fc" / "c463a4381eb837f9f5d45978cfbde79e_.html").is_file()


def test_worked_example_record(conformance, tmp_path):
    """The spec's worked example (nutch-dumper.md §3.6): stored header order, values, dates."""
    seg = conformance / "nutch-test-segments-2015" / "segments" / "20150309101625"
    ccdump.dump(str(tmp_path), str(seg))
    data = (tmp_path / "c1/fc/c463a4381eb837f9f5d45978cfbde79e_.html").read_bytes()
    record = json.loads(cbor2.loads(data))
    assert record["timestamp"] == "Tue, 27 Jan 2015 20:51:29 GMT"
    assert list(record["response"]["headers"]) == [
        "Content-Encoding", "Content-Type", "Date", "Server", "ETag", "_ip_", "Content-Length",
        "Last-Modified", "_fst_", "nutch.segment.name", "Connection", "Vary", "nutch.crawl.score", "Accept-Ranges",
    ]
    assert record["response"]["headers"]["Content-Encoding"] == "gzip"
    assert record["response"]["server"]["address"] == "88.198.26.2"
    assert record["response"]["body"].startswith("<!DOCTYPE html")
    out2 = tmp_path / "sdf"
    ccdump.dump(str(out2), str(seg), simple_date_format=True, reverse_key=True)
    rec2 = json.loads(cbor2.loads((out2 / "c1/fc/c463a4381eb837f9f5d45978cfbde79e_.html").read_bytes()))
    assert rec2["timestamp"] == "1422391889000"
    assert rec2["response"]["headers"]["Date"] == rec2["imported"] == "1425921400000"
    assert rec2["key"] == "org_apache_nutch_feeae1d5b1bb64fdaa1c16ae6ed8472a8f5bcf77_1425921400000"
