"""CDXJ indexes with Common Crawl's field set and formatting (``WarcCdxWriter``).

One line per ``response`` or ``revisit`` record: ``<SURT key> <yyyyMMddHHmmss> <JSON>``, the JSON
with keys ``url, mime, mime-detected, status, digest, length, offset, filename`` then, when known,
``charset, languages, truncated, redirect``; every value a string; ``", "`` and ``": "`` separators;
non-ASCII escaped. ``charset``/``languages`` come from the capture's ``metadata`` record that
follows its response (or from the record's precomputed values). Lines are SURT-sorted in bounded
memory (:class:`~ccdump.writers.extsort.ExternalSorter`).

Per-record API: ``CdxjWriter(path, filename).add(record)`` for every record in WARC order,
``close()``. On any WARC file: :func:`generate_cdxj`.

Differences from Common Crawl, kept on purpose: the file is sorted (Common Crawl's per-WARC CDX
files are in WARC order; its published index is sorted); ``filename`` is what the caller gives
(default: the WARC's file name; Common Crawl writes the ``crawl-data/…`` path); a response without
``WARC-Payload-Digest`` gets the digest of its payload computed; ``redirect`` is resolved against
the URL but not passed through Nutch's URL normalisers; non-HTTP ``response`` records (DNS …)
are not indexed.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import surt

from ccdump.errors import WriterError
from ccdump.writers.derived import Stats, parse_warc_date
from ccdump.writers.extsort import DEFAULT_MAX_BYTES, ExternalSorter
from ccdump.writers.gzmember import open_temporary
from ccdump.writers.httpview import capture_languages, describes, response_view
from ccdump.writers.record import WarcRecord
from ccdump.writers.warcreader import read_warc

_UNSAFE_KEY = re.compile(r"[\x00-\x20\x7f]")

# -- SURT keys ---------------------------------------------------------------------------------------
# ``surt.surt`` parses every URL into a ``handyurl`` and runs two canonicalisers over bytes: ~55 % of
# the CDXJ writer's time. Most crawled URLs are plain — ``http(s)://host[:port]/path[?query]``, ASCII,
# no escapes, no dot segments, no session ids — and for those every canonicalisation step is either a
# no-op or a lower-casing/reordering that is done here directly. Anything else goes to ``surt.surt``;
# ``tests/writers/test_cdxj_fast.py`` checks both agree on generated and real URLs.

# path and query: printable ASCII without ``%`` (no unescaping, nothing to re-escape), ``#`` (the
# fragment) and, in the path, ``?``; host: letters, digits, ``-``, ``_`` in non-empty dot-separated
# labels (no ``..``/edge dots to squeeze, no userinfo, no IPv6); port: 1-5 digits, no leading zero.
# The fragment is dropped by the canonicaliser whatever it holds.
_PLAIN_URL = re.compile(
    r"(https?)://([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)(?::([1-9][0-9]{0,4}))?"
    r"((?:/[\x21\x22\x24\x26-\x3e\x40-\x7e]*)?)(?:\?([\x21\x22\x24\x26-\x7e]*))?(?:#.*)?\Z",
    re.DOTALL,
)
_WWW = re.compile(r"www\d*\.", re.ASCII)  # IAURLCanonicalizer.massageHost
_DEFAULT_PORT = {"http": 80, "https": 443}
# substrings without which no session-id pattern of the canonicaliser can match (lower case)
_QUERY_SESSION_HINTS = ("sid=", "sessionid", "cfid=")


def _plain_surt(url: str) -> str | None:
    """``surt.surt(url)`` for a plain URL (see ``_PLAIN_URL``); None: not plain, ask ``surt.surt``."""
    if not url.isascii():
        return None
    m = _PLAIN_URL.match(url)
    if m is None:
        return None
    scheme, host, port, path, query = m.groups()
    if host[-1].isdigit():  # maybe an IP address in one of the forms the canonicaliser rewrites
        return None
    if "//" in path or "/." in path:  # empty or dot segments: normalizePath would change them
        return None
    path = path.lower() or "/"
    if ".aspx" in path:  # path session ids (stripPathSessionID)
        return None
    if len(path) > 1 and path[-1] == "/":
        path = path[:-1]
    host = host.lower()
    www = _WWW.match(host)
    if www is not None:
        host = host[www.end() :]
    key = ",".join(reversed(host.split(".")))
    if port is not None:
        number = int(port)
        if number > 65535:  # urllib rejects it: surt.surt raises
            return None
        if number != _DEFAULT_PORT[scheme]:
            key += ":" + port
    key += ")" + path
    if query:
        query = _plain_query(query)
        if query is None:
            return None
        key += "?" + query
    return key


def _plain_query(query: str) -> str | None:
    """Lower-cased query with its ``&``-separated arguments sorted, as ``alphaReorderQuery`` does."""
    query = query.lower()
    if any(hint in query for hint in _QUERY_SESSION_HINTS):
        return None
    if len(query) <= 1 or "&" not in query:
        return query
    args = sorted(tuple(arg.split("=", 1)) for arg in query.split("&"))
    return "&".join("=".join(arg) for arg in args)


def surt_key(url: str) -> str:
    """SURT key as Common Crawl's ``WaybackURLKeyMaker(surtMode=true)`` makes it.

    >>> surt_key("https://an.wikipedia.org/wiki/Escopete")
    'org,wikipedia,an)/wiki/escopete'
    """
    key = _plain_surt(url)
    if key is not None:
        return key  # printable ASCII, nothing to escape
    try:
        key = surt.surt(url)
    except Exception:  # surt raises assorted errors on junk URLs; keep the URL itself as key
        key = url
    return _UNSAFE_KEY.sub(lambda m: f"%{ord(m.group()):02x}", key)


def clean_mime(value: str | None) -> str:
    """HTTP Content-Type cut at ``;`` or space; ``unk`` when missing (``cleanMimeType``).

    >>> clean_mime("text/html; charset=UTF-8")
    'text/html'
    >>> clean_mime(None)
    'unk'
    """
    if value is None:
        return "unk"
    for delim in (";", " "):
        pos = value.find(delim)
        if pos > -1:
            value = value[:pos]
    return value or "unk"


# ``yyyy-MM-ddTHH:mm:ss[.fff]Z`` with a 4-digit year >= 1000 and an hour below 24: whether or not
# the date then parses, timestamp14 gives its first 14 digits (a parsed date is formatted back to
# the same digits: no time zone shift, no roll-over; one that does not parse falls back to them)
_PLAIN_DATE = re.compile(r"([1-9]\d\d\d)-(\d\d)-(\d\d)T([01]\d|2[0-3]):(\d\d):(\d\d)(?:\.\d+)?Z\Z", re.ASCII)


def timestamp14(warc_date: str | None) -> str:
    """``WARC-Date`` as ``yyyyMMddHHmmss`` (UTC)."""
    if warc_date is not None:
        m = _PLAIN_DATE.match(warc_date)
        if m is not None:
            return "".join(m.groups())  # skips datetime parsing and strftime
    parsed = parse_warc_date(warc_date or "")
    if parsed is not None:
        return parsed.strftime("%Y%m%d%H%M%S")
    digits = re.sub(r"\D", "", warc_date or "")
    return (digits + "0" * 14)[:14]


# -- JSON ----------------------------------------------------------------------------------------------
# The line's JSON is what ``_ENCODER.encode(dict)`` writes: ``{"key": value, …}`` with ``", "``/``": "``
# separators and ASCII-only strings. It is assembled from the encoder's own string escaper instead of
# building a dict per line and having the encoder walk it (costlier than the escaping); values that are
# not strings (callers may put anything in ``WarcRecord.charset``) go through the encoder itself.

_ENCODER = json.JSONEncoder(separators=(", ", ": "))  # ASCII-only, as WarcCdxWriter writes it
_json_str = json.encoder.encode_basestring_ascii


def _member(key: str, value: object) -> str:
    """``"key": value`` of the CDXJ JSON; ``key`` is a plain ASCII name."""
    text = _json_str(value) if isinstance(value, str) else _ENCODER.encode(value)
    return f'"{key}": {text}'


@dataclass(slots=True)
class _Pending:
    key: str
    timestamp: str
    head: str  # JSON members url … filename, joined by ", "
    tail: str  # ", " + JSON members truncated, redirect, or ""
    record_id: str | None
    target_uri: str | None
    charset: str | None
    languages: str | None

    def line(self) -> str:
        middle = ""
        if self.charset is not None:
            middle = ", " + _member("charset", self.charset)
        if self.languages is not None:
            middle += ", " + _member("languages", self.languages)
        return f"{self.key} {self.timestamp} {{{self.head}{middle}{self.tail}}}"


def _entry(rec: WarcRecord, filename: str) -> _Pending:
    url = rec.target_uri or ""
    view = response_view(rec)
    revisit = rec.type == "revisit"
    head = [_member("url", url)]
    if revisit:
        head.append('"mime": "warc/revisit"')
    else:
        head.append(_member("mime", clean_mime(view.header("Content-Type"))))
        detected = rec.get("WARC-Identified-Payload-Type")
        if detected is not None:
            head.append(_member("mime-detected", detected))
    code = view.status.status
    head.append(f'"status": "{code}"' if code else '"status": "-"')
    digest = rec.get("WARC-Payload-Digest") or rec.payload_digest
    if digest is None and not revisit:
        raw = hashlib.sha1(rec.block[view.entity_start : view.entity_end]).digest()
        digest = base64.b32encode(raw).decode("ascii")
    if digest is not None:
        head.append(_member("digest", digest[5:] if digest.startswith("sha1:") else digest))
    head.append(_member("length", str(rec.length)))
    head.append(_member("offset", str(rec.offset)))
    head.append(_member("filename", filename))
    tail = ""
    truncated = rec.get("WARC-Truncated")
    if truncated is not None:
        tail = ", " + _member("truncated", truncated)
    if 300 <= code < 400 and code != 304:
        location = view.header("Location")
        if location:
            with contextlib.suppress(ValueError):
                tail += ", " + _member("redirect", urljoin(url, location.strip()))
    return _Pending(
        surt_key(url),
        timestamp14(rec.date),
        ", ".join(head),
        tail,
        rec.record_id,
        rec.target_uri,
        rec.charset,
        rec.languages,
    )


class CdxEntries:
    """Turn WARC records, in file order, into CDXJ lines (unsorted).

    A response's line is finished when the next record arrives, because its ``charset`` and
    ``languages`` are in the metadata record that follows it.
    """

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._pending: _Pending | None = None

    def add(self, rec: WarcRecord) -> list[str]:
        """Take the next record; return the lines this completes (zero or one)."""
        out = []
        pending = self._pending
        if pending is not None:
            if describes(rec, pending.target_uri, pending.record_id):
                charset, languages = capture_languages(rec)
                if pending.charset is None:
                    pending.charset = charset
                if pending.languages is None:
                    pending.languages = languages
            out.append(pending.line())
            self._pending = None
        if rec.type in ("response", "revisit") and rec.is_http_response():
            self._pending = _entry(rec, self.filename)
        return out

    def flush(self) -> list[str]:
        """Lines still pending at the end of the file."""
        if self._pending is None:
            return []
        line = self._pending.line()
        self._pending = None
        return [line]


class CdxjWriter:
    """Write one SURT-sorted CDXJ file (gzip-compressed when ``path`` ends with ``.gz``).

    ``filename`` is the value of each line's ``filename`` field (the WARC's path as published,
    e.g. ``crawl-data/CC-MAIN-…/warc/X.warc.gz``). Feed records with :meth:`add` or finished lines
    with :meth:`add_line`. ``sort=False`` keeps WARC order, as Common Crawl's per-WARC files.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        filename: str = "",
        *,
        sort: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
        tmp_dir: str | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.entries = CdxEntries(filename)
        self.sort = sort
        self.stats = Stats(self.path)
        self._sorter = ExternalSorter(max_bytes, tmp_dir) if sort else None
        self._unsorted: list[str] | None = None if sort else []
        self._closed = False
        if not sort:
            self._out = _AtomicText(self.path)

    def add(self, rec: WarcRecord) -> None:
        self.stats.records_in += 1
        self.add_lines(self.entries.add(rec))

    def add_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.add_line(line)

    def add_line(self, line: str) -> None:
        self.stats.records_out += 1
        if self._sorter is not None:
            self._sorter.add(line)
        else:
            self._out.write(line)

    def close(self) -> Stats:
        if self._closed:
            return self.stats
        self._closed = True
        self.add_lines(self.entries.flush())
        if self._sorter is not None:
            out = _AtomicText(self.path)
            try:
                for line in self._sorter:
                    out.write(line)
            except BaseException:
                out.abort()
                raise
            finally:
                self._sorter.close()
            self.stats.bytes_out = out.close()
        else:
            self.stats.bytes_out = self._out.close()
        return self.stats

    def abort(self) -> None:
        self._closed = True
        if self._sorter is not None:
            self._sorter.close()
        else:
            self._out.abort()

    def __enter__(self) -> CdxjWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


