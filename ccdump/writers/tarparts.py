"""``-gzip`` with several units: one archive joined from per-unit pieces.

Each unit writes its entries as gzip member(s) of a tar stream without the closing zero blocks
(:class:`~ccdump.writers.tar.TarGzWriter` with ``end_of_archive=False``). Concatenated gzip members
are one gzip stream (RFC 1952 §2.2) and concatenated tar entries one tar stream, so the archive is the
pieces in unit order plus a last member holding the two zero blocks: no entry is compressed twice.

A name already taken by an earlier unit keeps the earlier file (Nutch's rule, as within one unit); a
piece holding such a name is re-streamed without those entries, the only case that recompresses.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import tarfile
from collections.abc import Callable, Iterable
from typing import BinaryIO

from ccdump import fastzlib
from ccdump.writers.base import temp_name

#: The end of a tar archive (two zero blocks) as its own gzip member.
END_MEMBER = gzip.compress(b"\0" * (2 * tarfile.BLOCKSIZE), mtime=0)


def _append_without(src: BinaryIO, drop: set[str], out: BinaryIO, level: int) -> int:
    """Re-stream one piece leaving out the entries named in ``drop``; how many were left out."""
    dropped = 0
    deflate = fastzlib.compressobj(level, fastzlib.DEFLATED, 31)
    with gzip.open(src, "rb") as raw, tarfile.open(fileobj=raw, mode="r|") as piece:
        for info in piece:
            data = piece.extractfile(info).read() if info.isfile() else b""  # type: ignore[union-attr]
            if info.name in drop:
                dropped += 1
                continue
            block = info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape") + data
            block += b"\0" * (-len(data) % tarfile.BLOCKSIZE)
            out.write(deflate.compress(block))
    out.write(deflate.flush())
    return dropped


def write_joined(
    pieces: Iterable[tuple[str, list[str]]], out: BinaryIO, level: int = 6, open_piece: Callable[[str], BinaryIO] = open
) -> int:
    """Write the archive to ``out`` from (piece path, entry names) in unit order; how many names were dropped.

    ``open_piece`` opens a piece for reading (``open`` here, an fsspec file system's ``open`` on Spark).
    """
    taken: set[str] = set()
    dropped = 0
    for path, names in pieces:
        clash = taken.intersection(names)
        with open_piece(path, "rb") as piece:
            if clash:
                dropped += _append_without(piece, clash, out, level)
            else:
                shutil.copyfileobj(piece, out, 1 << 20)
        taken.update(names)
    out.write(END_MEMBER)
    return dropped


def join_archive(pieces: Iterable[tuple[str, list[str]]], final: str, level: int = 6) -> int:
    """Write ``final`` (under a temporary name, then renamed) with :func:`write_joined`."""
    tmp = temp_name(final)
    try:
        with open(tmp, "wb") as out:
            dropped = write_joined(pieces, out, level)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return dropped
