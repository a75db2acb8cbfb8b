"""One gzip member per record, written under a temporary name and renamed when complete.

Random access into WARC, WAT and WET files needs every record in its own gzip member (ISO 28500
Annex D): a CDX line's ``offset``/``length`` must name exactly one member. The writer hands back
where each member landed, so indexes are built without re-reading what was just written (the
``begin_member``/``end_member`` idea of FastWARC's ``GZipStream``).

The 10-byte member header is written by hand because its last two bytes differ between the tools
Common Crawl uses: the JDK (WARC files) writes ``XFL 0, OS 0``; ia-web-commons (WAT, WET) writes
``XFL 0, OS 3``. Readers ignore them; byte comparisons of compressed data do not.

The file appears under its final name only after :meth:`GzipMemberWriter.close`, so a crashed run
never leaves a truncated file that looks complete.
"""

from __future__ import annotations

import contextlib
import os
import struct
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from ccdump.errors import WriterError

#: member header of Common Crawl's WARC files (``java.util.zip.GZIPOutputStream``)
GZIP_HEADER_JDK = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x00"
#: member header of Common Crawl's WAT and WET files (ia-web-commons ``GZIPMemberWriter``)
GZIP_HEADER_UNIX = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"


def open_temporary(path: str, buffer_size: int = 1 << 20) -> tuple[str, BinaryIO]:
    """Create ``.<name>.<random>.tmp`` beside ``path`` (normal permissions); return its name and file."""
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        os.makedirs(directory, exist_ok=True)
        return tmp, open(tmp, "xb", buffering=buffer_size)  # noqa: SIM115 - closed by the owner
    except OSError as exc:
        raise WriterError(f"{path}: cannot create output file: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Member:
    """Where one record landed: what a CDX line and a WAT ``Container`` need to know."""

    offset: int
    length: int
    inflated_length: int
    crc32: int  # unsigned CRC-32 of the inflated bytes, as stored in the member trailer
    header_length: int = 10


class GzipMemberWriter:
    """Append records to a file, each as its own gzip member (or uncompressed).

    ``write_member(data) -> (offset, length)``; :attr:`last_member` has the inflated length and
    CRC as well. ``compress=False`` writes the bytes as they are (for ``.warc`` files) and still
    returns their offset and length. Use as a context manager: an exception inside the ``with``
    block discards the temporary file instead of renaming it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        level: int = 6,
        header: bytes = GZIP_HEADER_JDK,
        compress: bool = True,
        buffer_size: int = 1 << 20,
    ) -> None:
        if compress and (len(header) != 10 or header[:4] != b"\x1f\x8b\x08\x00"):
            raise ValueError("header must be a 10-byte gzip member header without optional fields")
        self.path = os.fspath(path)
        self.level = level
        self.header = header
        self.compress = compress
        self.last_member: Member | None = None
        self.members = 0
        self._offset = 0
        self._tmp, self._file = open_temporary(self.path, buffer_size)

    def tell(self) -> int:
        """Bytes written so far: the offset the next member will get."""
        return self._offset

    def write_member(self, data: bytes | memoryview | Iterable[bytes | memoryview]) -> tuple[int, int]:
        """Write one member holding ``data`` (bytes, or chunks written in order); return (offset, length)."""
        if self._file is None:
            raise WriterError(f"{self.path}: write after close")
        chunks = (data,) if isinstance(data, (bytes, bytearray, memoryview)) else tuple(data)
        offset = self._offset
        crc = 0
        size = 0
        write = self._file.write
        try:
            if self.compress:
                comp = zlib.compressobj(self.level, zlib.DEFLATED, -15)
                parts = [self.header]
                for chunk in chunks:
                    crc = zlib.crc32(chunk, crc)
                    size += len(chunk)
                    parts.append(comp.compress(chunk))
                parts.append(comp.flush())
                parts.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
                length = 0
                for part in parts:
                    length += len(part)
                    write(part)
            else:
                for chunk in chunks:
                    crc = zlib.crc32(chunk, crc)
                    size += len(chunk)
                    write(chunk)
                length = size
        except OSError as exc:
            raise WriterError(f"{self.path} at byte {offset}: write failed: {exc}") from exc
        self._offset += length
        self.members += 1
        self.last_member = Member(offset, length, size, crc, 10 if self.compress else 0)
        return offset, length

    def close(self) -> None:
        """Flush, fsync-free close, and rename the temporary file to its final name."""
        if self._file is None:
            return
        try:
            self._file.close()
            os.replace(self._tmp, self.path)
        except OSError as exc:
            self._discard()
            raise WriterError(f"{self.path}: cannot finish output file: {exc}") from exc
        finally:
            self._file = None

    def abort(self) -> None:
        """Drop the temporary file; the final name is never created."""
        if self._file is None:
            return
        try:
            self._file.close()
        finally:
            self._file = None
            self._discard()

    def _discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)

    @property
    def closed(self) -> bool:
        return self._file is None

    def __enter__(self) -> GzipMemberWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
