"""``-gzip``: one streamed ``yyyyMMddHHmm.tar.gz`` holding the CBOR files (spec nutch-dumper.md §5.3).

Streamed straight into gzip, so neither a temporary copy of every file nor memory that grows with
the number of documents (only the set of entry names, for duplicate detection). Entry names are
the file layout's paths with real ``/`` separators; the archive is written under a temporary name
and renamed when finished. The tar stream is byte for byte what ``tarfile`` (GNU format) writes;
the gzip stream is a series of members deflated in parallel (:class:`ParallelGzip`).
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import tarfile
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ccdump import fastzlib
from ccdump.nutch.document import Document
from ccdump.writers.base import Writer, temp_name
from ccdump.writers.cbor import CborFormat, encode
from ccdump.writers.layout import LayoutOptions, relative_path

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0, OS unknown


def gzip_member(data: bytes | memoryview, level: int = 6) -> bytes:
    """One complete gzip member holding ``data`` (zlib releases the GIL while it deflates)."""
    deflate = fastzlib.compressobj(level, fastzlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    return GZIP_HEADER + body + struct.pack("<II", fastzlib.crc32(data), len(data) & 0xFFFFFFFF)


def deflate_threads() -> int:
    """Threads for deflating: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


class ParallelGzip(io.RawIOBase):
    """A gzip stream deflated by a pool of threads: one gzip member per ``chunk`` bytes written.

    Concatenated members are one valid gzip file (RFC 1952 §2.2; gzip, ``tar -z`` and Python's
    gzip/tarfile read them all), so chunks are deflated independently, as pigz does, on every core
    (zlib releases the GIL) while the writing thread goes on mapping documents. Members are written
    in order; at most ``depth`` chunks are in flight, so memory stays bounded (≈ 2 × depth × chunk).
    Restarting the deflate window every chunk costs about 1 % of compression at 1 MiB.
    """

    CHUNK = 1 << 20

    def __init__(
        self, raw: io.BufferedWriter, level: int = 6, threads: int | None = None, chunk: int | None = None, depth: int | None = None
    ) -> None:
        super().__init__()
        self._raw = raw
        self._level = level
        self._chunk = chunk or self.CHUNK
        threads = threads or deflate_threads()
        self._depth = depth or threads + 2
        self._buf = bytearray()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ccdump-gzip")
        self._pending: deque[Future[bytes]] = deque()
        self._members = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._buf += data
        if len(self._buf) >= self._chunk:
            self._submit()
        return len(data)

    def _submit(self) -> None:
        chunk = bytes(self._buf)
        self._buf.clear()
        self._members += 1
        self._pending.append(self._pool.submit(gzip_member, chunk, self._level))
        while len(self._pending) > self._depth:
            self._raw.write(self._pending.popleft().result())

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._buf or not self._members:
                self._submit()  # an empty stream is still one (empty) gzip member
            while self._pending:
                self._raw.write(self._pending.popleft().result())
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            super().close()

    def abort(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
        super().close()


BackgroundGzip = ParallelGzip  # the former single-thread name


def archive_path(output_dir: str, started: float) -> str:
    """``<outputDir>/yyyyMMddHHmm.tar.gz`` (24-hour, local time), ``-1``, ``-2`` … if taken."""
    stamp = time.strftime("%Y%m%d%H%M", time.localtime(started))
    candidate = os.path.join(output_dir, f"{stamp}.tar.gz")
    n = 0
    while os.path.exists(candidate):
        n += 1
        candidate = os.path.join(output_dir, f"{stamp}-{n}.tar.gz")
    return candidate


class TarHeaders:
    """GNU tar headers of regular files as ``tarfile`` writes them (mode 0644, uid/gid 0, no user or
    group names, one mtime), from a template for the usual short name; tarfile itself otherwise."""

    def __init__(self, mtime: int) -> None:
        self.mtime = mtime
        template = bytearray(self._tarinfo("", 0).tobuf(tarfile.GNU_FORMAT, tarfile.ENCODING, "surrogateescape"))
        assert len(template) == tarfile.BLOCKSIZE
        template[0:100] = bytes(100)
        template[124:136] = bytes(12)
        template[148:156] = b" " * 8
        self._template = bytes(template)
        self._base_sum = sum(template)

    def _tarinfo(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o644
        info.mtime = self.mtime
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def header(self, name: str, size: int) -> bytes:
        raw = name.encode(tarfile.ENCODING, "surrogateescape")
        if not 0 < len(raw) <= 100 or size >= 8**11:
            return self._tarinfo(name, size).tobuf(tarfile.GNU_FORMAT, tarfile.ENCODING, "surrogateescape")
        size_field = b"%011o\0" % size
        check = self._base_sum + sum(raw) + sum(size_field)
        t = self._template
        return b"".join((raw, t[len(raw) : 124], size_field, t[136:148], b"%06o\0" % check, t[155:]))


class TarGzWriter(Writer):
    """One ``.tar.gz`` of CBOR files, streamed: tar headers from :class:`TarHeaders`, deflated by
    :class:`ParallelGzip`. Memory holds the entry names (duplicate detection) and a few chunks."""

    name = "tar.gz"

    def __init__(
        self,
        output_dir: str,
        layout: LayoutOptions = LayoutOptions(),
        cbor_format: CborFormat = "nutch",
        started: float | None = None,
        compresslevel: int = 6,
        *,
        path: str | None = None,
        end_of_archive: bool = True,
    ) -> None:
        super().__init__()
        self.started = time.time() if started is None else started
        os.makedirs(output_dir, exist_ok=True)
        #: ``path``/``end_of_archive=False``: one unit's part of a parallel run's archive (see
        #: :mod:`ccdump.writers.tarparts`): gzip members whose tar stream lacks the closing blocks.
        self.path = path or archive_path(os.path.abspath(output_dir), self.started)
        self.end_of_archive = end_of_archive
        self.layout = layout
        self.cbor_format = cbor_format
        self._names: set[str] = set()
        self._headers = TarHeaders(int(self.started))
        self._offset = 0  # bytes of tar stream written
        self._tmp = temp_name(self.path)
        self._raw = open(self._tmp, "wb")
        self._gz = ParallelGzip(self._raw, compresslevel)

    def write(self, doc: Document, record: dict[str, Any] | None, *, timestamp: str = "null") -> bool:
        assert record is not None
        name = relative_path(doc.url, self.layout, timestamp)
        if name in self._names:
            self.collisions += 1
            return False
        data = encode(record, doc, self.cbor_format)
        size = len(data)
        header = self._headers.header(name, size)
        pad = -size % tarfile.BLOCKSIZE
        gz = self._gz
        gz.write(header)
        gz.write(data)
        if pad:
            gz.write(_ZEROS[:pad])
        self._offset += len(header) + size + pad
        self._names.add(name)
        self.written += 1
        self.bytes_written += size
        return True

    def close(self) -> dict[str, Any]:
        try:
            if self.end_of_archive:  # two zero blocks, then zeros to a whole record, as tarfile ends
                end = 2 * tarfile.BLOCKSIZE
                end += -(self._offset + end) % tarfile.RECORDSIZE
                self._gz.write(bytes(end))
                self._offset += end
            self._gz.close()
            self._raw.close()
        except BaseException:
            self.abort()  # e.g. a full disk: no half-written archive stays behind
            raise
        os.replace(self._tmp, self.path)
        self.outputs.append(self.path)
        return self.stats()

    def abort(self) -> None:
        for closer in (self._gz.abort, self._raw.close):
            with contextlib.suppress(Exception):  # best effort while already failing
                closer()
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)


_ZEROS = bytes(tarfile.BLOCKSIZE)
