"""Header parsing exactly as Common Crawl's WAT generator does it.

The WAT reports header *lengths* and header *values* as ia-web-commons' lax parsers see them
(``HttpHeaderParser``, ``HttpResponseMessageParser``, ``HttpRequestMessageParser``), quirks
included: a request's ``Headers-Length`` is 2 bytes short because the request-line parser returns
the line length without its CRLF; a block that ends before the blank line is "corrupt" and loses
its last field (CC's warcinfo records); non-ASCII bytes are dropped from header text; runs of
spaces and tabs in values collapse to one space. The same parser reads WARC headers, since the
generator parses them with its HTTP response parser.

Well-formed header blocks — nearly all of them — take a regular-expression fast path; anything
else goes through a byte-for-byte port of the state machine, so both give identical results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CR, _LF, _SP, _HT, _COLON = 13, 10, 32, 9, 58

# one or more "Name: value" CRLF lines then CRLF, ASCII only, no stray CR/LF, no folding
_FAST_HEADERS = re.compile(rb"(?:[\x21-\x39\x3b-\x7f]+[ \t]*:[\x00-\x09\x0b\x0c\x0e-\x7f]*\r\n)+\r\n")
_FAST_LINE = re.compile(rb"([\x21-\x39\x3b-\x7f]+)[ \t]*:([^\r\n]*)\r\n")
_LWSP_RUN = re.compile(rb"[ \t]+")
_JAVA_INT = re.compile(r"[+-]?[0-9]+")

_VERSIONS = {"http/1.0": "HTTP/1.0", "http/1.1": "HTTP/1.1", "http/0.9": "HTTP/0.9"}
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "TRACE", "DELETE", "CONNECT"})


class HttpParseError(ValueError):
    """The generator's parser throws here; Common Crawl then skips the record."""


@dataclass(slots=True)
class Fields:
    """Result of parsing ``name: value`` lines."""

    headers: list[tuple[str, str]]
    consumed: int  # bytes read, including the terminating blank line
    corrupt: bool
    complete: bool  # the blank line was found before the end of the data


def parse_fields(buf: bytes, start: int = 0, end: int | None = None) -> Fields:
    """Parse header fields from ``buf[start:end]`` as ``HttpHeaderParser.doParse`` does."""
    if end is None:
        end = len(buf)
    m = _FAST_HEADERS.match(buf, start, end)
    if m is not None:
        headers = []
        for name, value in _FAST_LINE.findall(buf, start, m.end()):
            if b"\t" in value or b"  " in value:
                value = _LWSP_RUN.sub(b" ", value)
            headers.append((name.decode("latin-1"), value.strip(b" ").decode("latin-1")))
        return Fields(headers, m.end() - start, False, True)
    return _parse_fields_slow(buf, start, end)


def _legal_name(b: int) -> bool:
    return 32 < b < 128 and b != _COLON


def _parse_fields_slow(buf: bytes, start: int, end: int) -> Fields:
    """Byte-for-byte port of ``HttpHeaderParser`` (lax mode)."""
    headers: list[tuple[str, str]] = []
    corrupt = False
    name = bytearray()
    value = bytearray()
    state = "start"
    pre_cr = "value"

    def add_value(b: int) -> None:
        if b == _SP and (not value or value[-1] == _SP):
            return
        value.append(b)

    def finish() -> None:
        if not name:
            return
        v = value[:-1] if value and value[-1] == _SP else value
        headers.append((name.decode("utf-8", "replace"), bytes(v).decode("utf-8", "replace")))

    i = start
    while i < end:
        b = buf[i]
        i += 1
        if b > 127:
            corrupt = True
            continue
        if state == "start":
            if b in (_SP, _HT):
                corrupt = True
            elif _legal_name(b):
                name[:] = bytes((b,))
                state = "name"
            else:
                corrupt = True
                state = "eat"
        elif state == "linestart":
            if b in (_SP, _HT):
                add_value(_SP)
                state = "postlwsp"
            elif _legal_name(b):
                finish()
                name[:] = bytes((b,))
                state = "name"
            elif b == _CR:
                state = "postblankcr"
            elif b == _LF:
                finish()
                return Fields(headers, i - start, corrupt, True)
            else:
                corrupt = True
                state = "eat"
        elif state == "eat":
            if b == _CR:
                state = "postcr"
            elif b == _LF:
                state = "linestart"
        elif state == "name":
            if _legal_name(b):
                name.append(b)
            elif b in (_SP, _HT):
                state = "postname"
            elif b == _COLON:
                state = "postcolon"
            else:
                corrupt = True
                state = "eat"
        elif state == "postname":
            if b in (_SP, _HT):
                pass
            elif b == _COLON:
                state = "postcolon"
            else:
                corrupt = True
                state = "eat"
        elif state == "postcolon":
            if b in (_SP, _HT):
                continue
            value.clear()
            if b == _CR:
                pre_cr = "postcolon"
                state = "postcr"
            elif b == _LF:
                state = "linestart"
            else:
                add_value(b)
                state = "value"
        elif state == "value":
            if b in (_SP, _HT):
                add_value(_SP)
                state = "postlwsp"
            elif b == _CR:
                pre_cr = "value"
                state = "postcr"
            elif b == _LF:
                state = "linestart"
            else:
                add_value(b)
        elif state == "postlwsp":
            if b in (_SP, _HT):
                pass
            elif b == _CR:
                pre_cr = "postlwsp"
                state = "postcr"
            elif b == _LF:
                state = "linestart"
            else:
                add_value(b)
                state = "value"
        elif state == "postcr":
            if b in (_SP, _HT):
                state = pre_cr
            elif b == _CR:
                pass
            elif b == _LF:
                state = "linestart"
            else:
                add_value(b)
                state = "value"
        elif state == "postblankcr":
            if b == _LF:
                finish()
                return Fields(headers, i - start, corrupt, True)
            corrupt = True
            state = "eat"
    # end of data before the blank line: the field being read is lost, as in CC's parser
    return Fields(headers, end - start, True, False)


