"""``-gzip``: one streamed ``yyyyMMddHHmm.tar.gz`` holding the CBOR files (spec nutch-dumper.md §5.3).

Streamed straight into gzip, so neither a temporary copy of every file nor memory that grows with
the number of documents (only the set of entry names, for duplicate detection). Entry names are
the file layout's paths with real ``/`` separators; the archive is written under a temporary name
and renamed when finished.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tarfile
import time
from typing import Any

from ccdump.nutch.document import Document
from ccdump.writers.base import Writer, temp_name
from ccdump.writers.cbor import CborFormat, encode
from ccdump.writers.layout import LayoutOptions, relative_path


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
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, compresslevel=compresslevel, mtime=0)
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
