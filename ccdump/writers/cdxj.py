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


def surt_key(url: str) -> str:
    """SURT key as Common Crawl's ``WaybackURLKeyMaker(surtMode=true)`` makes it.

    >>> surt_key("https://an.wikipedia.org/wiki/Escopete")
    'org,wikipedia,an)/wiki/escopete'
    """
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


def timestamp14(warc_date: str | None) -> str:
    """``WARC-Date`` as ``yyyyMMddHHmmss`` (UTC)."""
    parsed = parse_warc_date(warc_date or "")
    if parsed is not None:
        return parsed.strftime("%Y%m%d%H%M%S")
    digits = re.sub(r"\D", "", warc_date or "")
    return (digits + "0" * 14)[:14]


@dataclass(slots=True)
class _Pending:
    key: str
    timestamp: str
    head: list[tuple[str, str]]  # url … filename
    tail: list[tuple[str, str]]  # truncated, redirect
    record_id: str | None
    target_uri: str | None
    charset: str | None
    languages: str | None

    def line(self) -> str:
        data = dict(self.head)
        if self.charset is not None:
            data["charset"] = self.charset
        if self.languages is not None:
            data["languages"] = self.languages
        data.update(self.tail)
        return f"{self.key} {self.timestamp} {_ENCODER.encode(data)}"


_ENCODER = json.JSONEncoder(separators=(", ", ": "))  # ASCII-only, as WarcCdxWriter writes it


def _entry(rec: WarcRecord, filename: str) -> _Pending:
    url = rec.target_uri or ""
    view = response_view(rec)
    revisit = rec.type == "revisit"
    head: list[tuple[str, str]] = [("url", url)]
    if revisit:
        head.append(("mime", "warc/revisit"))
    else:
        head.append(("mime", clean_mime(view.header("Content-Type"))))
        detected = rec.get("WARC-Identified-Payload-Type")
        if detected is not None:
            head.append(("mime-detected", detected))
    code = view.status.status
    head.append(("status", str(code) if code else "-"))
    digest = rec.get("WARC-Payload-Digest") or rec.payload_digest
    if digest is None and not revisit:
        raw = hashlib.sha1(rec.block[view.entity_start : view.entity_end]).digest()
        digest = base64.b32encode(raw).decode("ascii")
    if digest is not None:
        head.append(("digest", digest[5:] if digest.startswith("sha1:") else digest))
    head += [("length", str(rec.length)), ("offset", str(rec.offset)), ("filename", filename)]
    tail: list[tuple[str, str]] = []
    truncated = rec.get("WARC-Truncated")
    if truncated is not None:
        tail.append(("truncated", truncated))
    if 300 <= code < 400 and code != 304:
        location = view.header("Location")
        if location:
            with contextlib.suppress(ValueError):
                tail.append(("redirect", urljoin(url, location.strip())))
    return _Pending(
        surt_key(url),
        timestamp14(rec.date),
        head,
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


class _AtomicText:
    """Lines to a temporary file (gzip for ``.gz``), renamed to ``path`` on close."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.tmp, self.raw = open_temporary(path)
        self.f = gzip.GzipFile(fileobj=self.raw, mode="wb", mtime=0) if path.endswith(".gz") else self.raw

    def write(self, line: str) -> None:
        self.f.write(line.encode("utf-8") + b"\n")

    def close(self) -> int:
        try:
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
