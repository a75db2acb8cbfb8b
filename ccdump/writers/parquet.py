"""The Parquet columnar index with Common Crawl's flat schema (cc-index-table ``CCIndex2Table``).

Rows are made from CDXJ lines as ``CCIndex2Table`` makes them from Common Crawl's CDX files: URL
components as ``java.net.URL`` reports them, host parts and public-suffix columns as
``HostName`` computes them (crawler-commons ``EffectiveTldFinder`` there; ``tldextract``'s bundled
Public Suffix List here, with and without the private section), status as int16, offset and length
as int32. Files are ``<root>/crawl=<crawl>/subset=<subset>/part-NNNNN.c000.gz.parquet``, gzip
compressed, rows sorted by ``url_surtkey`` (bounded memory: lines are sorted externally, then
converted in batches); the partition columns exist only as directory names, as in Common Crawl's
bucket.

Per-record API: ``ParquetIndexWriter(root, crawl, subset).add(record)`` for every WARC record in
order (or :meth:`~ParquetIndexWriter.add_line` with finished CDXJ lines), then ``close()``.
``fetch_time`` is written as INT64 ``TIMESTAMP(MICROS, UTC)``; ``int96=True`` writes the legacy
INT96 encoding instead (Common Crawl's physical type is unverified).
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import json
import os
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import tldextract

from ccdump.errors import WriterError
from ccdump.writers.cdxj import CdxEntries
from ccdump.writers.derived import Stats
from ccdump.writers.extsort import DEFAULT_MAX_BYTES, ExternalSorter
from ccdump.writers.record import WarcRecord

_STR, _I32 = pa.string(), pa.int32()

#: Common Crawl's flat schema, columns 1-30 (``crawl`` and ``subset`` are partition directories)
SCHEMA = pa.schema(
    [
        pa.field("url_surtkey", _STR, nullable=False),
        pa.field("url", _STR, nullable=False),
        pa.field("url_host_name", _STR, nullable=False),
        pa.field("url_host_tld", _STR),
        pa.field("url_host_2nd_last_part", _STR),
        pa.field("url_host_3rd_last_part", _STR),
        pa.field("url_host_4th_last_part", _STR),
        pa.field("url_host_5th_last_part", _STR),
        pa.field("url_host_registry_suffix", _STR),
        pa.field("url_host_registered_domain", _STR),
        pa.field("url_host_private_suffix", _STR),
        pa.field("url_host_private_domain", _STR),
        pa.field("url_host_name_reversed", _STR),
        pa.field("url_protocol", _STR, nullable=False),
        pa.field("url_port", _I32),
        pa.field("url_path", _STR, nullable=False),
        pa.field("url_query", _STR),
        pa.field("fetch_time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("fetch_status", pa.int16(), nullable=False),
        pa.field("fetch_redirect", _STR),
        pa.field("content_digest", _STR),
        pa.field("content_mime_type", _STR),
        pa.field("content_mime_detected", _STR),
        pa.field("content_charset", _STR),
        pa.field("content_languages", _STR),
        pa.field("content_truncated", _STR),
        pa.field("warc_filename", _STR, nullable=False),
        pa.field("warc_record_offset", _I32, nullable=False),
        pa.field("warc_record_length", _I32, nullable=False),
        pa.field("warc_segment", _STR, nullable=False),
    ]
)
PARTITION_COLUMNS = ("crawl", "subset")
SUBSETS = ("warc", "crawldiagnostics", "robotstxt")

_IPV4 = re.compile(r"(?:(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9])\.){3}(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9])")
_IPV4_DECIMAL = re.compile(r"(?:(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9])\.){0,3}[0-9]+")
_IPV6 = re.compile(r"\[[0-9a-fA-F:]+\]")
_SEGMENT = re.compile(r"segments/([^/]+)/(?:crawldiagnostics|robotstxt|warc|wat|wet)/")
_INT32_MAX = (1 << 31) - 1


@functools.lru_cache(maxsize=1)
def _psl() -> tldextract.TLDExtract:
    # the Public Suffix List snapshot bundled with tldextract: no download, no cache directory
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), include_psl_private_domains=True)


@functools.lru_cache(maxsize=65536)
def host_columns(host: str) -> tuple[str, tuple[str | None, ...]]:
    """(host name, 11 host columns after it) as ``HostName.asRow`` gives them.

    >>> host_columns("www.example.co.uk")[1][:3]
    ('uk', 'co', 'example')
    >>> host_columns("foo.blogspot.com")[1][5:9]
    ('com', 'blogspot.com', 'blogspot.com', 'foo.blogspot.com')
    """
    none11: tuple[str | None, ...] = (None,) * 11
    if _IPV4.fullmatch(host):
        return host, none11[1:]
    if _IPV4_DECIMAL.fullmatch(host):
        try:
            return str(ipaddress.IPv4Address(int(host) if host.isdigit() else host)), none11[1:]
        except ValueError:
            pass
    if _IPV6.fullmatch(host):
        return host, none11[1:]
    if "%" in host:
        host = unquote(host)
    if not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    if host.endswith("."):
        host = host[:-1]
    rev = host.split(".")[::-1]
    parts = [rev[i] if i < len(rev) else None for i in range(5)]
    registry = registered = private = private_domain = None
    ext = _psl().extract_str(host)
    if ext.suffix:
        private = ext.suffix
        private_domain = ext.top_domain_under_public_suffix or None
        registry = ext.registry_suffix or None
        registered = ext.top_domain_under_registry_suffix or None
    return host, (*parts, registry, registered, private, private_domain, ".".join(rev))


def segment_from_filename(filename: str) -> str | None:
    """The segment of a ``crawl-data/…/segments/<segment>/warc/…`` path (``CCWarcFilenameParser``)."""
    m = _SEGMENT.search(filename)
    return m.group(1) if m else None


def row_from_line(line: str, segment: str | None = None) -> dict[str, Any]:
    """One table row from one CDXJ line."""
    key, ts, payload = line.split(" ", 2)
    data = json.loads(payload)
    url = data.get("url", "")
    try:
        parts = urlsplit(url)
        scheme = parts.scheme
        netloc_host = parts.netloc.rpartition("@")[2]
        if netloc_host.startswith("["):
            host = netloc_host[: netloc_host.find("]") + 1].lower()
        else:
            host = netloc_host.rsplit(":", 1)[0].lower() if ":" in netloc_host else netloc_host.lower()
        try:
            port = parts.port
        except ValueError:
            port = None
        path = parts.path
        before_fragment = url.split("#", 1)[0]
        query = parts.query if "?" in before_fragment else None
    except ValueError:
        scheme, host, port, path, query = "", "", None, "", None
    host_name, host_cols = host_columns(host) if host else ("", (None,) * 11)
    status = data.get("status", "")
    try:
        fetch_status = int(status)
        if not -32768 <= fetch_status < 32768:
            fetch_status = -1
    except ValueError:
        fetch_status = -1
    offset, length = int(data.get("offset", 0)), int(data.get("length", 0))
    if offset > _INT32_MAX or length > _INT32_MAX:
        raise WriterError(
            f"{data.get('filename')}: record at byte {offset} is beyond the int32 range of the "
            "Parquet index (WARC files must stay below 2 GiB)"
        )
    filename = data.get("filename", "")
    return {
        "url_surtkey": key,
        "url": url,
        "url_host_name": host_name,
        **dict(zip(SCHEMA.names[3:13], host_cols, strict=True)),
        "url_protocol": scheme,
        "url_port": port,
        "url_path": path,
        "url_query": query,
        "fetch_time": datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc),
        "fetch_status": fetch_status,
        "fetch_redirect": data.get("redirect"),
        "content_digest": data.get("digest"),
        "content_mime_type": data.get("mime"),
        "content_mime_detected": data.get("mime-detected"),
        "content_charset": data.get("charset"),
        "content_languages": data.get("languages"),
        "content_truncated": data.get("truncated"),
        "warc_filename": filename,
        "warc_record_offset": offset,
        "warc_record_length": length,
        "warc_segment": segment or segment_from_filename(filename) or "",
    }


def _next_part(directory: str) -> int:
    taken = set()
    for name in os.listdir(directory):
        m = re.fullmatch(r"part-(\d+)\.c000\.gz\.parquet", name)
        if m:
            taken.add(int(m.group(1)))
    n = 0
    while n in taken:
        n += 1
    return n


def serial_of(warc_filename: str) -> int | None:
    """The serial of ``<prefix>-<stamp17>-<serial>.warc[.gz]`` (None for other names)."""
    m = re.search(r"-(\d{5,})\.warc(?:\.gz)?$", os.path.basename(warc_filename))
    return int(m.group(1)) if m else None


def part_file_for(root: str, crawl: str, warc_filename: str, subset: str = "warc") -> str:
    """The index file written for one of ccdump's WARC files: ``part-<its serial>``, unique and deterministic."""
    serial = serial_of(warc_filename)
    return os.path.join(root, f"crawl={crawl}", f"subset={subset}", f"part-{serial:05d}.c000.gz.parquet")


