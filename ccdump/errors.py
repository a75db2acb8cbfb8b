"""The exception tree: one root, facts on the exception.

The library never prints or exits; the CLI turns any :class:`CcdumpError` into one line on
stderr and a non-zero exit status.
"""

from __future__ import annotations


class CcdumpError(Exception):
    """ccdump failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class SegmentFormatError(CcdumpError):
    """The input is not a readable Hadoop/Nutch file.

    Names the file, the byte offset at which the problem was found and what was expected there,
    so a user can inspect the bytes with ``xxd -s OFFSET``.
    """

    def __init__(self, path: str, offset: int | None, expected: str, found: str | None = None) -> None:
        self.path = path
        self.offset = offset
        self.expected = expected
        self.found = found
        where = f"{path}" if offset is None else f"{path} at byte {offset}"
        msg = f"{where}: expected {expected}"
        if found:
            msg += f", found {found}"
        super().__init__(msg)


class ConfigError(CcdumpError):
    """The configuration (a -conf file or a -D option) is invalid."""


class InputError(CcdumpError):
    """The input path holds no segment data."""


class WriterError(CcdumpError):
    """An output could not be written."""


class JobsError(CcdumpError):
    """A job-tracker request failed."""

    status: int = 400


class WarcFormatError(CcdumpError):
    """The input is not a readable WARC file.

    Names the file and the byte offset (in the file as stored, i.e. compressed) of the record or
    gzip member where reading failed, so ``xxd -s OFFSET`` or ``warcio index`` can show it.
    """

    def __init__(self, path: str, offset: int | None, problem: str) -> None:
        self.path = path
        self.offset = offset
        self.problem = problem
        where = f"{path}" if offset is None else f"{path} at byte {offset}"
        super().__init__(f"{where}: {problem}")
