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

:meth:`GzipMemberWriter.submit` compresses on a background thread instead: zlib releases the GIL
while it deflates, so a writer with Python work of its own between members (the WAT and WET writers:
~0.2 ms of deflate per captured page beside ~1 ms of HTML extraction) gets part of that time back on
an idle second core (``bench/commoncrawl.py``: 1.63 -> 1.49 ms per page). Handing members over costs
CPU (~0.1 ms per page), so it is a loss when the second core is busy anyway. One worker writes the
members in submission order, so the bytes are the same.
"""

from __future__ import annotations

import contextlib
import os
import queue
import struct
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from ccdump import fastzlib
from ccdump.errors import WriterError

#: member header of Common Crawl's WARC files (``java.util.zip.GZIPOutputStream``)
GZIP_HEADER_JDK = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x00"
#: member header of Common Crawl's WAT and WET files (ia-web-commons ``GZIPMemberWriter``)
GZIP_HEADER_UNIX = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
#: members waiting for the background thread before :meth:`GzipMemberWriter.submit` blocks
BACKGROUND_QUEUE = 64


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
    returns their offset and length. ``deflate`` (``"isal:3"``, ``"zlib:6"``:
    :func:`ccdump.fastzlib.gzip_compressor`) picks the engine; without it, zlib at ``level``.
    Use as a context manager: an exception inside the ``with`` block discards the temporary file
    instead of renaming it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        level: int = 6,
        header: bytes = GZIP_HEADER_JDK,
        compress: bool = True,
        buffer_size: int = 1 << 20,
        deflate: str | None = None,
    ) -> None:
        if compress and (len(header) != 10 or header[:4] != b"\x1f\x8b\x08\x00"):
            raise ValueError("header must be a 10-byte gzip member header without optional fields")
        self.path = os.fspath(path)
        self.level = level
        self._deflate = fastzlib.gzip_compressor(deflate or f"zlib:{level}")
        self.header = header
        self.compress = compress
        self.last_member: Member | None = None
        self.members = 0
        self._offset = 0
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None  # raised by the background thread, re-raised here
        self._tmp, self._file = open_temporary(self.path, buffer_size)

    def tell(self) -> int:
        """Bytes written so far: the offset the next member will get."""
        return self._offset

    def write_member(self, data: bytes | memoryview | Iterable[bytes | memoryview]) -> tuple[int, int]:
        """Write one member holding ``data`` (bytes, or chunks written in order); return (offset, length)."""
        if self._file is None:
            raise WriterError(f"{self.path}: write after close")
        chunks = (data,) if isinstance(data, (bytes, bytearray, memoryview)) else tuple(data)
        if self.compress:
            # one-shot: zlib computes the CRC while it deflates (no second pass over the data);
            # the same deflate stream as a compressobj fed chunk by chunk, its header replaced
            whole = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            return self._append_member(self._deflate(whole), len(whole))
        offset = self._offset
        crc = 0
        size = 0
        try:
            for chunk in chunks:
                crc = fastzlib.crc32(chunk, crc)
                size += len(chunk)
                self._file.write(chunk)
        except OSError as exc:
            raise WriterError(f"{self.path} at byte {offset}: write failed: {exc}") from exc
        return self._appended(size, size, crc, 0)

    def write_prepared(self, member: bytes | memoryview) -> tuple[int, int]:
        """Write one complete gzip member made elsewhere (:func:`ccdump.fastzlib.gzip_compressor`).

        Its 10-byte header is replaced by :attr:`header`, as :meth:`write_member` does; the
        inflated length and CRC come from its trailer. This lets another process do the
        compression (:mod:`ccdump.writers.commoncrawl` prepares WAT members in the WARC writer's
        process while the derived-format helper is behind) and the file stay byte for byte the same.
        """
        if self._file is None:
            raise WriterError(f"{self.path}: write after close")
        if not self.compress or len(member) < 18:
            raise ValueError("write_prepared takes a complete gzip member, on a compressing writer")
        return self._append_member(member, None)

    def _append_member(self, member: bytes | memoryview, size: int | None) -> tuple[int, int]:
        """Write a complete gzip member with :attr:`header` in place of its own; ``size``: the
        inflated length (None: the trailer's, which is modulo 2**32)."""
        assert self._file is not None
        offset = self._offset
        crc, trailer_size = struct.unpack_from("<II", member, len(member) - 8)
        try:
            self._file.write(self.header)
            self._file.write(memoryview(member)[10:])
        except OSError as exc:
            raise WriterError(f"{self.path} at byte {offset}: write failed: {exc}") from exc
        return self._appended(len(member), trailer_size if size is None else size, crc, 10)

    def _appended(self, length: int, size: int, crc: int, header_length: int) -> tuple[int, int]:
        """Account for a member of ``length`` bytes just written at :meth:`tell`."""
        offset = self._offset
        self._offset += length
        self.members += 1
        self.last_member = Member(offset, length, size, crc, header_length)
        return offset, length

    def submit(self, data: bytes) -> None:
        """Write one member holding ``data`` like :meth:`write_member`, compressed on a background thread.

        Members are written in submission order; where they landed is not returned (:meth:`tell` is
        exact after :meth:`close`). Once used, write only through it. A write error is raised by the
        next ``submit`` or by ``close``, which then discards the file.
        """
        if self._file is None:
            raise WriterError(f"{self.path}: write after close")
        if self._error is not None:
            raise self._error
        if self._queue is None:
            self._queue = queue.Queue(maxsize=BACKGROUND_QUEUE)
            self._thread = threading.Thread(target=self._drain, name=f"gzip:{os.path.basename(self.path)}", daemon=True)
            self._thread.start()
        self._queue.put(data)

    def _drain(self) -> None:
        assert self._queue is not None
        while True:
            data = self._queue.get()
            if data is None:
                return
            if self._error is None:  # after an error, keep taking members so submit() never blocks
                try:
                    self.write_member(data)
                except BaseException as exc:  # handed to the submitting thread
                    self._error = exc

    def _stop(self) -> None:
        """Let the background thread write what is queued, and end it."""
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        self._queue = self._thread = None

    def close(self) -> None:
        """Flush, fsync-free close, and rename the temporary file to its final name."""
        if self._file is None:
            return
        self._stop()
        if self._error is not None:
            self.abort()
            raise self._error
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
        self._stop()
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
