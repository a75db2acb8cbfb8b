"""Every conformance segment as WARC, judged by warcio, FastWARC and cdxj-indexer, checked against the oracle.

The oracle (printed by the real Hadoop/Nutch readers) gives each document's stored bytes (SHA-1),
``_ip_``, stored headers and crawl_fetch datums; nothing below comes from ccdump's own mapping.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import time
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator

import ccdump
from tests.conftest import conformance_oracles
from tests.warc.helpers import gzip_members, read_records, split_http, tool

ORACLES = conformance_oracles()
IDS = [o.parent.name + "/" + s.name for o, s in ORACLES]
PST_STATUS = {1: 200, 12: 301, 13: 302, 21: 304}
OPTIONAL = {"WARC-Protocol", "WARC-Cipher-Suite", "WARC-Truncated"}


def oracle_documents(oracle: Path) -> list[dict]:
    """Per content record: key, content value and the crawl_fetch datum a fetch is described by."""
    contents, fetches = [], {}
    for line in oracle.open(encoding="utf-8"):
        rec = json.loads(line)
        if rec["type"] != "record":
            continue
        if rec["dir"] == "content":
            contents.append(rec)
        elif rec["dir"] == "crawl_fetch":
            fetches.setdefault(rec["key"], []).append(rec["value"])
    out = []
    for rec in contents:
        datums = fetches.get(rec["key"], [])
        datum = max(datums, key=lambda d: (0x21 <= d["status"] <= 0x26, d["status"] == 0x21, d["fetchTime"]), default=None)
        out.append({"key": rec["key"], "value": rec["value"], "datum": datum})
    return out


def expected_status(doc: dict) -> int:
    meta, datum = doc["value"]["metadata"], doc["datum"]
    if "_response.headers_" in meta:
        return int(meta["_response.headers_"][0].split(" ")[1])
    pst = datum["metadata"]["_pst_"]["value"]["code"]
    return PST_STATUS.get(pst) or int(datum["metadata"]["nutch.protocol.code"]["value"])


def expected_date(doc: dict) -> str:
    ms = doc["datum"]["fetchTime"] if doc["datum"] else int(doc["value"]["metadata"]["nutch.fetch.time"][0])
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def test_the_corpus_is_there(conformance):
    """Without it every test below is skipped; with CCDUMP_REQUIRE_CONFORMANCE=1 this one fails instead."""
    assert ORACLES, f"{conformance}: no oracle*.jsonl found"


@pytest.fixture(scope="module", params=ORACLES, ids=IDS)
def dumped(request, tmp_path_factory):
    oracle, segment = request.param
    out = tmp_path_factory.mktemp("warc")
    stats = ccdump.dump(str(out), str(segment), warc=True, gzip=True)
    files = sorted(out.glob("*.warc.gz"))
    assert [str(f) for f in files] == sorted(stats.outputs)
    return oracle, files, stats


def test_warcio_and_fastwarc_check_pass(dumped):
    _, files, _ = dumped
    result = tool("warcio", "check", "-v", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "digest pass" in result.stdout and "failed" not in result.stdout
    for f in files:
        result = tool("fastwarc", "check", "-p", "-q", str(f))
        assert result.returncode == 0, result.stdout + result.stderr


def test_warcio_index_lists_every_record_at_its_member(dumped):
    _, files, stats = dumped
    total = 0
    for f in files:
        members = gzip_members(f)
        result = tool("warcio", "index", "-f", "warc-type,warc-target-uri,offset,length", str(f))
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(int(r["offset"]), int(r["length"])) for r in rows] == [(m.offset, m.length) for m in members]
        assert rows[0]["warc-type"] == "warcinfo"
        total += len(rows)
    assert total == stats_records(files)


def stats_records(files: list[Path]) -> int:
    return sum(len(read_records(f)) for f in files)


def test_fastwarc_auto_decode_reads_every_payload(dumped):
    oracle, files, _ = dumped
    sha1 = {}
    for f in files:
        with f.open("rb") as stream:
            for rec in FastIterator(stream, parse_http=True, auto_decode="all"):
                body = rec.reader.read()
                if rec.record_type == WarcRecordType.response:
                    sha1[rec.headers["WARC-Target-URI"]] = hashlib.sha1(body).hexdigest()
    expected = {d["key"]: d["value"]["content_sha1"] for d in oracle_documents(oracle) if expected_status(d) != 304}
    assert sha1 == expected


def test_cdxj_indexer_offsets_point_at_readable_records(dumped):
    _, files, _ = dumped
    for f in files:
        result = tool("cdxj-indexer", str(f))
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines, "no index lines"
        raw = f.read_bytes()
        for line in lines:
            entry = json.loads(line.split(" ", 2)[2])
            offset, length = int(entry["offset"]), int(entry["length"])
            records = list(ArchiveIterator(io.BytesIO(raw[offset : offset + length])))
            assert len(records) == 1
            assert records[0].rec_headers.get_header("WARC-Target-URI") == entry["url"]
            assert records[0].rec_type == "response"


def test_every_document_as_the_oracle_says(dumped):
    oracle, files, stats = dumped
    docs = oracle_documents(oracle)
    found = {}
    for f in files:
        with f.open("rb") as stream:
            for rec in ArchiveIterator(stream):
                if rec.rec_type in ("response", "revisit", "resource"):
                    uri = rec.rec_headers.get_header("WARC-Target-URI")
                    assert uri not in found, f"{uri} written twice"
                    found[uri] = (rec.rec_type, dict(rec.rec_headers.headers), rec.http_headers, rec.content_stream().read())
    assert set(found) == {d["key"] for d in docs}
    assert stats.written == len(docs)
    for doc in docs:
        kind, headers, http, payload = found[doc["key"]]
        meta = doc["value"]["metadata"]
        status = expected_status(doc)
        assert kind == ("revisit" if status == 304 else "response"), doc["key"]
        assert http.get_statuscode() == str(status), doc["key"]
        assert headers["WARC-Date"] == expected_date(doc), doc["key"]
        assert headers.get("WARC-IP-Address") == str(ipaddress.ip_address(meta["_ip_"][0])), doc["key"]
        assert hashlib.sha1(payload).hexdigest() == doc["value"]["content_sha1"], doc["key"]
        assert headers["WARC-Identified-Payload-Type"] == doc["value"]["contentType"]
        declared = http.get_header("Content-Length")
        assert declared == str(doc["value"]["content_len"]), f"{doc['key']}: HTTP Content-Length {declared}"
        names = [k.lower() for k, _ in http.headers]
        assert "content-encoding" not in names and "transfer-encoding" not in names


def test_capture_layout_and_header_order_equal_the_reference(dumped, reference):
    """request, response, metadata in Common Crawl's order; each type's fields in the reference's order."""
    _, files, _ = dumped
    ref = {r.type: r.names for r in read_records(reference / "CC-MAIN-20240517233122-20240518023122-00000.warc.gz")}
    for f in files:
        records = read_records(f)
        assert records[0].type == "warcinfo" and records[0].get("WARC-Filename") == f.name
        info_id = records[0].get("WARC-Record-ID")
        ids = {r.get("WARC-Record-ID") for r in records}
        assert len(ids) == len(records)
        previous = None
        for rec in records:
            assert rec.version == "WARC/1.0"
            names = [n for n in rec.names if n not in OPTIONAL]
            expected = list(ref[rec.type])
            if rec.type == "response" and (previous is None or previous.type != "request"):
                expected.remove("WARC-Concurrent-To")  # only refers to a request record written before it
            assert names == expected, f"{rec.type}: {rec.names}"
            if rec.type != "warcinfo":
                assert rec.get("WARC-Warcinfo-ID") == info_id
            if rec.type == "response" and rec.get("WARC-Concurrent-To"):
                assert previous is not None and previous.type == "request"
                assert rec.get("WARC-Concurrent-To") == previous.get("WARC-Record-ID")
            if rec.type == "metadata":
                assert previous is not None and previous.type in ("response", "revisit", "resource")
                assert rec.get("WARC-Concurrent-To") == previous.get("WARC-Record-ID")
                assert rec.block.endswith(b"\r\n\r\n") and rec.block.startswith(b"fetchTimeMs: ")
            if rec.type == "response":
                status, fields, payload = split_http(rec.block)
                assert status.startswith(("HTTP/1.1 ", "HTTP/1.0 ")), status
                tail = [n for n in rec.names if n in OPTIONAL or n in ("WARC-Target-URI", "WARC-Payload-Digest")]
                assert tail[0] == "WARC-Target-URI" and tail[-1] in ("WARC-Payload-Digest", "WARC-Truncated")
                assert [v.strip() for k, v in fields if k.lower() == "content-length"] == [str(len(payload))]
            previous = rec