@dataclass(slots=True)
class StatusLine:
    version: str
    status: int
    reason: str | None
    counted: int  # what the generator adds to Headers-Length
    consumed: int  # bytes actually read


def _version(token: bytes) -> str:
    return _VERSIONS.get(token.decode("utf-8", "replace").lower(), "HTTP/1.0")


def _status(token: bytes) -> int:
    text = token.decode("utf-8", "replace")
    if _JAVA_INT.fullmatch(text):
        code = int(text)
        if 100 <= code < 600:
            return code
    return 0


def _read_line(buf: bytes, start: int, end: int, limit: int) -> tuple[int, int, bool]:
    """Return (line end incl. LF, bytes counted, corrupt) like the message parsers' read loops."""
    stop = min(end, start + limit)
    i = start
    while i < stop:
        b = buf[i]
        if b > 127:
            return i + 1, i - start, True
        i += 1
        if b == _LF:
            return i, i - start, False
    if stop == end:
        return end, end - start, True
    raise HttpParseError("message line too long")


def parse_status_line(buf: bytes, start: int = 0, end: int | None = None) -> StatusLine:
    """``HttpResponseMessageParser.parseLax``; also used for the ``WARC/1.0`` version line."""
    if end is None:
        end = len(buf)
    line_end, count, corrupt = _read_line(buf, start, end, 128 * 1024)
    if corrupt:
        return StatusLine("HTTP/1.0", 0, None, count, line_end - start)
    line = buf[start:line_end]
    n = len(line)
    stop = n - 1
    if n > 2 and line[n - 2] == _CR:
        stop -= 1
    body = line[:stop]
    idx = 0
    while idx < stop and body[idx] == _SP:
        idx += 1
    first = body.find(b" ", idx)
    version, status, reason = "HTTP/1.0", 0, "UNK"
    if first == -1:
        if stop > idx:
            version = _version(body[idx:])
        return StatusLine(version, status, reason, count, count)
    second = body.find(b" ", first + 1)
    version = _version(body[idx:first])
    if second == -1:
        status = _status(body[first + 1 :]) if stop > first + 1 else 0
        return StatusLine(version, status, reason, count, count)
    status = _status(body[first + 1 : second])
    if stop - (second + 1) > 0:
        reason = body[second + 1 :].decode("latin-1")
    return StatusLine(version, status, reason, count, count)


@dataclass(slots=True)
class RequestLine:
    method: str
    path: str | None
    version: str
    counted: int
    consumed: int


def parse_request_line(buf: bytes, start: int = 0, end: int | None = None) -> RequestLine:
    """``HttpRequestMessageParser.parseLax``: counts the line without its CRLF (the -2 quirk).

    Raises :class:`HttpParseError` where the generator throws (no space in the line).
    """
    if end is None:
        end = len(buf)
    line_end, count, corrupt = _read_line(buf, start, end, 1024 * 1024)
    if corrupt:
        return RequestLine("UNK", None, "HTTP/1.0", count, line_end - start)
    line = buf[start:line_end]
    n = len(line) - 1
    if n > 0 and line[n - 1] == _CR:
        n -= 1
    # literal port: each loop throws where Java's does, "No spaces in message"
    idx = 0
    while line[idx] == _SP:
        idx += 1
        if idx >= n:
            raise HttpParseError("no spaces in request line")
    ms = idx
    while line[idx] != _SP:
        idx += 1
        if idx >= n:
            raise HttpParseError("no spaces in request line")
    method = line[ms:idx].decode("utf-8", "replace").upper()
    while line[idx] == _SP:
        idx += 1
        if idx >= n:
            raise HttpParseError("no spaces in request line")
    ps = idx
    while line[idx] != _SP:
        idx += 1
        if idx >= n:
            raise HttpParseError("no spaces in request line")
    path = line[ps:idx].decode("utf-8", "replace")
    while idx < n and line[idx] == _SP:
        idx += 1
    vs = idx
    while idx < n and line[idx] != _SP:
        idx += 1
    version = _version(line[vs:idx])
    return RequestLine(method if method in _METHODS else "UNK", path, version, n, line_end - start)
