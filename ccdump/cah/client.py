"""HybridClient, CPUClient and GPUClient: the Crawling@Home README API over :class:`TrackerClient`.

Method and attribute names are upstream's (camelCase, ``shard``, ``start_id`` …) so existing
worker scripts run unchanged. What upstream lacked is added underneath: timeouts and bounded
retries (from :mod:`ccdump.jobs.client`), v1.4.x and v1.5.0 status mapping, atomic shard files
and safe archive extraction (:mod:`ccdump.cah.download`). The library logs (logger
``ccdump.cah``) but never prints.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import httpx
import numpy as np

from ccdump.cah import download
from ccdump.errors import JobsError
from ccdump.jobs.client import DEFAULT_TIMEOUT, RetryPolicy, TrackerClient
from ccdump.jobs.errors import ServerError
from ccdump.jobs.model import WorkerType

logger = logging.getLogger("ccdump.cah")
T = TypeVar("T")


class _Client:
    """What all three worker kinds share."""

    type: ClassVar[str]
    _worker_type: ClassVar[WorkerType]

    def __init__(
        self,
        url: str,
        nickname: str | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        _recycled: bool = False,
    ) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.nickname = nickname
        self.token: str | None = None
        self.display_name: str | None = None
        self.upload_address = ""
        self.shard: str | None = None
        self.start_id: np.int64 | None = None
        self.end_id: np.int64 | None = None
        self.shard_piece: int | None = None
        self._api = TrackerClient(self.url, timeout=timeout, retry=retry, transport=transport)
        if not _recycled:
            self.recreate()

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run an API call; on an HTTP error, tell the server "Crashed" (best effort) and re-raise."""
        try:
            return fn(*args, **kwargs)
        except JobsError as exc:
            if getattr(exc, "body", None) is not None:
                self._report_crash()
            raise

    def _report_crash(self) -> None:
        if self.token is None:  # registration itself failed: there is nobody to report for
            return
        try:
            self._api.update_progress(self.token, self._worker_type, "Crashed", attempts=1)
        except Exception:  # reporting a crash must never mask the real error
            logger.debug("could not report the crash to the server", exc_info=True)

    def _require_token(self) -> str:
        if self.token is None:
            raise ValueError("this client has no token: call recreate() to register it")
        return self.token

    def _require_job(self) -> str:
        if self.shard is None:
            raise ValueError("no current job: call newJob() first")
        return self.shard

    # -- the README API --------------------------------------------------------------------

    def recreate(self) -> None:
        """Register (again) with the server as a new worker, e.g. after ``WorkerTimedOutError``."""
        data = self._api.register(self._worker_type, self.nickname)
        try:
            self.token = str(data["token"])
            self.display_name = str(data["display_name"])
            self.upload_address = str(data.get("upload_address") or "")
        except (KeyError, TypeError) as exc:
            raise ServerError(f"api/new: malformed answer {data!r}") from exc
        logger.info(
            "worker %s registered; progress at %sworker/%s/%s",
            self.display_name,
            self.url,
            self.type.lower(),
            self.display_name,
        )

    def updateUploadServer(self) -> None:
        """Fetch the current upload address for this worker type into ``upload_address``."""
        self.upload_address = self._call(self._api.upload_address, self._worker_type)

    def jobCount(self) -> int:
        """Number of open jobs this worker type could take now."""
        return self._call(self._api.job_count, self._worker_type)

    def newJob(self) -> None:
        """Claim a job (abandoning the current one); raises ``ZeroJobError`` when there is none."""
        data = self._call(self._api.new_job, self._require_token(), self._worker_type)
        try:
            shard, start, end, piece = str(data["url"]), data["start_id"], data["end_id"], int(data["shard"])
            start_id, end_id = np.int64(start), np.int64(end)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ServerError(f"api/newJob: malformed answer {data!r}") from exc
        self.shard, self.start_id, self.end_id, self.shard_piece = shard, start_id, end_id, piece
        logger.info("received job: %s (piece %d)", self.shard, self.shard_piece)

    def log(self, progress: str) -> None:
        """Send a progress string, e.g. ``"12 / 100 (12%)"``."""
        self._call(self._api.update_progress, self._require_token(), self._worker_type, progress)

    def isAlive(self) -> bool:
        """Whether the server still knows this worker."""
        return self._call(self._api.validate, self._require_token(), self._worker_type)

    def bye(self) -> None:
        """Unregister; the current job (if any) goes back to the open jobs."""
        self._call(self._api.bye, self._require_token(), self._worker_type)
        logger.info("worker %s closed", self.display_name)

    def dump(self) -> dict[str, Any]:
        """Same as ``ccdump.cah.dump(self)``."""
        from ccdump.cah.recycle import dump

        return dump(self)

    def close(self) -> None:
        """Close the HTTP session (the worker stays registered; see :meth:`bye`)."""
        self._api.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.display_name or '?'} at {self.url}>"


