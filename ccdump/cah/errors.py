"""Crawling@Home error names (``crawlingathome.errors``), shared with the tracker.

The protocol errors are the tracker's own classes, so the status a server answers and the
exception a worker catches are defined once: ``ZeroJobError`` (403, or 503 from a v1.4.x server's
newJob), ``WorkerTimedOutError`` (404), ``ServerError`` (anything else). A 400 raises
:class:`BadRequest`, which is a ``ValueError`` as v1.5.0 promised.
"""

from __future__ import annotations

from ccdump.errors import CcdumpError, JobsError
from ccdump.jobs.errors import BadRequest, ServerError, WorkerTimedOutError, ZeroJobError


class DumpError(JobsError):
    """The object given to ``dump`` is not a Crawling@Home client."""


class InvalidURLError(JobsError):
    """The job's URL cannot be used (kept for upstream imports; ccdump's invalidURL returns None)."""


class UploadError(ServerError):
    """Uploading results failed (kept for old imports; nothing in ccdump raises it)."""


class ArchiveError(CcdumpError, ValueError):
    """The downloaded file is not a readable tar archive."""


class UnsafeArchiveError(ArchiveError):
    """The archive holds a member that would land outside the target directory, or is too large."""


__all__ = [
    "ArchiveError",
    "BadRequest",
    "DumpError",
    "InvalidURLError",
    "ServerError",
    "UnsafeArchiveError",
    "UploadError",
    "WorkerTimedOutError",
    "ZeroJobError",
]