#: bytes of lines gathered before they go to the (gzip) file: a ``GzipFile.write`` per line costs
#: more than compressing the line; deflate's output does not depend on how its input is cut
_FLUSH_BYTES = 1 << 20


class _AtomicText:
    """Lines to a temporary file (gzip for ``.gz``), renamed to ``path`` on close."""

    def __init__(self, path: str, flush_bytes: int = _FLUSH_BYTES) -> None:
        self.path = path
        self.tmp, self.raw = open_temporary(path)
        self.f = gzip.GzipFile(fileobj=self.raw, mode="wb", mtime=0) if path.endswith(".gz") else self.raw
        self.flush_bytes = flush_bytes
        self._lines: list[bytes] = []
        self._buffered = 0

    def write(self, line: str) -> None:
        data = line.encode("utf-8")  # here, so a line that cannot be encoded fails where it is given
        self._lines.append(data)
        self._buffered += len(data)
        if self._buffered >= self.flush_bytes:
            self._flush()

    def _flush(self) -> None:
        if self._lines:
            self._lines.append(b"")
            self.f.write(b"\n".join(self._lines))
            self._lines = []
            self._buffered = 0

    def close(self) -> int:
        try:
            self._flush()
            if self.f is not self.raw:
                self.f.close()
            size = self.raw.tell()
            self.raw.close()
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.abort()
            raise WriterError(f"{self.path}: cannot finish output file: {exc}") from exc
        return size

    def abort(self) -> None:
        try:
            self.raw.close()
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)