class _WATClient(_Client):
    """Hybrid and CPU workers: their job is a WAT shard."""

    def downloadShard(self, path: str | Path = ".") -> None:
        """Download the job's WAT, gunzipped, to ``<path>/shard.wat`` (``./shard.wat`` by default)."""
        source = self._require_job()
        directory = Path(path)
        self.log("Downloading shard")
        with download.local_copy(self._api, source, directory) as local:
            download.gunzip_to(local, directory / "shard.wat")
        self.log("Downloaded shard")


class HybridClient(_WATClient):
    """A worker doing both stages: WAT in, alt-text pairs counted out."""

    type = "HYBRID"
    _worker_type = WorkerType.HYBRID

    def completeJob(self, total_scraped: int) -> None:
        """Mark the job done with the number of alt-text pairs found (0 is fine)."""
        self._call(self._api.mark_done, self._require_token(), self._worker_type, count=int(total_scraped))
        logger.info("job marked as done")

    def _markjobasdone(self, total_scraped: int) -> None:
        """Deprecated alias of :meth:`completeJob`."""
        warnings.warn("_markjobasdone() is deprecated; use completeJob()", DeprecationWarning, stacklevel=2)
        self.completeJob(total_scraped)


class CPUClient(_WATClient):
    """First stage: WAT in, a downloadable result (tar of candidates) out for GPU workers."""

    type = "CPU"
    _worker_type = WorkerType.CPU

    def completeJob(self, download_url: str) -> None:
        """Mark the job done, handing GPU workers ``download_url`` (any string: URL, IP, link …)."""
        self._call(self._api.mark_done, self._require_token(), self._worker_type, url=str(download_url))
        logger.info("job marked as done")

    def _markjobasdone(self, download_url: str) -> None:
        """Deprecated alias of :meth:`completeJob`."""
        warnings.warn("_markjobasdone() is deprecated; use completeJob()", DeprecationWarning, stacklevel=2)
        self.completeJob(download_url)


class GPUClient(_Client):
    """Second stage: a CPU worker's result in (``shard`` is its string), pairs counted out."""

    type = "GPU"
    _worker_type = WorkerType.GPU

    def downloadShard(
        self, path: str | Path = "./images", *, limits: download.ArchiveLimits | None = None
    ) -> list[str]:
        """Download the CPU worker's tar / tar.gz and extract it safely into ``path`` (created if needed).

        Returns the member names extracted. A shard string that is not downloadable (e.g.
        ``rsync <uid>``) raises ValueError; the worker may then call :meth:`invalidURL`.
        """
        source = self._require_job()
        target = Path(path)
        self.log("Downloading shard")
        with download.local_copy(self._api, source, target.parent) as local:
            names = download.safe_extract(local, target, limits)
        self.log("Downloaded shard")
        return names

    def completeJob(self, total_scraped: int) -> None:
        """Mark the job done with the number of pairs kept (0 is fine)."""
        self._call(self._api.mark_done, self._require_token(), self._worker_type, count=int(total_scraped))
        logger.info("job marked as done")

    def _markjobasdone(self, total_scraped: int) -> None:
        """Deprecated alias of :meth:`completeJob`."""
        warnings.warn("_markjobasdone() is deprecated; use completeJob()", DeprecationWarning, stacklevel=2)
        self.completeJob(total_scraped)

    def invalidURL(self) -> None:
        """Flag this job's URL as unusable: the job goes back to CPU workers."""
        self._call(self._api.invalid_download, self._require_token())
        logger.info("job URL flagged as invalid")


CLIENT_TYPES: tuple[type[_Client], ...] = (HybridClient, CPUClient, GPUClient)


def client_class(type: Any) -> type[_Client]:
    """The class a C@H ``type`` names: a string (first letter h/c/g, any case) or one of the classes."""
    if isinstance(type, str) and type:
        letter = type.lower()[0]
        for cls in CLIENT_TYPES:
            if cls.type.lower()[0] == letter:
                return cls
    elif type in CLIENT_TYPES:
        return type
    raise ValueError(f"invalid worker type {type!r}: expected 'HYBRID', 'CPU', 'GPU' or a client class")
