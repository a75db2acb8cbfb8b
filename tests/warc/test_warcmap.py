"""Document → records, case by case: HTTP header repair, rebuilt headers, truncation, URIs, fallbacks."""

from __future__ import annotations

import hashlib
import re
from base64 import b32encode

import pytest

from ccdump.config import NutchConfig
from ccdump.nutch.metadata import Metadata
from ccdump.nutch.parse import ParseData
from ccdump.nutch.status import ParseStatus
from ccdump.warcmap import (
    WarcMapper,
    canonical_ip,
    fix_http_headers,
    fix_request,
    normalise_head,
    rebuild_http_headers,
    target_uri,
    truncation,
)
from tests.warc.helpers import make_doc, split_http

CRLF = "\r\n"
# RFC 3986 URI characters (reserved + unreserved + '%' of a pct-encoded triplet)
URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]*(?:%[0-9A-F]{2}[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]*)*$")


def head(*lines: str) -> str:
    return CRLF.join(lines) + CRLF + CRLF


def sha1_b32(data: bytes) -> str:
    return "sha1:" + b32encode(hashlib.sha1(data).digest()).decode()


def mapper(**config: str) -> WarcMapper:
    counter = iter(range(1000))
    return WarcMapper(NutchConfig(config), make_id=lambda: f"<urn:uuid:00000000-0000-4000-8000-{next(counter):012d}>")


# --- fixHttpHeaders ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "fixed"),
    [("HTTP/2 200 ", "HTTP/1.1 200 "), ("HTTP/2 404", "HTTP/1.1 404 "), ("HTTP/1.0 200 OK", "HTTP/1.0 200 OK"),
     ("HTTP/1.1 301 Moved Permanently", "HTTP/1.1 301 Moved Permanently"), ("HTTP/3 204 No Content", "HTTP/1.1 204 No Content")],
)  # fmt: skip
def test_status_line_normalised_as_common_crawl_does(status, fixed):
    assert fix_http_headers(head(status, "Server: x"), 0).split(CRLF)[0] == fixed


def test_encodings_renamed_with_original_case_and_true_length_after_wrong_one():
    fixed = fix_http_headers(head("HTTP/1.1 200 OK", "content-encoding: gzip", "Content-Length: 391", "Vary: x"), 866)
    assert fixed == head("HTTP/1.1 200 OK", "X-Crawler-content-encoding: gzip", "X-Crawler-Content-Length: 391",
                         "Content-Length: 866", "Vary: x")


def test_transfer_encoding_and_identity_renamed_missing_length_appended_last():
    fixed = fix_http_headers(head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "Content-Encoding: identity", "A: b"), 12)
    assert fixed == head("HTTP/1.1 200 OK", "X-Crawler-Transfer-Encoding: chunked",
                         "X-Crawler-Content-Encoding: identity", "A: b", "Content-Length: 12")


@pytest.mark.parametrize(("value", "kept"), [(" 12 ", True), ("+12", True), ("12x", False), ("", False), ("1_2", False)])
def test_content_length_kept_only_when_it_parses_to_the_payload_length(value, kept):
    fixed = fix_http_headers(head("HTTP/1.1 200 OK", f"Content-Length:{value}"), 12)
    lines = fixed.split(CRLF)
    assert (lines[1] == f"Content-Length:{value}") is kept
    assert lines.count("Content-Length: 12") == (0 if kept else 1)


def test_invalid_and_empty_lines_dropped_line_ends_normalised():
    raw = "HTTP/1.1 200 OK\nServer: a\n\nno colon here\r\nX: y\n\n\n"
    assert fix_http_headers(normalise_head(raw), 0) == head("HTTP/1.1 200 OK", "Server: a", "X: y", "Content-Length: 0")


# --- rebuilt headers ---------------------------------------------------------------------------------