def cdxj_name(warc_filename: str) -> str:
    """``X.warc.gz`` → ``X.cdx.gz`` (Common Crawl's per-WARC CDX naming).

    >>> cdxj_name("CC-MAIN-20240517233122-20240518023122-00000.warc.gz")
    'CC-MAIN-20240517233122-20240518023122-00000.cdx.gz'
    """
    base = os.path.basename(warc_filename)
    for suffix in (".warc.gz", ".warc", ".gz"):
        if base.endswith(suffix):
            return base[: -len(suffix)] + ".cdx.gz"
    return base + ".cdx.gz"


def generate_cdxj(
    warc_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str] | None = None,
    *,
    filename: str | None = None,
    parquet=None,
    segment: str | None = None,
    sort: bool = True,
) -> Stats:
    """Index one WARC file into ``X.cdx.gz`` (next to it unless ``out_path`` is given).

    ``filename``: the ``filename`` field (default: the WARC's base name). ``parquet``: a
    :class:`~ccdump.writers.parquet.ParquetIndexWriter` that receives the same lines.
    """
    warc_path = os.fspath(warc_path)
    if out_path is None:
        out_path = os.path.join(os.path.dirname(warc_path), cdxj_name(warc_path))
    name = filename if filename is not None else os.path.basename(warc_path)
    entries = CdxEntries(name)
    with CdxjWriter(out_path, name, sort=sort) as writer:
        for rec in read_warc(warc_path):
            writer.stats.records_in += 1
            lines = entries.add(rec)
            writer.add_lines(lines)
            if parquet is not None:
                for line in lines:
                    parquet.add_line(line, segment)
        lines = entries.flush()
        writer.add_lines(lines)
        if parquet is not None:
            for line in lines:
                parquet.add_line(line, segment)
    return writer.stats
