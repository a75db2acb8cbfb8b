"""-gzip: tar headers from the template, the tar stream tarfile would write, and a multi-member
gzip deflated by several threads that tarfile, gzip and ``tar -tzf`` read as one archive."""

from __future__ import annotations

import gzip
import io
import os
import random
import shutil
import subprocess
import tarfile
import zlib

import cbor2
import pytest

from ccdump.config import NutchConfig
from ccdump.mapper import to_json_text, to_record
from ccdump.nutch.content import Content
from ccdump.nutch.document import Document
from ccdump.nutch.metadata import Metadata
from ccdump.writers.cbor import nutch_cbor
from ccdump.writers.tar import ParallelGzip, TarGzWriter, TarHeaders, gzip_member
from ccdump.writers.tarparts import END_MEMBER

STARTED = 1732181540.7


def test_headers_equal_tarfile_headers():
    headers = TarHeaders(int(STARTED))
    rng = random.Random(7)
    names = ["a", "x" * 99, "y" * 100, "z" * 101, "c1/fc/c463a4381eb837f9f5d45978cfbde79e_.html", "é" * 50, "é" * 51, "\udcff"]
    names += ["".join(rng.choice("ab/é_.?") for _ in range(rng.randint(1, 130))) for _ in range(300)]
    for name in names:
        for size in (0, 1, 511, 512, 22_000, 8**11 - 1, 8**11):
            assert headers.header(name, size) == headers._tarinfo(name, size).tobuf(
                tarfile.GNU_FORMAT, tarfile.ENCODING, "surrogateescape"
            ), (name, size)


def _members(data: bytes) -> int:
    count = 0
    while data:
        d = zlib.decompressobj(31)
        d.decompress(data)
        assert d.eof
        data = d.unused_data
        count += 1
    return count


@pytest.mark.parametrize("size", [0, 1, 1000, 100_000, 1_000_000])
def test_parallel_gzip_is_a_valid_gzip_of_the_input(size):
    payload = random.Random(size).randbytes(size // 2) + b"abc" * (size // 6)
    out = io.BytesIO()
    gz = ParallelGzip(out, level=6, threads=3, chunk=64 * 1024, depth=2)  # type: ignore[arg-type]
    for i in range(0, len(payload), 7000):
        gz.write(payload[i : i + 7000])
    gz.close()
    data = out.getvalue()
    assert gzip.decompress(data) == payload
    assert 1 <= _members(data) <= max(1, -(-len(payload) // (64 * 1024)))
    assert (_members(data) > 1) == (len(payload) > 64 * 1024 + 7000)
    assert gzip_member(b"") == bytes.fromhex("1f8b08000000000000ff") + b"\x03\x00" + bytes(8)  # mtime 0, OS 255


def _doc(i: int) -> Document:
    url = f"https://www{i % 5}.example.org/articles/{i:09d}" + ("/x" * (i % 3) * 40) + ".html"
    body = (f"<html><p>{i} " + "lorem ipsum " * (i % 400) + "</p></html>").encode()
    meta = Metadata([("Content-Type", ["text/html; charset=utf-8"]), ("Date", ["Mon, 09 Mar 2015 17:16:40 GMT"])])
    return Document(url, "seg", "part-00000", Content(url, url, body, "text/html", meta))


def _tarfile_reference(docs, end_of_archive: bool) -> bytes:
    """The tar stream the former writer (tarfile, GNU format) gave for the same entries."""
    conf = NutchConfig()
    buf = io.BytesIO()
    tar = tarfile.open(fileobj=buf, mode="w|", format=tarfile.GNU_FORMAT)
    seen = set()
    from ccdump.writers.layout import LayoutOptions, relative_path

    for doc in docs:
        name = relative_path(doc.url, LayoutOptions())
        if name in seen:
            continue
        seen.add(name)
        data = nutch_cbor(to_json_text(to_record(doc, conf)))
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = len(data), 0o644, int(STARTED), 0, 0, "", ""
        tar.addfile(info, io.BytesIO(data))
    if end_of_archive:
        tar.close()
    else:
        tar.fileobj.close()
    return buf.getvalue()


def _dump(tmp_path, docs, name: str, end_of_archive: bool = True) -> tuple[str, dict]:
    conf = NutchConfig()
    writer = TarGzWriter(str(tmp_path), started=STARTED, path=str(tmp_path / name), end_of_archive=end_of_archive)
    for doc in docs:
        writer.write(doc, to_record(doc, conf))
    return str(tmp_path / name), writer.close()


def test_archive_is_the_tar_stream_of_tarfile_in_several_members(tmp_path):
    docs = [_doc(i) for i in range(600)]
    path, stats = _dump(tmp_path, docs + docs[:10], "a.tar.gz")
    assert stats["written"] == 600 and stats["collisions"] == 10
    raw = open(path, "rb").read()
    assert _members(raw) > 1, "big enough for several members"
    assert gzip.decompress(raw) == _tarfile_reference(docs, True)
    with tarfile.open(path) as tar:
        names = tar.getnames()
        first = tar.extractfile(tar.getmembers()[0]).read()  # type: ignore[union-attr]
    assert len(names) == 600 and cbor2.loads(first).startswith("{\n")
    if shutil.which("tar"):
        listing = subprocess.run(["tar", "-tzf", path], check=True, capture_output=True, text=True).stdout.split()
        assert listing == names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_pieces_without_end_blocks_concatenate(tmp_path):
    docs = [_doc(i) for i in range(300)]
    p1, _ = _dump(tmp_path, docs[:200], "p1.gz", end_of_archive=False)
    p2, _ = _dump(tmp_path, docs[200:], "p2.gz", end_of_archive=False)
    e, _ = _dump(tmp_path, [], "empty.gz", end_of_archive=False)
    assert gzip.decompress(open(p1, "rb").read()) == _tarfile_reference(docs[:200], False)
    assert gzip.decompress(open(e, "rb").read()) == b""
    joined = tmp_path / "joined.tar.gz"
    joined.write_bytes(open(p1, "rb").read() + open(e, "rb").read() + open(p2, "rb").read() + END_MEMBER)
    with tarfile.open(joined) as tar:
        assert len(tar.getnames()) == 300
    if shutil.which("tar"):
        listing = subprocess.run(["tar", "-tzf", str(joined)], check=True, capture_output=True, text=True).stdout.split()
        assert len(listing) == 300


def test_empty_archive_and_abort(tmp_path):
    path, stats = _dump(tmp_path, [], "e.tar.gz")
    with tarfile.open(path) as tar:
        assert tar.getnames() == []
    writer = TarGzWriter(str(tmp_path), started=STARTED, path=str(tmp_path / "x.tar.gz"))
    writer.write(_doc(1), to_record(_doc(1), NutchConfig()))
    writer.abort()
    assert sorted(os.listdir(tmp_path)) == ["e.tar.gz"]


def test_a_failing_deflate_leaves_no_archive(tmp_path, monkeypatch):
    import ccdump.writers.tar as tar_module

    def broken(data, level=6):
        raise OSError(28, "No space left on device")

    writer = TarGzWriter(str(tmp_path), started=STARTED, path=str(tmp_path / "f.tar.gz"))
    monkeypatch.setattr(tar_module, "gzip_member", broken)
    writer.write(_doc(1), to_record(_doc(1), NutchConfig()))
    with pytest.raises(OSError):
        writer.close()
    assert os.listdir(tmp_path) == []
