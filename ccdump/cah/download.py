"""Getting a job's input onto disk: WAT shards (gunzipped) and GPU tar archives (extracted safely).

Downloads stream to a temporary file next to the destination and are deleted afterwards; the
final file appears atomically (``os.replace``), so a crash never leaves a half-written
``shard.wat`` that looks complete. Archive extraction checks every member *before* writing
anything: absolute names, ``..`` components, paths through links, links pointing outside the
target and oversized members are refused (:class:`UnsafeArchiveError`); devices and FIFOs are
skipped. Where Python has the ``data`` extraction filter (3.12, and 3.11.4+/3.10.12+) it is applied
on top.
"""

from __future__ import annotations

import contextlib
import gzip
import lzma
import os
import posixpath
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ccdump.cah.errors import ArchiveError, UnsafeArchiveError
from ccdump.jobs.client import CHUNK, TrackerClient
from ccdump.jobs.validate import is_http_url

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what a downloaded archive may unpack to."""

    max_member_size: int = 8 * 1024**3
    max_total_size: int = 64 * 1024**3
    max_members: int = 1_000_000


@contextlib.contextmanager
def local_copy(client: TrackerClient, source: str, workdir: Path) -> Iterator[Path]:
    """A local file holding ``source``: http(s) is downloaded to a temporary file (removed on exit);
    ``file://`` URLs and existing paths are used in place. Anything else raises ValueError."""
    if is_http_url(source):
        workdir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=workdir)
        os.close(fd)
        temp = Path(name)
        try:
            client.download(source, temp)
            yield temp
        finally:
            temp.unlink(missing_ok=True)
        return
    if source.lower().startswith("file://"):
        path = Path(url2pathname(urlsplit(source).path))
    else:
        path = Path(source)
    if not path.is_file():
        raise ValueError(f"cannot download {source!r}: not an http(s) URL, file:// URL or existing file")
    yield path


def gunzip_to(source: Path, dest: Path) -> None:
    """Write ``source`` decompressed (all gzip members) to ``dest`` atomically; non-gzip input is copied."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}-", suffix=".part", dir=dest.parent)
    temp = Path(name)
    try:
        with open(source, "rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
        opener = gzip.open if compressed else open
        with opener(source, "rb") as src, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out, CHUNK)
        os.replace(temp, dest)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _clean_name(name: str) -> PurePosixPath:
    """The member path without ``.``/empty parts; refuses absolute paths, ``..`` and NUL."""
    if "\x00" in name:
        raise UnsafeArchiveError(f"member {name!r}: NUL in name")
    pure = PurePosixPath(name)
    if pure.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"member {name!r}: absolute path")
    if ".." in pure.parts:
        raise UnsafeArchiveError(f"member {name!r}: '..' in path")
    return PurePosixPath(*[p for p in pure.parts if p not in ("", ".")])


def _inside(path: str) -> bool:
    """True when a normalised relative path stays inside the root."""
    return path != ".." and not path.startswith("../") and not path.startswith("/")


def check_members(tar: tarfile.TarFile, limits: ArchiveLimits) -> list[tarfile.TarInfo]:
    """Validate every member; returns those to extract (devices and FIFOs dropped)."""
    keep: list[tarfile.TarInfo] = []
    links: set[PurePosixPath] = set()
    total = 0
    for index, member in enumerate(tar):
        if index >= limits.max_members:
            raise UnsafeArchiveError(f"more than {limits.max_members} members")
        path = _clean_name(member.name)
        if any(parent in links for parent in path.parents):
            raise UnsafeArchiveError(f"member {member.name!r}: path goes through a link in the archive")
        if member.isdev() or member.isfifo():
            continue
        if member.issym() or member.islnk():
            target = member.linkname
            if not target or "\x00" in target or target.startswith(("/", "\\")):
                raise UnsafeArchiveError(f"link {member.name!r} → {target!r}: absolute or empty target")
            base = str(path.parent) if member.issym() else ""  # hard links name archive paths
            resolved = posixpath.normpath(posixpath.join(base, target))
            if not _inside(resolved):
                raise UnsafeArchiveError(f"link {member.name!r} → {target!r} leaves the target directory")
            links.add(path)
        elif member.isfile():
            if member.size > limits.max_member_size:
                raise UnsafeArchiveError(
                    f"member {member.name!r}: {member.size} bytes exceeds the limit of {limits.max_member_size}"
                )
            total += member.size
            if total > limits.max_total_size:
                raise UnsafeArchiveError(f"archive unpacks to more than {limits.max_total_size} bytes")
        elif not member.isdir():
            continue  # unknown member kinds are skipped, never written
        keep.append(member)
    return keep


def safe_extract(archive: Path, dest: Path, limits: ArchiveLimits | None = None) -> list[str]:
    """Extract a tar (any compression tarfile detects) into ``dest``; returns the names extracted.

    Nothing is written unless every member passes :func:`check_members`.
    """
    limits = limits or ArchiveLimits()
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = check_members(tar, limits)
            dest.mkdir(parents=True, exist_ok=True)
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, members=members, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                tar.extractall(dest, members=members)
    except getattr(tarfile, "FilterError", ()) as exc:
        raise UnsafeArchiveError(str(exc)) from exc
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError) as exc:
        raise ArchiveError(f"{archive}: not a readable tar archive ({exc})") from exc
    return [m.name for m in members]
