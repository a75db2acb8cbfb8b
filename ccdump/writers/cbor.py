"""One CBOR file per document, as Nutch's dumper writes them, in its md5 two-level layout.

Default framing is Nutch's (spec nutch-dumper.md §6.1–6.2): self-describe tag 55799 then one CBOR
text string holding the JSON text, chunked as jackson ≥ 2.9.9 chunks long strings. ``native``
writes a CBOR map with the raw body as a byte string (lossless).
"""

from __future__ import annotations

import os
import struct
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
        out += (_text_head(_units(piece), len(data)) if last else b"\x79" + struct.pack(">H", len(data))) + data
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
    """``<outputDir>/<c0c8>/<c16c24>/<md5>_<base>.<ext>``; the first file wins on a name collision."""

    name = "cbor"

    def __init__(self, output_dir: str, layout: LayoutOptions = LayoutOptions(), cbor_format: CborFormat = "nutch") -> None:
        super().__init__()
        self.output_dir = os.path.abspath(output_dir)
        self.layout = layout
        self.cbor_format = cbor_format
        self._made: set[str] = set()

    def write(self, doc: Document, record: dict[str, Any] | None, *, timestamp: str = "null") -> bool:
        assert record is not None
        final = os.path.join(self.output_dir, *relative_path(doc.url, self.layout, timestamp).split("/"))
        if os.path.exists(final):
            self.collisions += 1
            return False
        data = encode(record, doc, self.cbor_format)
        folder = os.path.dirname(final)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        tmp = temp_name(final)
        try:
            with open(tmp, "wb") as f:
                f.write(data)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        if not publish(tmp, final, overwrite=False):
            self.collisions += 1
            return False
        self.written += 1
        self.bytes_written += len(data)
        return True
