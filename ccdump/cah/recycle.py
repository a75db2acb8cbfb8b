"""``dump`` / ``load``: hand a worker to another process without re-registering it.

The dict is plain JSON-able data (ids as decimal strings). ``load`` accepts ccdump's dumps and
upstream's (v1.4.0's ``type`` key, v1.5.0's extra ``wat``/``shards``/… keys, clients that never
had a job), opens a new HTTP session and does not contact the server.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ccdump.cah.client import _Client, client_class
from ccdump.cah.errors import DumpError

#: Keys ``load`` understands besides the type; anything else is ignored.
_OPTIONS = ("timeout", "retry", "transport")


def dump(c: Any) -> dict[str, Any]:
    """Serialise a client: ``{"_type", "url", "token", "nickname", "shard", "start_id", "end_id", "shard_piece"}``."""
    if not isinstance(c, _Client):
        raise DumpError(f"cannot dump {type(c).__name__}: not a Crawling@Home client")
    return {
        "_type": c.type,
        "url": c.url,
        "token": c.token,
        "nickname": c.nickname,
        "shard": c.shard,
        "start_id": None if c.start_id is None else str(int(c.start_id)),
        "end_id": None if c.end_id is None else str(int(c.end_id)),
        "shard_piece": c.shard_piece,
    }


def _id(value: Any) -> np.int64 | None:
    if value is None or value == "None":
        return None
    try:
        return np.int64(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"invalid id {value!r} in dump") from exc


def load(**kwargs: Any) -> _Client:
    """Rebuild a client from :func:`dump` output (``load(**d)``) without contacting the server.

    ``timeout``, ``retry`` and ``transport`` may be passed too and configure the new HTTP session.
    """
    cls = client_class(kwargs.get("_type", kwargs.get("type")))
    url = kwargs.get("url")
    if not isinstance(url, str) or not url:
        raise ValueError("dump has no server url")
    options = {k: kwargs[k] for k in _OPTIONS if kwargs.get(k) is not None}
    client = cls(url, kwargs.get("nickname"), _recycled=True, **options)
    client.token = kwargs.get("token")
    client.shard = kwargs.get("shard")
    client.start_id = _id(kwargs.get("start_id"))
    client.end_id = _id(kwargs.get("end_id"))
    piece = kwargs.get("shard_piece")
    client.shard_piece = None if piece is None else int(piece)
    return client
