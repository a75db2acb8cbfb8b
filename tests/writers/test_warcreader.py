"""The streaming reader against the reference WARC, warcio's offsets, and broken inputs."""

from __future__ import annotations

import gzip
import io

import pytest
from warcio.archiveiterator import ArchiveIterator

from ccdump.errors import WarcFormatError
from ccdump.writers.warcreader import decode_http_payload, read_warc
from tests.writers.conftest import REF_NAME
from tests.writers.warcgen import sample_captures, write_warc

# the table in shared/spec/reference/README.md
REF_LAYOUT = [
    ("warcinfo", 0, 470, 749, 259, 486),
    ("request", 470, 418, 607, 347, 256),
    ("response", 888, 966, 1679, 578, 1097),
    ("metadata", 1854, 421, 577, 375, 198),
]


def test_reference_layout(reference_dir):
    records = list(read_warc(reference_dir / f"{REF_NAME}.warc.gz"))
    got = [(r.type, r.offset, r.length, r.inflated_length, r.header_length, len(r.block)) for r in records]
    assert got == REF_LAYOUT
    assert all(r.trailing_length == 4 for r in records)
    assert records[2].record_id == "<urn:uuid:f3cf4941-0c71-4ae8-a1f6-27848360d913>"
    assert records[2].get("warc-payload-digest") == "sha1:SSXGVL3ROQN3NNR6A2DQUBC6CBGVAHLJ"


def _warcio_offsets(path):
    with open(path, "rb") as f:
        it = ArchiveIterator(f)
        out = []
        for rec in it:
            rec.content_stream().read()
            out.append((rec.rec_type, it.get_record_offset(), it.get_record_length()))
        return out


def test_offsets_agree_with_warcio(tmp_path):
    path = tmp_path / "s.warc.gz"
    write_warc(path, sample_captures())
    ours = [(r.type, r.offset, r.length) for r in read_warc(path)]
    assert ours == _warcio_offsets(path)
    assert len(ours) == 1 + 8 * 2 + 3  # warcinfo, request+response per capture, 3 metadata


def test_uncompressed_warc(reference_dir, tmp_path):
    plain = tmp_path / "x.warc"
    plain.write_bytes(gzip.decompress((reference_dir / f"{REF_NAME}.warc.gz").read_bytes()))
    records = list(read_warc(plain))
    assert [(r.type, r.offset, r.length) for r in records] == [
        ("warcinfo", 0, 749),
        ("request", 749, 607),
        ("response", 1356, 1679),
        ("metadata", 3035, 577),
    ]
    assert not records[0].compressed
    assert records[2].block.startswith(b"HTTP/1.1 200 OK\r\n")


def test_whole_file_gzip_is_refused(reference_dir, tmp_path):
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(gzip.decompress((reference_dir / f"{REF_NAME}.warc.gz").read_bytes())))
    with pytest.raises(WarcFormatError, match="more than one WARC record") as info:
        list(read_warc(whole))
    assert info.value.offset == 0 and str(whole) in str(info.value)


def test_truncated_member_names_its_offset(reference_dir, tmp_path):
    data = (reference_dir / f"{REF_NAME}.warc.gz").read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:1000])  # inside the third member (offset 888)
    with pytest.raises(WarcFormatError) as info:
        list(read_warc(cut))
    assert info.value.offset == 888


def test_not_a_warc(tmp_path):
    bad = tmp_path / "bad.warc"
    bad.write_bytes(b"HTTP/1.1 200 OK\r\n\r\nhello")
    with pytest.raises(WarcFormatError, match="WARC version line"):
        list(read_warc(bad))


def test_reads_file_objects_and_empty_input():
    assert list(read_warc(io.BytesIO(b""), "empty")) == []


def test_decode_http_payload_undoes_declared_codings():
    body = gzip.compress(b"<p>hi</p>")
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    headers = [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")]
    assert decode_http_payload(chunked, headers) == b"<p>hi</p>"
    # Common Crawl's renamed headers mean the payload is already decoded
    assert decode_http_payload(b"<p>x</p>", [("X-Crawler-Content-Encoding", "gzip")]) == b"<p>x</p>"
