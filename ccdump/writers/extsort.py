"""Sort text lines in bounded memory: sorted runs spill to temporary files, then a k-way merge.

CDXJ indexes and the Parquet index are SURT-sorted, but a WARC is written in fetch order. Lines are
kept in memory up to a byte budget; each full batch is sorted and written as a run; iteration
merges the runs with :func:`heapq.merge` (the ``SortingWriter`` pattern of cdxj-indexer).
Lines compare as Python strings — code-point order, which is byte order for UTF-8 — and must not
contain a newline.
"""

from __future__ import annotations

import heapq
import os
import shutil
import tempfile
from collections.abc import Iterator

DEFAULT_MAX_BYTES = 64 << 20


class ExternalSorter:
    """Collect lines with :meth:`add`, then iterate once over them in sorted order."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, tmp_dir: str | None = None) -> None:
        self.max_bytes = max_bytes
        self.tmp_dir = tmp_dir
        self._lines: list[str] = []
        self._bytes = 0
        self._runs: list[str] = []
        self._dir: str | None = None
        self.count = 0

    def add(self, line: str) -> None:
        if "\n" in line:
            raise ValueError("sorted lines must not contain a newline")
        self._lines.append(line)
        self._bytes += len(line) + 49  # + per-object overhead of a str in a list
        self.count += 1
        if self._bytes >= self.max_bytes:
            self._spill()

    def _spill(self) -> None:
        if not self._lines:
            return
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="ccdump-sort-", dir=self.tmp_dir)
        self._lines.sort()
        path = os.path.join(self._dir, f"run-{len(self._runs):05d}.txt")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for line in self._lines:
                f.write(line)
                f.write("\n")
        self._runs.append(path)
        self._lines = []
        self._bytes = 0

    @property
    def runs(self) -> int:
        """Number of runs spilled to disk so far."""
        return len(self._runs)

    def __iter__(self) -> Iterator[str]:
        self._lines.sort()
        if not self._runs:
            yield from self._lines
            return
        files = [open(path, encoding="utf-8", newline="\n") for path in self._runs]
        try:
            streams = [(line[:-1] for line in f) for f in files]
            yield from heapq.merge(*streams, self._lines)
        finally:
            for f in files:
                f.close()

    def close(self) -> None:
        """Remove the spilled runs."""
        self._lines = []
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            self._runs = []

    def __enter__(self) -> ExternalSorter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