def test_rebuilt_header_skips_internal_keys_keeps_values_and_order():
    meta = Metadata([
        ("content-type", ["text/html"]), ("_ip_", ["1.2.3.4"]), ("Set-Cookie", ["a=1", "b=2"]),
        ("Content-Encoding", ["br"]), ("Transfer-Encoding", ["identity"]), ("Content-Length", ["40"]),
        ("nutch.segment.name", ["s"]), ("_fst_", ["33"]), ("nutch.protocol.code", ["200"]), ("Bad Name", ["x"]),
    ])  # fmt: skip
    assert rebuild_http_headers("HTTP/1.1 200 OK", meta, 100) == head(
        "HTTP/1.1 200 OK", "content-type: text/html", "Set-Cookie: a=1", "Set-Cookie: b=2",
        "X-Crawler-Content-Encoding: br", "Transfer-Encoding: identity", "Content-Length: 100",
        "X-Crawler-Content-Length: 40",
    )  # fmt: skip
    assert rebuild_http_headers("HTTP/1.1 200 OK", Metadata([("A", ["x\r\ny"])]), 3) == head(
        "HTTP/1.1 200 OK", "A: x  y", "Content-Length: 3")


@pytest.mark.parametrize(
    ("kwargs", "status_line"),
    [({"pst": 1}, "HTTP/1.1 200 OK"), ({"pst": 12}, "HTTP/1.1 301 Moved Permanently"), ({"pst": 13}, "HTTP/1.1 302 Found"),
     ({"pst": 14, "protocol_code": "404"}, "HTTP/1.1 404 Not Found"), ({"pst": None, "protocol_code": "599"}, "HTTP/1.1 599 ")],
)  # fmt: skip
def test_status_line_from_fetch_status_without_stored_headers(kwargs, status_line):
    capture = mapper().capture(make_doc(meta=[("Content-Type", ["text/html"])], **kwargs))
    assert capture is not None and capture.main.type == "response"
    status, fields, payload = split_http(capture.main.head + capture.main.payload)
    assert status == status_line
    assert fields[-1] == ("Content-Length", " 28") and payload == b"<html><body>hi</body></html>"


def test_no_datum_fetch_status_33_is_a_200():
    capture = mapper().capture(make_doc(status=None, meta=[("_fst_", ["33"])]))
    assert capture is not None and capture.main.head.startswith(b"HTTP/1.1 200 OK\r\n")


def test_resource_record_only_when_no_status_line_can_be_found():
    doc = make_doc(pst=2, meta=[("_ip_", ["2001:0db8::0001"]), ("_request_", ["GET /a HTTP/1.1\r\nHost: example.org\r\n\r\n"])],
                   content_type="application/pdf", payload=b"%PDF-1.4 x")
    capture = mapper().capture(doc)
    assert capture is not None
    request, main = capture.records[:2]
    assert main.type == "resource" and main.head == b"" and main.payload == b"%PDF-1.4 x"
    assert [k for k, _ in main.fields] == [
        "WARC-Type", "WARC-Date", "WARC-Record-ID", "Content-Length", "Content-Type", "WARC-Warcinfo-ID",
        "WARC-Concurrent-To", "WARC-IP-Address", "WARC-Target-URI", "WARC-Payload-Digest", "WARC-Block-Digest",
        "WARC-Identified-Payload-Type"]  # fmt: skip
    fields = dict(main.fields)
    assert fields["Content-Type"] == "application/pdf" and fields["WARC-Concurrent-To"] == request.record_id
    assert fields["WARC-Payload-Digest"] == fields["WARC-Block-Digest"] == sha1_b32(b"%PDF-1.4 x")
    assert fields["WARC-IP-Address"] == "2001:db8::1"


