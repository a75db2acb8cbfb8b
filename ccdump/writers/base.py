"""The writer interface: a writer receives documents and is closed.

New formats plug in without touching the mapper: a writer takes ``write(doc, record)`` (the record
may be None for formats that build their own from the document), ``close()`` returns its
statistics, and ``abort()`` removes whatever it had not finished. Used as a context manager, an
exception aborts, so no half-written output is ever left under a final name.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import Any

from ccdump.nutch.document import Document


class Writer(ABC):
    """Base class of every output format."""

    #: Short name used in statistics and on the command line.
    name: str = "writer"

    def __init__(self) -> None:
        self.written = 0
        self.collisions = 0
        self.bytes_written = 0
        self.outputs: list[str] = []

    @abstractmethod
    def write(self, doc: Document, record: dict[str, Any] | None) -> bool:
        """Write one document; False when it was not written (e.g. a name collision)."""

    def close(self) -> dict[str, Any]:
        return self.stats()

    def abort(self) -> None:
        """Remove unfinished output; called instead of close() after a fatal error."""

    def stats(self) -> dict[str, Any]:
        return {
            "writer": self.name,
            "written": self.written,
            "collisions": self.collisions,
            "bytes": self.bytes_written,
            "outputs": list(self.outputs),
        }

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def temp_name(final: str) -> str:
    """Where a file is written before it is complete: hidden, beside its final name."""
    head, tail = os.path.split(final)
    return os.path.join(head, f".{tail}.ccdump-tmp-{os.getpid()}")


def publish(tmp: str, final: str, overwrite: bool = True) -> bool:
    """Rename a finished temporary file to its final name (atomic on POSIX)."""
    if not overwrite:
        try:
            os.link(tmp, final)
        except FileExistsError:
            os.unlink(tmp)
            return False
        os.unlink(tmp)
        return True
    os.replace(tmp, final)
    return True