class ParquetIndexWriter:
    """Write one part file of the columnar index for ``crawl``/``subset``.

    ``segment``: the ``warc_segment`` value for rows that do not name one (default: parsed from
    the ``filename`` field, else empty). ``filename``: the ``filename`` field used by :meth:`add`.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        crawl: str,
        subset: str = "warc",
        *,
        filename: str = "",
        segment: str | None = None,
        part: int | None = None,
        int96: bool = False,
        row_group_size: int = 100_000,
        max_bytes: int = DEFAULT_MAX_BYTES,
        tmp_dir: str | None = None,
    ) -> None:
        if not crawl or "/" in crawl or not subset or "/" in subset:
            raise WriterError(f"invalid crawl/subset partition {crawl!r}/{subset!r}")
        self.directory = os.path.join(os.fspath(root), f"crawl={crawl}", f"subset={subset}")
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError as exc:
            raise WriterError(f"{self.directory}: cannot create directory: {exc}") from exc
        number = _next_part(self.directory) if part is None else part
        self.path = os.path.join(self.directory, f"part-{number:05d}.c000.gz.parquet")
        self.segment = segment
        self.int96 = int96
        self.row_group_size = row_group_size
        self.entries = CdxEntries(filename)
        self.stats = Stats(self.path)
        self._sorter = ExternalSorter(max_bytes, tmp_dir)
        self._line_segment: str | None = None
        self._closed = False

    def add(self, rec: WarcRecord) -> None:
        """Take the next WARC record (every record, in file order)."""
        self.stats.records_in += 1
        # a line is finished by the record after its response, so it takes the segment noted then
        for line in self.entries.add(rec):
            self.add_line(line, self._line_segment)
        self._line_segment = rec.segment or self.segment

    def add_line(self, line: str, segment: str | None = None) -> None:
        """Take one finished CDXJ line (any order)."""
        self._sorter.add(f"{line}\t{segment or self.segment or ''}")

    def _batches(self) -> Iterator[pa.RecordBatch]:
        rows: list[dict[str, Any]] = []
        for item in self._sorter:
            line, _, segment = item.rpartition("\t")
            rows.append(row_from_line(line, segment or None))
            if len(rows) >= self.row_group_size:
                yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)
                rows = []
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)

    def close(self) -> Stats:
        if self._closed:
            return self.stats
        self._closed = True
        for line in self.entries.flush():
            self.add_line(line, self._line_segment)
        tmp = os.path.join(self.directory, f".{os.path.basename(self.path)}.tmp")
        try:
            with pq.ParquetWriter(
                tmp, SCHEMA, compression="gzip", use_deprecated_int96_timestamps=self.int96
            ) as writer:
                for batch in self._batches():
                    writer.write_batch(batch, row_group_size=self.row_group_size)
                    self.stats.records_out += batch.num_rows
            # sized before the rename: once final, the file may be uploaded and removed from a
            # staging folder by the parent process (remote outputs) at any moment
            self.stats.bytes_out = os.path.getsize(tmp)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        finally:
            self._sorter.close()
        return self.stats

    def abort(self) -> None:
        self._closed = True
        self._sorter.close()

    def __enter__(self) -> ParquetIndexWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
