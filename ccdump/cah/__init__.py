"""Crawling@Home client library with the C@H README's API, for ccdump's (or upstream's) tracker.

Example (a CPU worker)::

    import ccdump.cah as cah

    client = cah.init(url="http://127.0.0.1:8080/", nickname="me", type="CPU")
    while client.jobCount() > 0 and client.isAlive():
        client.newJob()
        client.downloadShard()                                 # ./shard.wat
        ...                                                    # filter, write job.tar
        client.completeJob("http://my-host/results/job.tar")   # GPU workers fetch this
    client.bye()

Unlike upstream, importing prints nothing, every request has a timeout, retries are bounded
and GPU archives are extracted safely. Errors live in :mod:`ccdump.cah.errors` and are also
available here.
"""

from __future__ import annotations

from typing import Any

from ccdump.cah import errors
from ccdump.cah.client import CPUClient, GPUClient, HybridClient, client_class
from ccdump.cah.errors import (
    ArchiveError,
    BadRequest,
    DumpError,
    InvalidURLError,
    ServerError,
    UnsafeArchiveError,
    UploadError,
    WorkerTimedOutError,
    ZeroJobError,
)
from ccdump.cah.recycle import dump, load
from ccdump.jobs.client import RetryPolicy

#: Upstream's default tracker address (kept for API compatibility; pass your own ``url``).
DEFAULT_URL = "http://crawlingathome.duckdns.org/"


def init(url: str = DEFAULT_URL, nickname: str | None = None, type: Any = "HYBRID", **options: Any):
    """Register a new worker and return its client.

    ``type``: ``"HYBRID"``, ``"CPU"``, ``"GPU"`` (only the first letter counts, any case) or one of
    the client classes; anything else raises ValueError. ``options`` (``timeout``, ``retry``,
    ``transport``) configure the HTTP session.
    """
    return client_class(type)(url, nickname, **options)


__all__ = [
    "ArchiveError",
    "BadRequest",
    "CPUClient",
    "DEFAULT_URL",
    "DumpError",
    "GPUClient",
    "HybridClient",
    "InvalidURLError",
    "RetryPolicy",
    "ServerError",
    "UnsafeArchiveError",
    "UploadError",
    "WorkerTimedOutError",
    "ZeroJobError",
    "dump",
    "errors",
    "init",
    "load",
]
