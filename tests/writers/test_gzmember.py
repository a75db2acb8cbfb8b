"""GzipMemberWriter: one member per write, offsets that address them, atomic completion."""

from __future__ import annotations

import gzip
import os
import time
import zlib

import pytest

from ccdump.errors import WriterError
from ccdump.writers.gzmember import BACKGROUND_QUEUE, GZIP_HEADER_JDK, GZIP_HEADER_UNIX, GzipMemberWriter


def test_members_are_addressable_by_offset_and_length(tmp_path):
    path = tmp_path / "x.gz"
    payloads = [b"first record\r\n", b"", b"x" * 100_000, "ünïcode".encode()]
    spans = []
    with GzipMemberWriter(path, header=GZIP_HEADER_UNIX) as w:
        for data in payloads:
            spans.append(w.write_member(data))
            member = w.last_member
            assert member.inflated_length == len(data)
            assert member.crc32 == zlib.crc32(data)
    raw = path.read_bytes()
    assert spans[0][0] == 0
    assert sum(length for _, length in spans) == len(raw)
    for (offset, length), data in zip(spans, payloads, strict=True):
        chunk = raw[offset : offset + length]
        assert chunk[:10] == GZIP_HEADER_UNIX
        assert gzip.decompress(chunk) == data
    assert gzip.decompress(raw) == b"".join(payloads)


def test_chunks_form_one_member(tmp_path):
    path = tmp_path / "x.gz"
    with GzipMemberWriter(path) as w:
        w.write_member([b"head\r\n", memoryview(b"body"), b"\r\n\r\n"])
    raw = path.read_bytes()
    assert raw[:10] == GZIP_HEADER_JDK
    assert gzip.decompress(raw) == b"head\r\nbody\r\n\r\n"


def test_final_name_appears_only_on_close(tmp_path):
    path = tmp_path / "out" / "x.warc.gz"
    w = GzipMemberWriter(path)
    w.write_member(b"data")
    assert not path.exists()
    w.close()
    assert path.exists()
    assert [p.name for p in path.parent.iterdir()] == ["x.warc.gz"]
    assert os.stat(path).st_mode & 0o044  # readable by others as usual, not a 0600 temp file


def test_exception_in_with_block_leaves_nothing(tmp_path):
    path = tmp_path / "x.gz"
    with pytest.raises(RuntimeError), GzipMemberWriter(path) as w:
        w.write_member(b"partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_uncompressed_mode_reports_raw_offsets(tmp_path):
    path = tmp_path / "x.warc"
    with GzipMemberWriter(path, compress=False) as w:
        assert w.write_member(b"abc") == (0, 3)
        assert w.write_member([b"de", b"f"]) == (3, 3)
    assert path.read_bytes() == b"abcdef"


def test_write_after_close_is_an_error(tmp_path):
    w = GzipMemberWriter(tmp_path / "x.gz")
    w.close()
    with pytest.raises(WriterError):
        w.write_member(b"late")


def test_background_submit_writes_the_same_bytes(tmp_path):
    records = [bytes([i % 251]) * (i * 37 % 5000) for i in range(200)]
    with GzipMemberWriter(tmp_path / "sync.gz", header=GZIP_HEADER_UNIX) as sync:
        for data in records:
            sync.write_member(data)
    with GzipMemberWriter(tmp_path / "bg.gz", header=GZIP_HEADER_UNIX) as bg:
        for data in records:
            bg.submit(data)
    assert (tmp_path / "bg.gz").read_bytes() == (tmp_path / "sync.gz").read_bytes()
    assert bg.tell() == sync.tell() and bg.members == 200


def test_background_write_error_is_raised_and_the_file_discarded(tmp_path):
    out = GzipMemberWriter(tmp_path / "x.gz")
    calls = []

    def failing(data):
        calls.append(data)
        raise WriterError("disk full")

    out.write_member = failing  # the background thread writes through write_member
    out.submit(b"a")
    with pytest.raises(WriterError, match="disk full"):  # a later submit reports it, never blocking
        for _ in range(BACKGROUND_QUEUE * 3):
            out.submit(b"b")
            time.sleep(0.001)
    with pytest.raises(WriterError, match="disk full"):  # and close, which discards the file
        out.close()
    assert calls == [b"a"] and not list(tmp_path.iterdir())


def test_background_abort_drops_the_file(tmp_path):
    out = GzipMemberWriter(tmp_path / "x.gz")
    for _ in range(10):
        out.submit(b"x" * 1000)
    out.abort()
    assert not list(tmp_path.iterdir())
    with pytest.raises(WriterError):
        out.submit(b"late")


def test_derived_writers_same_bytes_with_or_without_background(tmp_path):
    from ccdump.writers.wat import generate_wat
    from ccdump.writers.wet import generate_wet
    from tests.writers.test_wat import FIXED, fixed_ids
    from tests.writers.warcgen import sample_captures, write_warc

    warc = tmp_path / "s.warc.gz"
    write_warc(warc, sample_captures())
    for generate, kw in ((generate_wat, FIXED), (generate_wet, {"now": FIXED["now"]})):
        a = generate(warc, tmp_path / "a.gz", make_id=fixed_ids(), background=True, **kw)
        b = generate(warc, tmp_path / "b.gz", make_id=fixed_ids(), background=False, **kw)
        assert a.records_out == b.records_out > 1 and a.bytes_out == b.bytes_out
        assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
