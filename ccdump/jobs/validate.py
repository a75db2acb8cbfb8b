"""Validation of request fields: everything a client sends passes through here before storage.

Each function takes the raw decoded value (``Any``: JSON or a query string) and returns a clean
Python value or raises :class:`~ccdump.jobs.errors.BadRequest` (400). Strings are checked for
length, NUL and unencodable characters because PostgreSQL rejects NUL in text and both databases
reject lone surrogates — without these checks such input would surface as a 500.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from ccdump.jobs.errors import BadRequest, InvalidType
from ccdump.jobs.model import WorkerType

MAX_TOKEN = 64
MAX_NICKNAME = 100
MAX_PROGRESS = 1000
MAX_URL = 2048
MAX_COUNT = 10**12  # pairs per job; far above any real WAT, well inside int64
MAX_ADDRESSES = 1000
MAX_SHARDS_PER_REQUEST = 10_000


def text(value: Any, field: str, *, max_len: int, min_len: int = 1, control_ok: bool = False) -> str:
    """A string of bounded length, without NUL, lone surrogates or (unless ``control_ok``) control characters."""
    if not isinstance(value, str):
        raise BadRequest(f"{field}: expected a string")
    if not min_len <= len(value) <= max_len:
        raise BadRequest(f"{field}: length must be {min_len}…{max_len} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{field}: not valid Unicode text") from None
    if "\x00" in value or (not control_ok and any(ord(c) < 32 or ord(c) == 127 for c in value)):
        raise BadRequest(f"{field}: control characters are not allowed")
    return value


def worker_type(value: Any) -> WorkerType:
    """``HYBRID``, ``CPU`` or ``GPU`` (any case)."""
    if not isinstance(value, str) or len(value) > 10:
        raise InvalidType()
    try:
        return WorkerType(value.upper())
    except ValueError:
        raise InvalidType() from None


def token(value: Any) -> str:
    """A worker token: a short opaque string (ours are UUID4)."""
    return text(value, "token", max_len=MAX_TOKEN)


def nickname(value: Any) -> str:
    """The leaderboard name; a missing one becomes ``anonymous`` as upstream."""
    if value is None or value == "":
        return "anonymous"
    return text(value, "nickname", max_len=MAX_NICKNAME)


def progress(value: Any) -> str:
    """A progress string such as ``"12 / 100 (12%)"``; free text, so tabs and newlines are kept."""
    return text(value, "progress", max_len=MAX_PROGRESS, min_len=0, control_ok=True)


def count(value: Any) -> int:
    """Pairs scraped: an integer ≥ 0 (0 is valid, unlike upstream); a decimal string is accepted too."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 13:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("count: expected an integer ≥ 0")
    if not 0 <= value <= MAX_COUNT:
        raise BadRequest(f"count: must be between 0 and {MAX_COUNT}")
    return value


def result_url(value: Any) -> str:
    """The string a CPU worker hands to GPU workers: any text (URL, IP, ``rsync <uid>`` …), bounded."""
    return text(value, "url", max_len=MAX_URL)


def http_url(value: Any, field: str = "url") -> str:
    """An absolute http(s) URL with a host."""
    value = text(value, field, max_len=MAX_URL)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise BadRequest(f"{field}: expected an absolute http(s) URL")
    return value


def is_http_url(value: str) -> bool:
    """True when ``value`` is meant as an http(s) URL (as opposed to a shards-dir path)."""
    return value.lower().startswith(("http://", "https://"))


def json_object(body: bytes) -> dict[str, Any]:
    """Decode a request body that must be one JSON object."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("body: expected a JSON object") from None
    if not isinstance(data, dict):
        raise BadRequest("body: expected a JSON object")
    return data


def string_list(value: Any, field: str, *, max_items: int, max_len: int = MAX_URL) -> list[str]:
    """A non-empty list of bounded strings."""
    if not isinstance(value, list) or not 1 <= len(value) <= max_items:
        raise BadRequest(f"{field}: expected a list of 1…{max_items} strings")
    return [text(item, f"{field}[{i}]", max_len=max_len) for i, item in enumerate(value)]


def shard_ref(value: Any) -> int | str:
    """A shard named by chunk number (int ≥ 1, or its decimal string) or by the URL/path it was added as."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1 or value > 2**53:
            raise BadRequest("shard: chunk numbers start at 1")
        return value
    value = text(value, "shard", max_len=MAX_URL)
    if value.isascii() and value.isdigit() and len(value) <= 15:
        return shard_ref(int(value))
    return value