def test_revisit_for_not_modified():
    doc = make_doc(status=0x26, pst=21, modified_ms=1_700_000_000_000, payload=b"",
                   meta=[("_request_", ["GET /a HTTP/2\r\n\r\n"]), ("_response.headers_", ["HTTP/2 304 \r\netag: x\r\n\r\n"])])
    capture = mapper().capture(doc)
    assert capture is not None
    request, main = capture.records[:2]
    assert request.head == b"GET /a HTTP/1.1\r\n\r\n"
    assert main.type == "revisit" and main.payload == b""
    assert main.head == head("HTTP/1.1 304 ", "etag: x", "Content-Length: 0").encode()
    assert [k for k, _ in main.fields] == [
        "WARC-Type", "WARC-Date", "WARC-Record-ID", "Content-Length", "Content-Type", "WARC-Warcinfo-ID",
        "WARC-Refers-To", "WARC-Target-URI", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date", "WARC-Profile",
        "WARC-Block-Digest"]  # fmt: skip
    fields = dict(main.fields)
    assert fields["WARC-Refers-To"] == request.record_id
    assert fields["WARC-Refers-To-Date"] == "2023-11-14T22:13:20Z"
    assert fields["WARC-Profile"] == "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    assert fields["WARC-Block-Digest"] == sha1_b32(main.head)
    assert fields["Content-Type"] == "application/http; msgtype=response"


# --- WARC-Truncated ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "limit", "expected"),
    [([("http.content.truncated.reason", ["LENGTH"])], 0, "length"),
     ([("http.content.truncated.reason", ["time"]), ("Content-Length", ["1"])], 0, "time"),
     ([("http.content.truncated.reason", ["because"])], 0, "unspecified"),
     ([("http.content.truncated", ["true"])], 0, "unspecified"),
     ([("http.content.truncated", ["false"]), ("Content-Length", ["99"])], 0, None),
     ([("Content-Length", ["99"])], 10, "length"),
     ([("Content-Length", ["99"])], 1000, "unspecified"),
     ([("Content-Length", ["99"]), ("Content-Encoding", ["gzip"])], 10, None),
     ([("Content-Length", ["10"])], 10, None),
     ([], 10, None)],
)  # fmt: skip
def test_truncation_reason(meta, limit, expected):
    doc = make_doc(payload=b"0123456789", meta=meta)
    assert truncation(doc, [(k, v[0]) for k, v in meta], limit) == expected


def test_truncated_response_declares_it_after_the_digests():
    raw = head("HTTP/1.1 200 OK", "Content-Length: 5000")
    doc = make_doc(payload=b"x" * 64, meta=[("_response.headers_", [raw])])
    capture = mapper(**{"http.content.limit": "64"}).capture(doc)
    assert capture is not None
    names = [k for k, _ in capture.main.fields]
    assert names[names.index("WARC-Block-Digest") + 1] == "WARC-Truncated"
    assert dict(capture.main.fields)["WARC-Truncated"] == "length"
    assert b"X-Crawler-Content-Length: 5000\r\nContent-Length: 64\r\n" in capture.main.head


# --- URIs, IPs, requests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "uri"),
    [("https://www.beispiel.de/%C3%BCber-uns.html", "https://www.beispiel.de/%C3%BCber-uns.html"),
     ("https://bücher.de/straße?q=ä", "https://xn--bcher-kva.de/stra%C3%9Fe?q=%C3%A4"),
     ("http://a.org/x y{z}|^`\\\"<>", "http://a.org/x%20y%7Bz%7D%7C%5E%60%5C%22%3C%3E"),
     ("http://a.org/50%off%2", "http://a.org/50%25off%252"),
     ("http://user@EXAMPLE.org:8080/p?q=1#frag", "http://user@EXAMPLE.org:8080/p?q=1#frag"),
     ("http://a.org/tab\there", "http://a.org/tab%09here")],
)  # fmt: skip
def test_target_uri_is_a_valid_uri_and_never_skipped(url, uri):
    assert target_uri(url) == uri
    assert URI_CHARS.match(uri)


@pytest.mark.parametrize(
    ("value", "ip"),
    [("192.0.2.1", "192.0.2.1"), ("2001:DB8:0:0:0:0:1:5", "2001:db8::1:5"), ("[::1]", "::1"), ("IP", None), ("", None),
     (None, None)],
)  # fmt: skip
def test_ip_canonical_or_omitted(value, ip):
    assert canonical_ip(value) == ip
    meta = [("_ip_", [value])] if value is not None else []
    capture = mapper().capture(make_doc(meta=meta))
    assert capture is not None and dict(capture.main.fields).get("WARC-IP-Address") == ip


