"""One CBOR file per document, as Nutch's dumper writes them, in its md5 two-level layout.

Default framing is Nutch's (spec nutch-dumper.md §6.1–6.2): self-describe tag 55799 then one CBOR
text string holding the JSON text, chunked as jackson ≥ 2.9.9 chunks long strings. ``native``
writes a CBOR map with the raw body as a byte string (lossless).
"""

from __future__ import annotations

import os
import struct
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import cbor2

from ccdump.mapper import to_json_text
from ccdump.nutch.document import Document
from ccdump.writers.base import Writer, publish, temp_name
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


def native_cbor(record: dict[str, Any], body: bytes) -> bytes:
    """Tag 55799 + a CBOR map of the record whose ``response.body`` is the raw bytes."""
    record = dict(record)
    record["response"] = {**record["response"], "body": body}
    return cbor2.dumps(cbor2.CBORTag(55799, record))


def encode(record: dict[str, Any], doc: Document, fmt: CborFormat) -> bytes:
    if fmt == "native":
        assert doc.content is not None
        return native_cbor(record, doc.content.content)
    return nutch_cbor(to_json_text(record))


class CborFileWriter(Writer):
    """``<outputDir>/<c0c8>/<c16c24>/<md5>_<base>.<ext>``; the first file wins on a name collision.

    One file per document makes the file system the bottleneck (a directory and a file created for
    almost every document), so files are written by a small thread pool: those system calls release
    the GIL and overlap. At most ``max_pending`` encoded documents wait, so memory stays bounded.
    """

    name = "cbor"

    def __init__(
        self,
        output_dir: str,
        layout: LayoutOptions = LayoutOptions(),
        cbor_format: CborFormat = "nutch",
        threads: int = 8,
        max_pending: int = 64,
    ) -> None:
        super().__init__()
        self.output_dir = os.path.abspath(output_dir)
        self.layout = layout
        self.cbor_format = cbor_format
        self._made: set[str] = set()
        self._in_flight: set[str] = set()
        self._pending: deque[tuple[str, Future[int]]] = deque()
        self._max_pending = max_pending
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ccdump-cbor")

    def write(self, doc: Document, record: dict[str, Any] | None, *, timestamp: str = "null") -> bool:
        assert record is not None
        final = os.path.join(self.output_dir, *relative_path(doc.url, self.layout, timestamp).split("/"))
        if final in self._in_flight:
            self.collisions += 1
            return False
        data = encode(record, doc, self.cbor_format)
        folder = os.path.dirname(final)
        make = folder not in self._made
        self._made.add(folder)
        self._in_flight.add(final)
        self._pending.append((final, self._pool.submit(_write_file, final, data, folder if make else None)))
        while len(self._pending) > self._max_pending:
            self._collect()
        return True

    def _collect(self) -> None:
        final, future = self._pending.popleft()
        self._in_flight.discard(final)
        size = future.result()
        if size < 0:
            self.collisions += 1
        else:
            self.written += 1
            self.bytes_written += size

    def close(self) -> dict[str, Any]:
        try:
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


def _write_file(final: str, data: bytes, make_folder: str | None) -> int:
    """Write one file under a temporary name, then link it to its final name; -1 if that exists."""
    if make_folder is not None:
        os.makedirs(make_folder, exist_ok=True)
    if os.path.exists(final):
        return -1
    tmp = temp_name(final) + f"-{threading.get_ident()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(data) if publish(tmp, final, overwrite=False) else -1
