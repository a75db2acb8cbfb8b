"""Golden bytes: the reference Common Crawl capture, rebuilt from the segment data it implies.

The reference WARC (``spec/reference/``) is one capture of ``https://example.com/page.html`` in
Common Crawl's exact layout. A Nutch document holding what the fetcher would have stored for it —
the verbatim request and response headers (``Content-Encoding: gzip`` and the compressed
``Content-Length: 391`` included), the decoded 866-byte page, ``_ip_``, the fetch datum with
``_rs_`` — must map to the same bytes, record for record, given the same ids and dates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ccdump.config import NutchConfig
from ccdump.nutch.content import Content
from ccdump.nutch.crawldatum import CrawlDatum
from ccdump.nutch.document import Document
from ccdump.nutch.mapwritable import PROTOCOL_STATUS, TEXT, Writable
from ccdump.nutch.metadata import Metadata
from ccdump.nutch.status import ProtocolStatus
from ccdump.warcmap import WarcMapper
from ccdump.writers.warc import WarcWriter
from tests.warc.helpers import gzip_members, read_records

NAME = "CC-MAIN-20240517233122-20240518023122-00000.warc.gz"
IDS = [
    "<urn:uuid:4caca159-f854-4ed6-ab2b-52299e254936>",
    "<urn:uuid:b49785d9-988f-4453-a4bb-04881948b0db>",
    "<urn:uuid:f3cf4941-0c71-4ae8-a1f6-27848360d913>",
    "<urn:uuid:2a757c67-9fc8-4fe6-8383-66f7293b5ed1>",
]
FETCH_MS = 1715997490000  # 2024-05-18T01:58:10Z
CONFIG = {
    "warc.export.isPartOf": "CC-MAIN-2024-22",
    "warc.export.publisher": "Common Crawl",
    "warc.export.description": "Wide crawl of the web for May 2024",
    "warc.export.operator": "Common Crawl Admin (info@commoncrawl.org)",
    "warc.export.hostname": "ip-10-67-67-211",
    "warc.export.software": "Apache Nutch 1.19 (modified, https://github.com/commoncrawl/nutch/)",
    "warc.export.robots": "checked via crawler-commons 1.5-SNAPSHOT (https://github.com/crawler-commons/crawler-commons)",
    "warc.export.date": "20240517233122",
}
# What Nutch stores: headers as received (gzip-encoded body of 391 bytes), body stored decoded.
RESPONSE_HEADERS = (
    "HTTP/1.1 200 OK\r\nDate: Sat, 18 May 2024 01:58:10 GMT\r\nServer: nginx\r\n"
    "Content-Type: text/html; charset=UTF-8\r\nContent-Encoding: gzip\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
    "Content-Length: 391\r\n\r\n"
)
REQUEST = (
    "GET /page.html HTTP/1.1\r\nUser-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: br,gzip\r\nHost: example.com\r\nConnection: Keep-Alive\r\n\r\n"
)
CLD2 = ('{"reliable":true,"text-bytes":57,"languages":[{"code":"en","code-iso-639-3":"eng","text-covered":0.99,'
        '"score":1010.0,"name":"ENGLISH"}]}')


def _document(payload: bytes) -> Document:
    url = "https://example.com/page.html"
    meta = Metadata([
        ("Date", ["Sat, 18 May 2024 01:58:10 GMT"]), ("Server", ["nginx"]),
        ("Content-Type", ["text/html; charset=UTF-8"]), ("Content-Encoding", ["gzip"]),
        ("Set-Cookie", ["a=1", "b=2"]), ("Content-Length", ["391"]),
        ("_ip_", ["93.184.215.14"]), ("_request_", [REQUEST]), ("_response.headers_", [RESPONSE_HEADERS]),
        ("nutch.fetch.time", [str(FETCH_MS)]), ("nutch.segment.name", ["20240517233122"]), ("_fst_", ["33"]),
    ])  # fmt: skip
    datum = CrawlDatum(0x21, FETCH_MS, metadata=[
        (Writable(TEXT, "_pst_"), Writable(PROTOCOL_STATUS, ProtocolStatus(1))),
        (Writable(TEXT, "_rs_"), Writable("org.apache.hadoop.io.IntWritable", 83)),
        (Writable(TEXT, "nutch.protocol.code"), Writable(TEXT, "200")),
    ])  # fmt: skip
    return Document(url, "20240517233122", "part-r-00000", Content(url, url, payload, "text/html", meta), [datum])


def _mapper() -> WarcMapper:
    ids = iter(IDS)
    return WarcMapper(NutchConfig(CONFIG), make_id=lambda: next(ids), detect_language=lambda doc, cs: (CLD2, "eng"))


@pytest.fixture(scope="module")
def ref_records(reference: Path):
    return read_records(reference / NAME)


def test_mapper_reproduces_reference_bytes(ref_records):
    payload = ref_records[2].block.split(b"\r\n\r\n", 1)[1]
    assert len(payload) == 866
    mapper = _mapper()
    info = mapper.warcinfo(NAME, mapper.warcinfo_date_ms())
    capture = mapper.capture(_document(payload))
    assert capture is not None
    ours = [info, *capture.records]
    assert [r.type for r in ours] == ["warcinfo", "request", "response", "metadata"]
    for rec, ref in zip(ours, ref_records, strict=True):
        data = b"".join(rec.chunks(info.record_id))
        assert data == ref.raw, f"{rec.type} record differs:\n{data[:700]!r}\n{ref.raw[:700]!r}"


def test_writer_file_matches_reference_but_for_its_name(ref_records, tmp_path):
    """The whole file through WarcWriter: same records, one JDK-header gzip member each."""
    payload = ref_records[2].block.split(b"\r\n\r\n", 1)[1]
    writer = WarcWriter(str(tmp_path), _mapper(), clock=lambda: 1715997490.123)
    assert writer.write(_document(payload))
    stats = writer.close()
    [path] = [Path(p) for p in stats["outputs"]]
    assert path.name == "WEB-20240518015810123-00000.warc.gz"
    members = gzip_members(path)
    assert [m.header for m in members] == [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x00"] * 4
    ours = read_records(path)
    assert ours[0].get("WARC-Filename") == path.name
    for rec, ref in zip(ours, ref_records, strict=True):
        assert rec.raw.replace(path.name.encode(), NAME.encode()) == ref.raw
    assert stats["records"] == 4 and stats["written"] == 1 and stats["bytes"] == path.stat().st_size
