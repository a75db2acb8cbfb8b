"""HTTP client of the job tracker: timeouts, bounded retries with backoff, status → exception.

:class:`TrackerClient` speaks the Crawling@Home wire protocol (and ccdump's admin endpoints) in
snake_case; :mod:`ccdump.cah` puts the C@H README names on top. Retry policy (spec §1.2):
idempotent calls are retried on connection errors, timeouts and 502/503/504; non-idempotent ones
only when the request provably never left (connect errors). Attempts are bounded; after the last
one the original exception propagates.

The client takes an optional httpx transport, so tests can also drive the ASGI app in-process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ccdump import __version__
from ccdump.errors import JobsError
from ccdump.jobs.errors import (
    BadRequest,
    NotFound,
    ServerError,
    Unauthorized,
    WorkerTimedOutError,
    ZeroJobError,
    http_error,
)
from ccdump.jobs.model import WorkerType
from ccdump.jobs.validate import is_http_url

#: Connect 10 s; read/write/pool 60 s. For downloads the read timeout applies per chunk.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
#: Statuses an idempotent call retries: the proxy/tracker is restarting or overloaded.
RETRY_STATUSES = frozenset({502, 503, 504})
#: Transport errors raised before a request was sent (safe to retry for any call).
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
CHUNK = 64 * 1024

#: Status → exception for worker calls (v1.5.0 mapping); anything else → ServerError.
WORKER_ERRORS: Mapping[int, type[JobsError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: ZeroJobError,
    404: WorkerTimedOutError,
}
#: newJob also understands v1.4.x servers' 503 "no job".
NEW_JOB_ERRORS: Mapping[int, type[JobsError]] = {**WORKER_ERRORS, 503: ZeroJobError}
#: Admin and public calls: 404 means "no such thing", not "worker timed out".
ADMIN_ERRORS: Mapping[int, type[JobsError]] = {400: BadRequest, 401: Unauthorized, 404: NotFound}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: ``attempts`` tries, sleeping ``initial``·2ⁿ capped at ``maximum``.

    >>> [RetryPolicy().delay(n) for n in range(7)]
    [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    """

    attempts: int = 5
    initial: float = 1.0
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.maximum, self.initial * 2.0**attempt)


