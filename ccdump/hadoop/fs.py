"""File-system access for local paths and any fsspec URL (``file://``, ``hdfs://``, ``s3://``, ``memory://``).

Local paths go straight to the OS (fastest); everything else through fsspec, so a segment on HDFS
or S3 is read with the same code.
"""

from __future__ import annotations

import os
import posixpath
from typing import IO

#: Buffer size for sequential reads of container files.
READ_BUFFER = 1 << 20


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def _fs(path: str):
    import fsspec.core

    return fsspec.core.url_to_fs(path)


def local_path(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


def join(base: str, *parts: str) -> str:
    if is_url(base):
        return posixpath.join(base, *parts)
    return os.path.join(local_path(base), *parts)


def basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/")) if is_url(path) else os.path.basename(local_path(path).rstrip(os.sep))


def open_read(path: str) -> IO[bytes]:
    if is_url(path):
        fs, p = _fs(path)
        return fs.open(p, "rb", block_size=READ_BUFFER)
    return open(local_path(path), "rb", buffering=READ_BUFFER)


def size(path: str) -> int:
    if is_url(path):
        fs, p = _fs(path)
        return int(fs.size(p))
    return os.path.getsize(local_path(path))


def exists(path: str) -> bool:
    if is_url(path):
        fs, p = _fs(path)
        return bool(fs.exists(p))
    return os.path.exists(local_path(path))


def isdir(path: str) -> bool:
    if is_url(path):
        fs, p = _fs(path)
        return bool(fs.isdir(p))
    return os.path.isdir(local_path(path))


def listdir(path: str) -> list[str]:
    """Child names (not paths) of a directory, sorted."""
    if is_url(path):
        fs, p = _fs(path)
        names = [posixpath.basename(e.rstrip("/")) for e in fs.ls(p, detail=False)]
        return sorted(n for n in names if n)
    return sorted(os.listdir(local_path(path)))
