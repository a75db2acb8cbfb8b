"""Streaming reader of Hadoop SequenceFiles, versions 1–6, NONE / RECORD / BLOCK compression.

The reader yields :class:`RawRecord` objects: the key's payload bytes (Text/UTF8 payload without
its length prefix, which is also the sort key), the decoded key, and the value's serialized bytes
(already decompressed). Writable decoding happens one layer up, in :mod:`ccdump.nutch`.

Memory stays flat: a RECORD file holds one record in memory at a time, a BLOCK file one block
(≤ ~1 MB compressed by Hadoop's default). Every length read from the file is checked against the
bytes left in the file before anything is allocated.

Errors raise :class:`~ccdump.errors.SegmentFormatError` naming file, byte offset and what was
expected. With ``on_error="skip"`` the reader instead records the problem, skips the damaged record
(value decoding failed but the framing is intact) or resynchronises at the next sync escape
(framing broken), and goes on.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Literal

from ccdump.errors import SegmentFormatError
from ccdump.hadoop import fs
from ccdump.hadoop.codecs import DEFAULT_CODEC, DEFAULT_LIMIT, Codec, CodecError, get_codec
from ccdump.hadoop.writables import DataInput, DecodeError, decode_java_utf

MAGIC = b"SEQ"
SYNC_SIZE = 16
SYNC_ESCAPE = -1
_I32 = struct.Struct(">i")

OnError = Literal["raise", "skip"]

TEXT = "org.apache.hadoop.io.Text"
UTF8 = "org.apache.hadoop.io.UTF8"
LONG = "org.apache.hadoop.io.LongWritable"

#: Short names registered with Hadoop's WritableName and by Nutch ≤ 0.8.
CLASS_ALIASES = {
    "null": "org.apache.hadoop.io.NullWritable",
    "long": LONG,
    "UTF8": UTF8,
    "MD5Hash": "org.apache.hadoop.io.MD5Hash",
    "Content": "org.apache.nutch.protocol.Content",
    "ParseData": "org.apache.nutch.parse.ParseData",
    "ParseText": "org.apache.nutch.parse.ParseText",
    "FetcherOutput": "org.apache.nutch.fetcher.FetcherOutput",
}


def canonical_class(name: str) -> str:
    return CLASS_ALIASES.get(name, name)


@dataclass
class Header:
    """The parsed file header (see spec hadoop-sequencefile.md §2)."""

    version: int
    key_class: str
    value_class: str
    compressed: bool
    block_compressed: bool
    codec_class: str | None
    metadata: list[tuple[str, str]]
    sync: bytes | None
    length: int

    @property
    def kind(self) -> str:
        if not self.compressed:
            return "NONE"
        return "BLOCK" if self.block_compressed else "RECORD"


@dataclass(slots=True)
class RawRecord:
    """One key/value pair as stored. ``offset`` is where the record (or its block) starts."""

    key: bytes  #: key payload bytes: UTF-8 for Text, Java modified UTF-8 for UTF8; the sort key
    value: bytes  #: the value's serialization, decompressed
    offset: int

    def key_str(self, key_class: str = TEXT) -> str:
        if key_class == UTF8:
            return decode_java_utf(self.key)
        return self.key.decode("utf-8", "replace")


@dataclass
class ReadStats:
    """What one pass over a file saw; ``skipped_*`` are non-zero only in skip mode."""

    records: int = 0
    sync_count: int = 0
    blocks: int = 0
    skipped_records: int = 0
    skipped_regions: int = 0
    skipped_bytes: int = 0
    truncated: bool = False
    errors: list[str] = field(default_factory=list)

    def note(self, error: SegmentFormatError) -> None:
        if len(self.errors) < 100:
            self.errors.append(str(error))


class _FramingError(Exception):
    """Internal: the record framing is broken; resynchronise."""

    def __init__(self, error: SegmentFormatError) -> None:
        self.error = error


class SequenceFileReader:
    """Read one SequenceFile. Iterate it for :class:`RawRecord` objects.

    >>> # for rec in SequenceFileReader("crawl_generate/part-00000"): print(rec.key_str())
    """

    def __init__(
        self,
        path: str,
        *,
        on_error: OnError = "raise",
        value_limit: int = DEFAULT_LIMIT,
        fileobj: IO[bytes] | None = None,
    ) -> None:
        self.path = path
        self.on_error = on_error
        self.value_limit = value_limit
        self.stats = ReadStats()
        self._f = fileobj if fileobj is not None else fs.open_read(path)
        try:
            self.file_len = fs.size(path) if fileobj is None else _stream_len(fileobj)
            self._pos = 0
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise
        codec: Codec | None = None
        if self.header.compressed:
            codec = get_codec(self.header.codec_class or DEFAULT_CODEC)
            if codec is None:
                self.close()
                raise SegmentFormatError(path, None, "a supported compression codec", self.header.codec_class)
        self.codec = codec

    # --- plumbing -----------------------------------------------------------------------------

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None  # type: ignore[assignment]

    def __enter__(self) -> SequenceFileReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _err(self, offset: int | None, expected: str, found: str | None = None) -> SegmentFormatError:
        return SegmentFormatError(self.path, offset, expected, found)

    def _read(self, n: int, what: str) -> bytes:
        if n > self.file_len - self._pos:
            raise self._truncated(what, n)
        data = self._f.read(n)
        if len(data) != n:
            raise self._truncated(what, n)
        self._pos += n
        return data

    def _truncated(self, what: str, n: int) -> SegmentFormatError:
        left = self.file_len - self._pos
        return self._err(self._pos, f"{what} ({n} bytes)", f"end of file after {left} bytes (truncated file)")

    def _beyond(self, n: int) -> str:
        left = self.file_len - self._pos
        if n < 0:
            return str(n)
        return f"{n} with only {left} bytes left in the file (truncated file?)"

    def _int(self, what: str) -> int:
        return _I32.unpack(self._read(4, what))[0]

    def _seek(self, pos: int) -> None:
        self._f.seek(pos)
        self._pos = pos

    # --- header --------------------------------------------------------------------------------

    def _read_header(self) -> Header:
        magic = self._read(3, "the SequenceFile magic 'SEQ'") if self.file_len >= 3 else b""
        if magic != MAGIC:
            raise self._err(0, "the SequenceFile magic 'SEQ' (53 45 51)", magic.hex() or "an empty file")
        version = self._read(1, "the version byte")[0]
        if version > 6:
            raise self._err(3, "a SequenceFile version from 1 to 6", str(version))
        key_class = canonical_class(self._header_string(version, "the key class name"))
        value_class = canonical_class(self._header_string(version, "the value class name"))
        compressed = block = False
        codec_class: str | None = None
        if version > 2:
            compressed = self._read(1, "the compressed flag")[0] != 0
        if version >= 4:
            block = self._read(1, "the block-compressed flag")[0] != 0
        if compressed:
            codec_class = self._header_string(version, "the codec class name") if version >= 5 else DEFAULT_CODEC
        metadata: list[tuple[str, str]] = []
        if version >= 6:
            at = self._pos
            count = self._int("the metadata count")
            if count < 0 or count > (self.file_len - self._pos) // 2:
                raise self._err(at, "a metadata entry count that fits the file", str(count))
            for _ in range(count):
                metadata.append((self._text("a metadata key"), self._text("a metadata value")))
        sync = self._read(SYNC_SIZE, "the 16-byte sync marker") if version > 1 else None
        if key_class not in (TEXT, UTF8, LONG) and not key_class.startswith("org.apache."):
            raise self._err(4, "a known key class", key_class)
        return Header(version, key_class, value_class, compressed, block, codec_class, metadata, sync, self._pos)

    def _vint_from_file(self, what: str) -> int:
        first = self._read(1, what)
        b = first[0] - 256 if first[0] > 127 else first[0]
        if b >= -112:
            return b
        n = (-120 - b) if b < -120 else (-112 - b)
        rest = self._read(n, what)
        try:
            return DataInput(first + rest).vint()
        except DecodeError as exc:
            raise self._err(self._pos - n - 1, what, exc.found) from None

    def _text(self, what: str) -> str:
        at = self._pos
        n = self._vint_from_file(what)
        if n < 0 or n > self.file_len - self._pos:
            raise self._err(at, f"{what} (a Text length within the file)", str(n))
        return self._read(n, what).decode("utf-8", "replace")

    def _header_string(self, version: int, what: str) -> str:
        if version < 4:
            at = self._pos
            n = struct.unpack(">H", self._read(2, what))[0]
            if n > self.file_len - self._pos:
                raise self._err(at, f"{what} (a UTF8 length within the file)", str(n))
            return decode_java_utf(self._read(n, what))
        return self._text(what)

    # --- records --------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[RawRecord]:
        return self.records()

    def records(self, start: int | None = None) -> Iterator[RawRecord]:
        """Records from ``start`` (a record or block offset, e.g. from a MapFile index) or the beginning."""
        self._seek(self.header.length if start is None else start)
        if self.header.compressed and self.header.block_compressed:
            yield from self._block_records()
        else:
            yield from self._plain_records()

    def _key_payload(self, key: bytes, at: int) -> bytes:
        """Strip the key's own length prefix (Text VInt or UTF8 u16) and check it matches."""
        kc = self.header.key_class
        try:
            if kc == TEXT:
                d = DataInput(key)
                n = d.vint()
                if n != d.remaining():
                    raise DecodeError(0, f"a Text key of {d.remaining()} bytes", f"length {n}")
                return key[len(key) - n :]
            if kc == UTF8:
                d = DataInput(key)
                n = d.u16()
                if n != d.remaining():
                    raise DecodeError(0, f"a UTF8 key of {d.remaining()} bytes", f"length {n}")
                return key[2:]
        except DecodeError as exc:
            raise _FramingError(self._err(at, exc.expected, exc.found)) from None
        return key

    def _plain_records(self) -> Iterator[RawRecord]:
        sync = self.header.sync
        codec = self.codec
        while True:
            start = self._pos
            try:
                if start >= self.file_len:
                    return
                length = self._int("a record length")
                if length == SYNC_ESCAPE:
                    marker = self._read(SYNC_SIZE, "the sync marker after a sync escape")
                    if sync is not None and marker != sync:
                        raise _FramingError(self._err(start + 4, "the file's sync marker", marker.hex()))
                    self.stats.sync_count += 1
                    if self._pos >= self.file_len:
                        return
                    length = self._int("a record length")
                at = self._pos - 4
                if length < 0 or length > self.file_len - self._pos - 4:
                    raise _FramingError(self._err(at, "a record length within the file", self._beyond(length)))
                key_len = self._int("a key length")
                if key_len < 0 or key_len > length:
                    raise _FramingError(self._err(at + 4, f"a key length from 0 to {length}", str(key_len)))
                key = self._key_payload(self._read(key_len, "the key"), at + 8)
                value_at = self._pos
                value = self._read(length - key_len, "the value")
            except _FramingError as exc:
                if not self._recover(exc.error, start):
                    return
                continue
            except SegmentFormatError as exc:  # truncated
                self.stats.truncated = True
                if not self._recover(exc, start, truncated=True):
                    return
                continue
            if codec is not None:
                try:
                    value = codec.decompress(value, self.value_limit)
                except CodecError as exc:
                    error = self._err(value_at + exc.offset, f"a {codec.short_name} compressed value", str(exc))
                    if self.on_error == "raise":
                        raise error from None
                    self.stats.note(error)
                    self.stats.skipped_records += 1
                    continue
            self.stats.records += 1
            yield RawRecord(key, value, start)

    def _block_records(self) -> Iterator[RawRecord]:
        codec = self.codec
        assert codec is not None
        sync = self.header.sync
        while True:
            start = self._pos
            if start >= self.file_len:
                return
            try:
                escape = self._int("a block's sync escape")
                marker = self._read(SYNC_SIZE, "a block's sync marker")
                if escape != SYNC_ESCAPE or (sync is not None and marker != sync):
                    raise _FramingError(self._err(start, "a sync escape (ff ff ff ff + the file's sync) before a block"))
                self.stats.sync_count += 1
                at = self._pos
                n = self._vint_from_file("the block's record count")
                if n < 0 or n > self.file_len:
                    raise _FramingError(self._err(at, "a non-negative record count", str(n)))
                buffers = []
                for name in ("key lengths", "keys", "value lengths", "values"):
                    at = self._pos
                    size = self._vint_from_file(f"the compressed size of the {name} buffer")
                    if size < 0 or size > self.file_len - self._pos:
                        raise _FramingError(self._err(at, f"the {name} buffer size within the file", self._beyond(size)))
                    buffers.append((at, self._read(size, f"the {name} buffer")))
            except _FramingError as exc:
                if not self._recover(exc.error, start):
                    return
                continue
            except SegmentFormatError as exc:
                self.stats.truncated = True
                if not self._recover(exc, start, truncated=True):
                    return
                continue
            self.stats.blocks += 1
            try:
                records = self._split_block(start, n, buffers)
            except SegmentFormatError as exc:
                if self.on_error == "raise":
                    raise
                self.stats.note(exc)
                self.stats.skipped_records += n
                self.stats.skipped_regions += 1
                continue
            self.stats.records += len(records)
            yield from records

    def _split_block(self, start: int, n: int, buffers: list[tuple[int, bytes]]) -> list[RawRecord]:
        codec = self.codec
        assert codec is not None
        plain = []
        for at, data in buffers:
            try:
                plain.append(codec.decompress(data, self.value_limit))
            except CodecError as exc:
                raise self._err(at + exc.offset, f"a {codec.short_name} compressed block buffer", str(exc)) from None
        key_lens, keys, value_lens, values = plain
        kl, vl = DataInput(key_lens), DataInput(value_lens)
        records: list[RawRecord] = []
        kpos = vpos = 0
        try:
            for _ in range(n):
                k = kl.vint()
                v = vl.vint()
                if k < 0 or v < 0 or kpos + k > len(keys) or vpos + v > len(values):
                    raise DecodeError(0, "record lengths that fit the block's buffers", f"{k}/{v}")
                key = self._key_payload(keys[kpos : kpos + k], start)
                records.append(RawRecord(key, values[vpos : vpos + v], start))
                kpos += k
                vpos += v
        except _FramingError as exc:
            raise exc.error from None
        except DecodeError as exc:
            raise self._err(start, f"a consistent block of {n} records: {exc.expected}", exc.found) from None
        if kpos != len(keys) or vpos != len(values) or not kl.at_end() or not vl.at_end():
            raise self._err(start, f"block buffers holding exactly {n} records", "leftover bytes")
        return records

    # --- recovery -------------------------------------------------------------------------------

    def _recover(self, error: SegmentFormatError, start: int, truncated: bool = False) -> bool:
        """In skip mode, move to the next sync escape after ``start``; False when none is left."""
        if self.on_error == "raise":
            raise error
        self.stats.note(error)
        self.stats.skipped_regions += 1
        if truncated:
            self.stats.skipped_bytes += self.file_len - start
            return False
        nxt = self._find_sync(start + 1)
        self.stats.skipped_bytes += (nxt if nxt is not None else self.file_len) - start
        if nxt is None:
            return False
        self._seek(nxt)
        return True

    def _find_sync(self, pos: int) -> int | None:
        sync = self.header.sync
        if sync is None:
            return None
        pattern = b"\xff\xff\xff\xff" + sync
        chunk = 1 << 20
        self._seek(pos)
        carry = b""
        base = pos
        while True:
            data = self._f.read(chunk)
            if not data:
                return None
            hay = carry + data
            i = hay.find(pattern)
            if i >= 0:
                return base - len(carry) + i
            carry = hay[-(len(pattern) - 1) :]
            base += len(data)


def _stream_len(f: IO[bytes]) -> int:
    here = f.tell()
    end = f.seek(0, 2)
    f.seek(here)
    return end


def read_header(path: str) -> Header:
    with SequenceFileReader(path) as r:
        return r.header