class TrackerClient:
    """One HTTP session with a tracker at ``url``."""

    def __init__(
        self,
        url: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=timeout, transport=transport, headers={"User-Agent": f"ccdump/{__version__}"}
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        errors: Mapping[int, type[JobsError]] = WORKER_ERRORS,
        attempts: int | None = None,
    ) -> httpx.Response:
        """One API call with the retry policy; returns a 200 response or raises the mapped error."""
        url = self.url + path
        attempts = max(1, self.retry.attempts if attempts is None else attempts)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(method, url, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                if last or not (idempotent or isinstance(exc, NOT_SENT)):
                    raise
                self._sleep(self.retry.delay(attempt))
                continue
            if response.status_code in RETRY_STATUSES and idempotent and not last:
                self._sleep(self.retry.delay(attempt))
                continue
            if response.status_code != 200:
                raise self.error(method, path, response, errors)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def error(
        method: str, path: str, response: httpx.Response, errors: Mapping[int, type[JobsError]]
    ) -> JobsError:
        """The exception for a non-200 answer; its message holds the status and the body."""
        body = response.text[:2000]
        cls = errors.get(response.status_code, ServerError)
        return http_error(
            cls, response.status_code, f"{method} {path}: HTTP {response.status_code}: {body}", body
        )

    def download(self, url: str, dest: Path) -> int:
        """Stream ``url`` to ``dest`` in 64 KiB chunks (retried from scratch); returns the bytes written."""
        attempts = max(1, self.retry.attempts)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                with self._http.stream("GET", url, follow_redirects=True) as response:
                    if response.status_code in RETRY_STATUSES and not last:
                        self._sleep(self.retry.delay(attempt))
                        continue
                    if response.status_code != 200:
                        response.read()
                        raise self.error("GET", url, response, {404: NotFound})
                    written = 0
                    with open(dest, "wb") as out:
                        for chunk in response.iter_bytes(CHUNK):
                            out.write(chunk)
                            written += len(chunk)
                    return written
            except httpx.TransportError:
                if last:
                    raise
                self._sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- worker protocol -------------------------------------------------------------------

    def register(self, type: WorkerType, nickname: str | None) -> dict[str, Any]:
        params = {"type": type.value} if nickname is None else {"type": type.value, "nickname": nickname}
        return self.request("GET", "api/new", idempotent=False, params=params).json()

    def upload_address(self, type: WorkerType) -> str:
        return self.request("GET", "api/getUploadAddress", idempotent=True, params={"type": type.value}).text

    def job_count(self, type: WorkerType) -> int:
        return int(self.request("GET", "api/jobCount", idempotent=True, params={"type": type.value}).text)

    def new_job(self, token: str, type: WorkerType) -> dict[str, Any]:
        body = {"token": token, "type": type.value}
        return self.request("POST", "api/newJob", idempotent=False, json=body, errors=NEW_JOB_ERRORS).json()

    def update_progress(
        self, token: str, type: WorkerType, progress: str, *, attempts: int | None = None
    ) -> None:
        body = {"token": token, "progress": progress, "type": type.value}
        self.request("POST", "api/updateProgress", idempotent=True, json=body, attempts=attempts)

    def mark_done(
        self, token: str, type: WorkerType, *, count: int | None = None, url: str | None = None
    ) -> None:
        body: dict[str, Any] = {"token": token, "type": type.value}
        if type is WorkerType.CPU:
            body["url"] = url
        else:
            body["count"] = count
        self.request("POST", "api/markAsDone", idempotent=False, json=body)

    def validate(self, token: str, type: WorkerType) -> bool:
        body = {"token": token, "type": type.value}
        return "True" in self.request("POST", "api/validateWorker", idempotent=True, json=body).text

    def invalid_download(self, token: str) -> None:
        self.request("POST", "api/gpuInvalidDownload", idempotent=False, json={"token": token, "type": "GPU"})

    def bye(self, token: str, type: WorkerType) -> None:
        self.request("POST", "api/bye", idempotent=False, json={"token": token, "type": type.value})

    def completed(self, addresses: Sequence[str]) -> list[str]:
        return self.request(
            "POST",
            "api/isCompleted",
            idempotent=True,
            json={"addresses": list(addresses)},
            errors=ADMIN_ERRORS,
        ).json()

    def stats(self) -> dict[str, Any]:
        return self.request("GET", "data", idempotent=True, errors=ADMIN_ERRORS).json()

    # -- admin -----------------------------------------------------------------------------

    def _admin(self, path: str, admin_token: str, body: dict[str, Any]) -> dict[str, Any]:
        # Adding an existing shard returns it unchanged, so even these calls are safe to retry.
        return self.request(
            "POST",
            path,
            idempotent=True,
            json=body,
            headers={"Authorization": f"Bearer {admin_token}"},
            errors=ADMIN_ERRORS,
        ).json()

    def add_shards(self, admin_token: str, shards: Sequence[str]) -> list[dict[str, Any]]:
        """Register shards (http(s) URLs, or paths inside the server's ``--shards-dir``) in order."""
        return self._admin("admin/shards", admin_token, {"shards": [shard_reference(s) for s in shards]})[
            "chunks"
        ]

    def ban_shard(self, admin_token: str, shard: int | str) -> int:
        return int(self._admin("admin/ban-shard", admin_token, {"shard": shard})["jobs"])

    def reset_shard(self, admin_token: str, shard: int | str) -> int:
        return int(self._admin("admin/reset-shard", admin_token, {"shard": shard})["jobs"])


def shard_reference(path_or_url: str | Path) -> str:
    """What to send for a shard: a URL as is, an existing local file as its absolute path, else the string.

    The server accepts absolute paths inside its ``--shards-dir`` and paths relative to it.
    """
    text = str(path_or_url)
    if is_http_url(text):
        return text
    local = Path(text)
    return str(local.resolve()) if local.is_file() else text


def publish_shard(server: str, token: str, path_or_url: str | Path, **client_options: Any) -> dict[str, Any]:
    """Add one WAT shard to the tracker at ``server`` with admin ``token``; returns its chunk record.

    For the WAT writer's ``-publish URL -publishToken T``. Adding a shard twice is harmless: the
    existing chunk is returned with ``created`` false.
    """
    with TrackerClient(server, **client_options) as client:
        return client.add_shards(token, [str(path_or_url)])[0]
