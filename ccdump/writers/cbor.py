"""One CBOR file per document, as Nutch's dumper writes them, in its md5 two-level layout.

Default framing is Nutch's (spec nutch-dumper.md §6.1–6.2): self-describe tag 55799 then one CBOR
text string holding the JSON text, chunked as jackson ≥ 2.9.9 chunks long strings. ``native``
writes a CBOR map with the raw body as a byte string (lossless).
"""

from __future__ import annotations

import itertools
import os
import struct
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import cbor2

from ccdump.mapper import to_json_bytes
from ccdump.nutch.document import Document
from ccdump.writers.base import Writer
from ccdump.writers.layout import LayoutOptions, relative_path

SELF_DESCRIBE = b"\xd9\xd9\xf7"
MAX_CHUNK_UNITS = 3996

CborFormat = Literal["nutch", "native"]


def _text_head(units: int, size: int) -> bytes:
    """Jackson's definite-length text header (it decides by UTF-16 length, then byte length)."""
    if units == 0:
        return b"\x60"
    if units <= 23 and size <= 23:
        return bytes((0x60 + size,))
    if units <= 255 and size <= 255:
        return b"\x78" + bytes((size,))
    return b"\x79" + struct.pack(">H", size)


def _chunks(text: str) -> list[str]:
    """Split into pieces of ≤ 3 996 UTF-16 units, never between the halves of a surrogate pair."""
    if text.isascii() or max(text) < "\U00010000":
        return [text[i : i + MAX_CHUNK_UNITS] for i in range(0, len(text), MAX_CHUNK_UNITS)]
    pieces, start, units = [], 0, 0
    for i, ch in enumerate(text):
        width = 2 if ch >= "\U00010000" else 1
        if units + width > MAX_CHUNK_UNITS:
            pieces.append(text[start:i])
            start, units = i, 0
        units += width
    pieces.append(text[start:])
    return pieces


def _units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ch >= "\U00010000") if not text.isascii() else len(text)


def nutch_cbor(json_text: str) -> bytes:
    """Tag 55799 + one text string, indefinite-length (chunked) beyond 3 996 UTF-16 units."""
    units = _units(json_text)
    if units <= MAX_CHUNK_UNITS:
        data = json_text.encode("utf-8")
        return SELF_DESCRIBE + _text_head(units, len(data)) + data
    out = bytearray(SELF_DESCRIBE + b"\x7f")
    pieces = _chunks(json_text)
    for i, piece in enumerate(pieces):
        data = piece.encode("utf-8")
        last = i == len(pieces) - 1
        out += (
            _text_head(_units(piece), len(data)) if last else b"\x79" + struct.pack(">H", len(data))
        ) + data
    out += b"\xff"
    return bytes(out)


_FULL_CHUNK_HEAD = b"\x79" + struct.pack(">H", MAX_CHUNK_UNITS)


def nutch_cbor_bytes(json_utf8: bytes) -> bytes:
    """:func:`nutch_cbor` of the JSON text given as UTF-8; ASCII (one unit per byte) needs no decoding."""
    if not json_utf8.isascii():
        return nutch_cbor(json_utf8.decode("utf-8"))
    size = len(json_utf8)
    if size <= MAX_CHUNK_UNITS:
        return SELF_DESCRIBE + _text_head(size, size) + json_utf8
    view = memoryview(json_utf8)
    last = (size - 1) // MAX_CHUNK_UNITS * MAX_CHUNK_UNITS  # start of the last chunk (1 … 3 996 bytes)
    parts: list[bytes | memoryview] = [SELF_DESCRIBE + b"\x7f"]
    for start in range(0, last, MAX_CHUNK_UNITS):
        parts.append(_FULL_CHUNK_HEAD)
        parts.append(view[start : start + MAX_CHUNK_UNITS])
    parts.append(_text_head(size - last, size - last))
    parts.append(view[last:])
    parts.append(b"\xff")
    return b"".join(parts)


def native_cbor(record: dict[str, Any], body: bytes) -> bytes:
    """Tag 55799 + a CBOR map of the record whose ``response.body`` is the raw bytes."""
    record = dict(record)
    record["response"] = {**record["response"], "body": body}
    return cbor2.dumps(cbor2.CBORTag(55799, record))


def encode(record: dict[str, Any], doc: Document, fmt: CborFormat) -> bytes:
    if fmt == "native":
        assert doc.content is not None
        return native_cbor(record, doc.content.content)
    return nutch_cbor_bytes(to_json_bytes(record))


