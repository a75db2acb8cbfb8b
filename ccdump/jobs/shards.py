"""Where shards live: http(s) URLs as given, or files inside the tracker's ``--shards-dir``.

A local shard is stored as its POSIX path relative to the shards directory and turned into an
absolute URL only when handed out (``<public base>/shards/<path>``), so moving the server to
another host or port does not invalidate stored jobs. Every path is resolved (symlinks included)
and must stay inside the directory; nothing here can read outside it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote

from ccdump.jobs import validate
from ccdump.jobs.errors import BadRequest, NotFound

#: URL prefix under which the tracker serves ``--shards-dir``.
SHARDS_ROUTE = "shards"


def contained(root: Path, relative: str) -> Path | None:
    """The real path of ``relative`` under ``root`` if it is a regular file inside ``root``, else None."""
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts:
        return None
    base = root.resolve()
    try:
        real = (base / pure).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(base) or not real.is_file():
        return None
    return real


def normalise(reference: str, shards_dir: Path | None) -> str:
    """The form a shard is stored in: an http(s) URL unchanged, or a path relative to ``shards_dir``.

    ``reference`` may be an absolute path inside ``shards_dir`` (what ``ccdump jobs add`` sends for
    local files) or a path relative to it. Raises BadRequest/NotFound for anything else.
    """
    if validate.is_http_url(reference):
        return validate.http_url(reference, "shard")
    if shards_dir is None:
        raise BadRequest(f"shard {reference!r}: not an http(s) URL and the server has no --shards-dir")
    base = shards_dir.resolve()
    candidate = Path(reference)
    if candidate.is_absolute():
        try:
            relative = candidate.resolve().relative_to(base).as_posix()
        except (ValueError, OSError, RuntimeError):
            raise BadRequest(f"shard {reference!r}: outside the server's --shards-dir") from None
    else:
        relative = PurePosixPath(reference).as_posix()
    if contained(base, relative) is None:
        raise NotFound(f"shard {reference!r}: no such file inside the server's --shards-dir")
    return relative


def public_url(stored: str, base_url: str) -> str:
    """The URL a worker downloads a stored shard reference from."""
    if validate.is_http_url(stored):
        return stored
    return f"{base_url.rstrip('/')}/{SHARDS_ROUTE}/{quote(stored)}"
