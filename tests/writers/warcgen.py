"""Build small Common Crawl-style WARC files for tests (warcinfo; request, response, metadata).

Records are laid out as commoncrawl-formats.md §1 describes; digests are real. This is test
scaffolding, not the project's WARC writer.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ccdump.writers.gzmember import GZIP_HEADER_JDK, GzipMemberWriter
from ccdump.writers.record import WarcRecord, sha1_base32

WARCINFO = (
    "isPartOf: CC-MAIN-2099-01\r\npublisher: Test Crawl\r\ndescription: synthetic\r\n"
    "operator: tests\r\nrobots: checked\r\nformat: WARC File Format 1.1\r\n"
    "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n"
)


@dataclass
class Capture:
    url: str
    body: bytes
    status: str = "200 OK"
    content_type: str | None = "text/html; charset=UTF-8"
    identified: str | None = "text/html"
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    languages: list[str] | None = None  # ISO-639-3 codes for the metadata record
    date: str = "2099-01-02T03:04:05Z"
    truncated: str | None = None
    revisit: bool = False


def _rid() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _record(fields: list[tuple[str, str]], block: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in fields)
    return b"WARC/1.0\r\n" + head.encode() + b"\r\n" + block + b"\r\n\r\n"


def write_warc(path: Path, captures: list[Capture], *, with_records: bool = False):
    """Write the WARC; with ``with_records`` also return the WarcRecords a WARC writer has in hand."""
    in_hand: list[WarcRecord] = []
    info_id = _rid()
    with GzipMemberWriter(path, header=GZIP_HEADER_JDK) as out:

        def emit(fields, block, **extra):
            fields = fields[:3] + [("Content-Length", str(len(block)))] + fields[3:]
            off, length = out.write_member(_record(fields, block))
            member = out.last_member
            in_hand.append(
                WarcRecord(
                    headers=fields,
                    block=block,
                    offset=off,
                    length=length,
                    inflated_length=member.inflated_length,
                    inflated_crc=member.crc32,
                    block_digest=sha1_base32(block),
                    **extra,
                )
            )

        info = WARCINFO.encode()
        emit(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Date", "2099-01-01T00:00:00Z"),
                ("WARC-Record-ID", info_id),
                ("Content-Type", "application/warc-fields"),
                ("WARC-Filename", path.name),
            ],
            info,
        )
        for cap in captures:
            req_id, resp_id = _rid(), _rid()
            host = cap.url.split("/")[2]
            request = (
                f"GET /{cap.url.split('/', 3)[3] if cap.url.count('/') > 2 else ''} HTTP/1.1\r\n"
                f"User-Agent: test\r\nHost: {host}\r\n\r\n"
            ).encode()
            emit(
                [
                    ("WARC-Type", "request"),
                    ("WARC-Date", cap.date),
                    ("WARC-Record-ID", req_id),
                    ("Content-Type", "application/http; msgtype=request"),
                    ("WARC-Warcinfo-ID", info_id),
                    ("WARC-IP-Address", "10.0.0.1"),
                    ("WARC-Target-URI", cap.url),
                ],
                request,
            )
            headers = [("Date", "Sat, 02 Jan 2099 03:04:05 GMT")]
            if cap.content_type is not None:
                headers.append(("Content-Type", cap.content_type))
            headers += cap.extra_headers
            if not cap.revisit:
                headers.append(("Content-Length", str(len(cap.body))))
            head = (
                f"HTTP/1.1 {cap.status}\r\n".encode()
                + "".join(f"{k}: {v}\r\n" for k, v in headers).encode()
                + b"\r\n"
            )
            payload = b"" if cap.revisit else cap.body
            block = head + payload
            fields = [
                ("WARC-Type", "revisit" if cap.revisit else "response"),
                ("WARC-Date", cap.date),
                ("WARC-Record-ID", resp_id),
                ("Content-Type", "application/http; msgtype=response"),
                ("WARC-Warcinfo-ID", info_id),
                ("WARC-Concurrent-To", req_id),
                ("WARC-IP-Address", "10.0.0.1"),
                ("WARC-Target-URI", cap.url),
            ]
            if cap.revisit:
                fields += [
                    ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified"),
                    ("WARC-Block-Digest", sha1_base32(block)),
                ]
            else:
                fields += [
                    ("WARC-Payload-Digest", sha1_base32(payload)),
                    ("WARC-Block-Digest", sha1_base32(block)),
                ]
                if cap.truncated:
                    fields.append(("WARC-Truncated", cap.truncated))
                if cap.identified:
                    fields.append(("WARC-Identified-Payload-Type", cap.identified))
            emit(fields, block, payload_digest=None if cap.revisit else sha1_base32(payload))
            if cap.languages:
                cld2 = {
                    "reliable": True,
                    "text-bytes": 10,
                    "languages": [
                        {"code": c[:2], "code-iso-639-3": c, "text-covered": 0.5, "score": 1.0, "name": c}
                        for c in cap.languages
                    ],
                }
                meta = f"fetchTimeMs: 5\r\ncharset-detected: UTF-8\r\nlanguages-cld2: {json.dumps(cld2, separators=(',', ':'))}\r\n\r\n"
                emit(
                    [
                        ("WARC-Type", "metadata"),
                        ("WARC-Date", cap.date),
                        ("WARC-Record-ID", _rid()),
                        ("Content-Type", "application/warc-fields"),
                        ("WARC-Warcinfo-ID", info_id),
                        ("WARC-Concurrent-To", resp_id),
                        ("WARC-Target-URI", cap.url),
                    ],
                    meta.encode(),
                )
    return in_hand if with_records else None


def page(title: str, *, body: str = "") -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def sample_captures() -> list[Capture]:
    """A mix of hosts, types and statuses used by several tests."""
    return [
        Capture(
            "https://www.example.com/a",
            page("A", body='<p>alpha <a href="/b">to b</a></p><img src="i/a.jpg" alt="Alpha pic">'),
            languages=["eng"],
        ),
        Capture(
            "https://shop.example.co.uk/item?id=2&b=1",
            page("Shop", body="<p>Preis</p>"),
            languages=["deu", "eng"],
        ),
        Capture(
            "http://foo.blogspot.com/", page("Blog", body='<img src="/x.png" alt="">'), languages=["fra"]
        ),
        Capture("http://93.184.216.34:8080/ip", page("IP")),
        Capture(
            "https://example.org/redirect",
            b"",
            status="301 Moved Permanently",
            content_type="text/html",
            extra_headers=[("Location", "/new-place")],
        ),
        Capture(
            "https://example.org/image.png",
            b"\x89PNG\r\n\x1a\nrest",
            content_type="image/png",
            identified="image/png",
        ),
        Capture("https://example.org/old", b"", status="304 Not Modified", revisit=True),
        Capture("https://example.net/trunc", page("T", body="<p>cut</p>"), truncated="length"),
    ]