class CborFileWriter(Writer):
    """``<outputDir>/<c0c8>/<c16c24>/<md5>_<base>.<ext>``; the first file wins on a name collision.

    One file per document makes the file system the bottleneck (a directory and a file created for
    almost every document), so files are written by a small thread pool: those system calls release
    the GIL and overlap with mapping the next documents. Documents go to the pool in batches (fewer
    hand-overs between threads), and at most about ``max_pending`` encoded documents wait, so memory
    stays bounded.

    Each file costs five system calls: create it under a hidden temporary name beside its final
    name, write, close, ``link`` it to its final name — which fails if that name exists, so the
    first file wins with no separate check and a killed run never leaves a partial file under a
    final name — and unlink the temporary name. Folders are created once each, with no check per
    file. (Temporary files in one shared folder were tried: all threads then contend for that
    folder's lock and ext4 allocates every inode from one group.)
    """

    name = "cbor"

    def __init__(
        self,
        output_dir: str,
        layout: LayoutOptions = LayoutOptions(),
        cbor_format: CborFormat = "nutch",
        threads: int = 4,
        max_pending: int = 64,
        batch: int = 8,
    ) -> None:
        super().__init__()
        self.output_dir = os.path.abspath(output_dir)
        self.layout = layout
        self.cbor_format = cbor_format
        self._made: set[str] = set()
        self._in_flight: set[str] = set()
        self._pending: deque[tuple[list[str], Future[list[int]]]] = deque()
        self._batch: list[tuple[str, bytes, bool]] = []
        self._batch_size = max(1, batch)
        self._max_batches = max(1, max_pending // self._batch_size)
        os.makedirs(self.output_dir, exist_ok=True)
        self._prefix = self.output_dir.rstrip("/") + "/"
        self._tmp_suffix = f".ccdump-tmp-{os.getpid()}-{next(_serial)}"
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ccdump-cbor")

    def write(self, doc: Document, record: dict[str, Any] | None, *, timestamp: str = "null") -> bool:
        assert record is not None
        final = self._prefix + relative_path(doc.url, self.layout, timestamp)
        if final in self._in_flight:
            self.collisions += 1
            return False
        data = encode(record, doc, self.cbor_format)
        folder = final[: final.rindex("/")]
        make = folder not in self._made
        if make:
            self._made.add(folder)
        self._in_flight.add(final)
        self._batch.append((final, data, make))
        if len(self._batch) >= self._batch_size:
            self._submit()
        return True

    def _submit(self) -> None:
        batch, self._batch = self._batch, []
        self._pending.append(([final for final, _, _ in batch], self._pool.submit(self._write_batch, batch)))
        while len(self._pending) > self._max_batches:
            self._collect()

    def _write_batch(self, batch: list[tuple[str, bytes, bool]]) -> list[int]:
        suffix = self._tmp_suffix
        return [_write_file(final, data, suffix, make) for final, data, make in batch]

    def _collect(self) -> None:
        finals, future = self._pending.popleft()
        for final in finals:
            self._in_flight.discard(final)
        for size in future.result():
            if size < 0:
                self.collisions += 1
            else:
                self.written += 1
                self.bytes_written += size

    def close(self) -> dict[str, Any]:
        try:
            if self._batch:
                self._submit()
            while self._pending:
                self._collect()
        finally:
            self._pool.shutdown(wait=True)
        return self.stats()

    def abort(self) -> None:
        for _, future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)
        self._pending.clear()
        self._batch.clear()


_serial = itertools.count()
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _make_folder(folder: str) -> None:
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


def _write_file(final: str, data: bytes, tmp_suffix: str, make_folder: bool) -> int:
    """Write one file under a hidden temporary name beside it, then link it to its final name; -1 if
    that name exists. The temporary name is gone when this returns or raises."""
    slash = final.rindex("/")
    if make_folder:
        _make_folder(final[:slash])
    tmp = f"{final[: slash + 1]}.{final[slash + 1 :]}{tmp_suffix}"
    try:
        fd = os.open(tmp, _CREATE, 0o644)
    except FileNotFoundError:  # its folder is being made by a task that started first
        _make_folder(final[:slash])
        fd = os.open(tmp, _CREATE, 0o644)
    except FileExistsError:  # left by a killed process that had the same pid
        os.unlink(tmp)
        fd = os.open(tmp, _CREATE, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        try:
            os.link(tmp, final)
        except FileExistsError:
            return -1
        return len(data)
    finally:
        os.unlink(tmp)
