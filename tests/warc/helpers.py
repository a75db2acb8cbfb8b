"""Independent readers for the WARC tests: gzip members split with zlib, records parsed by hand.

Deliberately not ccdump's own reader (``ccdump.writers.warcreader``), so a shared bug cannot make
writer and reader agree.
"""

from __future__ import annotations

import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Member:
    offset: int
    length: int
    data: bytes  # inflated
    header: bytes  # the 10-byte gzip header as stored


def gzip_members(path: Path) -> list[Member]:
    """Every gzip member of a file with its offset and compressed length; fails on stray bytes."""
    raw = path.read_bytes()
    out, pos = [], 0
    while pos < len(raw):
        assert raw[pos : pos + 2] == b"\x1f\x8b", f"{path.name}: no gzip member at byte {pos}"
        d = zlib.decompressobj(31)
        data = d.decompress(raw[pos:])
        assert d.eof, f"{path.name}: truncated member at byte {pos}"
        length = len(raw) - pos - len(d.unused_data)
        out.append(Member(pos, length, data, raw[pos : pos + 10]))
        pos += length
    return out


@dataclass
class Rec:
    version: str
    headers: list[tuple[str, str]]
    block: bytes
    raw: bytes

    def get(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def type(self) -> str:
        return self.get("WARC-Type") or ""

    @property
    def names(self) -> list[str]:
        return [k for k, _ in self.headers]


def parse_record(data: bytes) -> tuple[Rec, bytes]:
    """One record from the start of ``data``; returns it and the bytes after its trailer."""
    end = data.index(b"\r\n\r\n")
    lines = data[:end].decode("utf-8").split("\r\n")
    headers = [tuple(x.split(": ", 1)) for x in lines[1:]]
    rec = Rec(lines[0], headers, b"", b"")  # type: ignore[arg-type]
    length = int(rec.get("Content-Length") or "-1")
    start = end + 4
    block = data[start : start + length]
    assert len(block) == length, "block shorter than Content-Length"
    assert data[start + length : start + length + 4] == b"\r\n\r\n", "record not followed by CRLF CRLF"
    rec.block = block
    rec.raw = data[: start + length + 4]
    return rec, data[start + length + 4 :]


def read_records(path: Path) -> list[Rec]:
    """Records of a ``.warc.gz`` (exactly one per member) or a ``.warc``."""
    if path.name.endswith(".gz"):
        out = []
        for m in gzip_members(path):
            rec, rest = parse_record(m.data)
            assert rest == b"", f"{path.name}: member at {m.offset} holds more than one record"
            out.append(rec)
        return out
    data, out = path.read_bytes(), []
    while data:
        rec, data = parse_record(data)
        out.append(rec)
    return out


def split_http(block: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, header fields, payload) of an HTTP message block."""
    end = block.index(b"\r\n\r\n")
    lines = block[:end].decode("utf-8").split("\r\n")
    return lines[0], [tuple(x.split(":", 1)) for x in lines[1:]], block[end + 4 :]  # type: ignore[misc]


def tool(*args: str) -> subprocess.CompletedProcess:
    """Run a validator's console script with this interpreter's environment."""
    scripts = Path(sys.executable).parent
    exe = scripts / args[0]
    cmd = [str(exe), *args[1:]] if exe.exists() else list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def make_doc(
    url: str = "https://example.org/a",
    payload: bytes = b"<html><body>hi</body></html>",
    meta: list[tuple[str, list[str]]] | None = None,
    *,
    status: int | None = 0x21,
    pst: int | None = 1,
    fetch_ms: int = 1_732_181_540_000,
    protocol_code: str | None = None,
    rs: int | None = None,
    modified_ms: int = 0,
    content_type: str = "text/html",
    segment: str = "20241121093000",
):
    """A Document as the segment reader would give it (``status=None``: no crawl_fetch datum)."""
    from ccdump.nutch.content import Content
    from ccdump.nutch.crawldatum import CrawlDatum
    from ccdump.nutch.document import Document
    from ccdump.nutch.mapwritable import PROTOCOL_STATUS, TEXT, Writable
    from ccdump.nutch.metadata import Metadata
    from ccdump.nutch.status import ProtocolStatus

    fetches = []
    if status is not None:
        dmeta = []
        if pst is not None:
            dmeta.append((Writable(TEXT, "_pst_"), Writable(PROTOCOL_STATUS, ProtocolStatus(pst))))
        if protocol_code is not None:
            dmeta.append((Writable(TEXT, "nutch.protocol.code"), Writable(TEXT, protocol_code)))
        if rs is not None:
            dmeta.append((Writable(TEXT, "_rs_"), Writable("org.apache.hadoop.io.IntWritable", rs)))
        fetches.append(CrawlDatum(status, fetch_ms, modified_time=modified_ms, metadata=dmeta))
    content = Content(url, url, payload, content_type, Metadata(list(meta or [])))
    return Document(url, segment, "part-r-00000", content, fetches)
