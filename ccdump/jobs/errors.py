"""Job-tracker errors, each carrying the HTTP status it is answered with.

The server raises these from storage and validation code; one Starlette exception handler renders
them as JSON with :attr:`status` (or :attr:`legacy_status` under ``--legacy-503``, for v1.4.x
clients). The client library raises the same classes when it receives those statuses, so a worker
catches :class:`ZeroJobError` whether the server is ours or upstream's.
"""

from __future__ import annotations

from ccdump.errors import JobsError


class BadRequest(JobsError, ValueError):
    """Malformed request: a missing, mistyped or oversized field."""

    status = 400
    legacy_status = 500  # v1.4.x servers answered malformed bodies with 500


class InvalidType(BadRequest):
    """Invalid worker type: expected HYBRID, CPU or GPU."""

    legacy_status = 400  # both protocol versions answer 400 here


class ZeroJobError(JobsError):
    """No job is available for this worker type."""

    status = 403
    legacy_status = 503


class NoCurrentJob(ZeroJobError):
    """This worker holds no open job (never claimed, released, or already completed)."""

    legacy_status = 500


class WorkerTimedOutError(JobsError):
    """Unknown or expired worker token. Did the worker time out? Register again."""

    status = 404
    legacy_status = 500


class Unauthorized(JobsError):
    """A valid admin token is required (header ``Authorization: Bearer <token>``)."""

    status = 401
    legacy_status = 401


class NotFound(JobsError):
    """No such resource."""

    status = 404
    legacy_status = 404


class PayloadTooLarge(JobsError):
    """Request body too large."""

    status = 413
    legacy_status = 413


class ServiceBusy(JobsError):
    """The tracker's storage is busy; try again shortly."""

    status = 503
    legacy_status = 503


class ServerError(JobsError):
    """The tracker answered with an unexpected status.

    Raised by the client; ``status`` is the status actually received.
    """

    status = 500
    legacy_status = 500


def http_error(cls: type[JobsError], status: int, message: str, body: str = "") -> JobsError:
    """Build a client-side error of class ``cls`` that remembers the status and body received."""
    exc = cls(message)
    exc.status = status
    exc.body = body  # type: ignore[attr-defined]
    return exc