def test_request_block_fixed():
    assert fix_request("GET / HTTP/2\nHost: a\n") == b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    assert fix_request("GET /HTTP/2 HTTP/1.1\r\nX: HTTP/2\r\n\r\n") == b"GET /HTTP/2 HTTP/1.1\r\nX: HTTP/2\r\n\r\n"


def test_request_rebuilt_only_on_request():
    config = {"http.agent.name": "Bot", "http.agent.version": "1.0", "http.agent.email": "bot@example.org"}
    doc = make_doc(url="https://example.org/a?b=1")
    assert [r.type for r in mapper(**config).capture(doc).records] == ["response"]  # type: ignore[union-attr]
    m = WarcMapper(NutchConfig(config), rebuild_request=True)
    request = m.capture(doc).records[0]  # type: ignore[union-attr]
    assert request.type == "request"
    assert request.head.startswith(b"GET /a?b=1 HTTP/1.1\r\nUser-Agent: Bot/1.0 (bot@example.org)\r\n")
    assert request.head.endswith(b"Host: example.org\r\n\r\n")


# --- dates, metadata, warcinfo ---------------------------------------------------------------------------


def test_date_fallback_chain():
    m = mapper()
    base = [("Date", ["Mon, 09 Mar 2015 17:16:40 GMT"])]
    assert m.capture_date_ms(make_doc(meta=base, fetch_ms=5000), 1) == 5000
    assert m.capture_date_ms(make_doc(status=None, meta=[*base, ("nutch.fetch.time", ["7000"])]), 1) == 7000
    doc = make_doc(status=None, meta=base)
    doc.parse_data = ParseData(ParseStatus(), "", [], Metadata([("_ftk_", ["8000"])]))
    assert m.capture_date_ms(doc, 1) == 8000
    assert m.capture_date_ms(make_doc(status=None, meta=base), 1) == 1425921400000
    assert m.capture_date_ms(make_doc(status=None, meta=[]), 1234) == 1234


def test_metadata_record_only_with_a_field():
    m = mapper()
    assert [r.type for r in m.capture(make_doc(content_type="image/png", payload=b"\x89PNG")).records] == ["response"]  # type: ignore[union-attr]
    capture = m.capture(make_doc(rs=83, meta=[("Content-Type", ["text/html; charset=ISO-8859-1"])]))
    assert capture is not None and capture.records[-1].type == "metadata"
    assert capture.records[-1].payload == b"fetchTimeMs: 83\r\ncharset-detected: windows-1252\r\n\r\n"
    doc = make_doc(payload=b'<html><head><meta charset="shift_jis"></head></html>')
    assert m.capture(doc).records[-1].payload == b"charset-detected: Shift_JIS\r\n\r\n"  # type: ignore[union-attr]


def test_warcinfo_fields_from_configuration():
    m = mapper(**{"http.agent.name": "Bot", "http.agent.version": "2", "http.agent.email": "ops@example.org",
                  "warc.export.hostname": "crawl-7", "warc.export.date": "20240517233122"})
    info = m.warcinfo("WEB-x.warc.gz", m.warcinfo_date_ms(), "20241121093000")
    assert dict(info.fields)["WARC-Date"] == "2024-05-17T23:31:22Z"
    lines = info.payload.decode().split(CRLF)
    assert lines[-1] == "" and lines[-2].startswith("conformsTo: ")  # no blank line: Common Crawl's layout
    keys = [line.split(": ", 1)[0] for line in lines[:-1]]
    assert keys == ["isPartOf", "operator", "hostname", "software", "robots", "http-header-user-agent", "format", "conformsTo"]
    assert "isPartOf: 20241121093000" in lines and "operator: ops@example.org" in lines
    assert "http-header-user-agent: Bot/2 (ops@example.org)" in lines and "software: ccdump 0.1.0" in lines


def test_warc_1_1_version_line():
    m = WarcMapper(version="WARC/1.1")
    capture = m.capture(make_doc())
    assert capture is not None and b"".join(capture.main.chunks("<urn:x>")).startswith(b"WARC/1.1\r\n")
    with pytest.raises(ValueError):
        WarcMapper(version="WARC/2.0")
