"""CBOR framing from UTF-8 bytes, and the CBOR file writer's file system protocol."""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import cbor2
import pytest

from ccdump.config import NutchConfig
from ccdump.mapper import to_json_text, to_record
from ccdump.nutch.content import Content
from ccdump.nutch.document import Document
from ccdump.nutch.metadata import Metadata
from ccdump.writers import cbor
from ccdump.writers.cbor import CborFileWriter, nutch_cbor, nutch_cbor_bytes
from ccdump.writers.layout import LayoutOptions, relative_path

LENGTHS = [*range(0, 30), *range(250, 260), *range(3990, 4000), 7991, 7992, 7993, 11988, 11989, 20000, 65535, 65536, 70000]


@pytest.mark.parametrize("alphabet", ["a", "aé", "a\U0001f600", "é中"])
def test_framing_from_bytes_equals_framing_from_text(alphabet):
    rng = random.Random(len(alphabet))
    for n in LENGTHS:
        text = "".join(rng.choice(alphabet) for _ in range(n))
        assert nutch_cbor_bytes(text.encode("utf-8")) == nutch_cbor(text), n
        assert cbor2.loads(nutch_cbor_bytes(text.encode("utf-8"))) == text


def test_5000_ascii_characters_as_the_spec_shows():
    data = nutch_cbor_bytes(b"x" * 5000)
    assert data[:7] == bytes.fromhex("d9d9f77f790f9c")
    assert data[7 + 3996 : 7 + 3996 + 3] == bytes.fromhex("7903ec")
    assert data[-1:] == b"\xff" and len(data) == 7 + 3996 + 3 + 1004 + 1


def _doc(url: str, body: bytes = b"<html><p>hello</p></html>") -> Document:
    meta = Metadata([("Content-Type", ["text/html; charset=utf-8"]), ("Date", ["Mon, 09 Mar 2015 17:16:40 GMT"])])
    return Document(url, "seg", "part-00000", Content(url, url, body, "text/html", meta))


def _write_all(out, docs, **kw) -> dict:
    conf = NutchConfig()
    writer = CborFileWriter(str(out), **kw)
    with writer:
        for doc in docs:
            writer.write(doc, to_record(doc, conf))
    return writer.stats()


def _files(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


@pytest.mark.parametrize(("threads", "batch"), [(1, 1), (4, 8), (8, 3)])
def test_files_bytes_and_first_file_wins(tmp_path, threads, batch):
    docs = [_doc(f"http://h{i % 7}.example.org/p/{i}.html", f"<p>{i}</p>".encode() * (i % 50 + 1)) for i in range(300)]
    dupes = [_doc(docs[i].url, b"<p>second</p>") for i in range(0, 300, 10)]
    stats = _write_all(tmp_path, docs + dupes + docs[:5], threads=threads, batch=batch, max_pending=16)
    assert stats["written"] == 300 and stats["collisions"] == 35
    conf = NutchConfig()
    expected = {relative_path(d.url, LayoutOptions()): nutch_cbor(to_json_text(to_record(d, conf))) for d in docs}
    assert _files(tmp_path) == sorted(expected)
    for rel, data in expected.items():
        assert (tmp_path / rel).read_bytes() == data
    assert stats["bytes"] == sum(map(len, expected.values()))
    # a second run keeps every existing file and counts each document as a collision
    again = _write_all(tmp_path, [_doc(d.url, b"other") for d in docs[:20]], threads=threads)
    assert again["written"] == 0 and again["collisions"] == 20
    assert all((tmp_path / rel).read_bytes() == data for rel, data in expected.items())


def test_many_documents_into_few_folders_from_several_threads(tmp_path):
    # every batch may start before the batch that makes its folder: the link must still succeed
    docs = [_doc(f"http://example.org/{i}") for i in range(400)]
    folders = {relative_path(d.url, LayoutOptions()).rsplit("/", 1)[0] for d in docs}
    stats = _write_all(tmp_path, docs, threads=8, batch=1)
    assert stats["written"] == 400 and len(_files(tmp_path)) == 400
    assert len(folders) > 100


def test_a_file_whose_folder_another_task_is_still_making(tmp_path, monkeypatch):
    """The folder of a document is made by the task of the first document in it; a later task may
    run first and must make the folder itself instead of failing."""
    by_folder: dict[str, list[Document]] = {}
    for i in range(2000):
        doc = _doc(f"http://example.org/{i}")
        by_folder.setdefault(relative_path(doc.url, LayoutOptions()).rsplit("/", 1)[0], []).append(doc)
    first, second = next(docs for docs in by_folder.values() if len(docs) >= 2)[:2]
    make = cbor._make_folder
    slow = threading.Event()

    def slow_first_make(folder):
        if not slow.is_set():
            slow.set()
            time.sleep(0.3)  # the second document's task runs meanwhile
        make(folder)

    monkeypatch.setattr(cbor, "_make_folder", slow_first_make)
    stats = _write_all(tmp_path, [first, second], threads=2, batch=1)
    assert stats["written"] == 2 and len(_files(tmp_path)) == 2


def test_no_temporary_name_left_behind_after_close_or_abort(tmp_path):
    _write_all(tmp_path / "a", [_doc(f"http://example.org/{i}") for i in range(50)])
    assert not [p for p in (tmp_path / "a").rglob(".*")]
    writer = CborFileWriter(str(tmp_path / "b"))
    conf = NutchConfig()
    for i in range(30):
        doc = _doc(f"http://example.org/{i}")
        writer.write(doc, to_record(doc, conf))
    writer.abort()
    assert not [p for p in (tmp_path / "b").rglob(".*")]
    assert all(cbor2.loads(p.read_bytes()) for p in (tmp_path / "b").rglob("*") if p.is_file())


def test_a_stale_temporary_name_is_replaced(tmp_path):
    writer = CborFileWriter(str(tmp_path), threads=1)
    doc = _doc("http://example.org/x")
    rel = relative_path(doc.url, LayoutOptions())
    folder, name = os.path.split(str(tmp_path / rel))
    os.makedirs(folder)
    stale = os.path.join(folder, f".{name}{writer._tmp_suffix}")
    with open(stale, "wb") as f:
        f.write(b"left by a killed run with the same pid")
    writer.write(doc, to_record(doc, NutchConfig()))
    writer.close()
    assert not os.path.exists(stale)
    assert _files(tmp_path) == [rel]
    assert cbor2.loads((tmp_path / rel).read_bytes()).startswith("{")


def test_write_errors_reach_the_caller(tmp_path, monkeypatch):
    def failing(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cbor, "_write_file", failing)
    writer = CborFileWriter(str(tmp_path), batch=1, max_pending=1)
    doc = _doc("http://example.org/x")
    with pytest.raises(OSError), writer:
        for _ in range(5):
            writer.write(doc, to_record(doc, NutchConfig()))
            doc = _doc(doc.url + "x")


def test_make_folder_races(tmp_path):
    folder = str(tmp_path / "a" / "b")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: cbor._make_folder(folder), range(32)))
    assert os.path.isdir(folder)
