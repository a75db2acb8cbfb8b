"""``-gzip``: one streamed ``yyyyMMddHHmm.tar.gz`` holding the CBOR files (spec nutch-dumper.md §5.3).

Streamed straight into gzip, so neither a temporary copy of every file nor memory that grows with
the number of documents (only the set of entry names, for duplicate detection). Entry names are
the file layout's paths with real ``/`` separators; the archive is written under a temporary name
and renamed when finished.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import struct
import tarfile
import threading
import time
import zlib
from typing import Any

from ccdump.nutch.document import Document
from ccdump.writers.base import Writer, temp_name
from ccdump.writers.cbor import CborFormat, encode
from ccdump.writers.layout import LayoutOptions, relative_path


class BackgroundGzip(io.RawIOBase):
    """A gzip stream whose deflating runs in a second thread.

    zlib releases the GIL, so compressing the archive overlaps with reading and mapping the next
    documents. Writes are gathered into 1 MiB chunks; at most ``depth`` chunks wait, so memory is
    bounded. Produces one standard gzip member (mtime 0).
    """

    CHUNK = 1 << 20

    def __init__(self, raw: io.BufferedWriter, level: int = 6, depth: int = 4) -> None:
        super().__init__()
        self._raw = raw
        self._buf = bytearray()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._crc = 0
        self._size = 0
        raw.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
        self._thread = threading.Thread(target=self._run, name="ccdump-gzip", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (chunk := self._queue.get()) is not None:
                self._crc = zlib.crc32(chunk, self._crc)
                self._size += len(chunk)
                self._raw.write(self._deflate.compress(chunk))
            self._raw.write(self._deflate.flush())
            self._raw.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
        except BaseException as exc:  # reported to the writing thread
            self._error = exc
            while self._queue.get() is not None:
                pass

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        if self._error is not None:
            raise self._error
        self._buf += data
        if len(self._buf) >= self.CHUNK:
            self._queue.put(bytes(self._buf))
            self._buf.clear()
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        if self._buf:
            self._queue.put(bytes(self._buf))
            self._buf.clear()
        self._queue.put(None)
        self._thread.join()
        super().close()
        if self._error is not None:
            raise self._error


def archive_path(output_dir: str, started: float) -> str:
    """``<outputDir>/yyyyMMddHHmm.tar.gz`` (24-hour, local time), ``-1``, ``-2`` … if taken."""
    stamp = time.strftime("%Y%m%d%H%M", time.localtime(started))
    candidate = os.path.join(output_dir, f"{stamp}.tar.gz")
    n = 0
    while os.path.exists(candidate):
        n += 1
        candidate = os.path.join(output_dir, f"{stamp}-{n}.tar.gz")
    return candidate


class TarGzWriter(Writer):
    name = "tar.gz"

    def __init__(
        self,
        output_dir: str,
        layout: LayoutOptions = LayoutOptions(),
        cbor_format: CborFormat = "nutch",
        started: float | None = None,
        compresslevel: int = 6,
    ) -> None:
        super().__init__()
        self.started = time.time() if started is None else started
        os.makedirs(output_dir, exist_ok=True)
        self.path = archive_path(os.path.abspath(output_dir), self.started)
        self.layout = layout
        self.cbor_format = cbor_format
        self._names: set[str] = set()
        self._tmp = temp_name(self.path)
        self._raw = open(self._tmp, "wb")
        self._gz = BackgroundGzip(self._raw, compresslevel)
        self._tar = tarfile.open(fileobj=self._gz, mode="w|", format=tarfile.GNU_FORMAT)

    def write(self, doc: Document, record: dict[str, Any] | None, *, timestamp: str = "null") -> bool:
        assert record is not None
        name = relative_path(doc.url, self.layout, timestamp)
        if name in self._names:
            self.collisions += 1
            return False
        data = encode(record, doc, self.cbor_format)
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        info.mtime = int(self.started)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        self._tar.addfile(info, io.BytesIO(data))
        self._names.add(name)
        self.written += 1
        self.bytes_written += len(data)
        return True

    def close(self) -> dict[str, Any]:
        self._tar.close()
        self._gz.close()
        self._raw.close()
        os.replace(self._tmp, self.path)
        self.outputs.append(self.path)
        return self.stats()

    def abort(self) -> None:
        for closer in (self._tar.close, self._gz.close, self._raw.close):
            with contextlib.suppress(Exception):  # best effort while already failing
                closer()
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)
