"""Shared plumbing of the WAT and WET writers: record layout, names, dates, ids, the output file.

Both are written the way ia-web-commons' ``WARCRecordWriter`` writes them: ``WARC/1.0``, the
header fields in the generator's order with ``Content-Length`` last, a blank line, the block,
``\\r\\n\\r\\n``; each record one gzip member with the ``1f 8b 08 00 00000000 00 03`` header.
The clock and the record-id factory are injectable so tests can compare bytes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime

from ccdump import __version__
from ccdump.fastzlib import DERIVED_DEFLATE
from ccdump.writers.gzmember import GZIP_HEADER_UNIX, GzipMemberWriter

SOFTWARE_INFO = f"ccdump.{__version__}"

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_record_id() -> str:
    """``<urn:uuid:…>`` with a random (version 4) UUID, as the generator makes them.

    Made from ``os.urandom`` directly, as :func:`uuid.uuid4` does, without the :class:`uuid.UUID`
    object (half the cost; three or four ids a page). Fresh randomness on every call, so forked
    processes never repeat ids.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"<urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}>"


def warc_date(when: datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss'Z'`` in UTC (``DateUtils.getLog14Date``)."""
    global _last_warc_date
    try:
        second = math.floor(when.timestamp())
    except (OverflowError, ValueError, OSError):  # years near 1 or 9999: no memo
        return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    last = _last_warc_date  # one read: another thread may replace it meanwhile
    if last[0] != second:  # each WAT record is dated now: the same second, mostly
        last = _last_warc_date = (second, when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return last[1]


_last_warc_date: tuple[float, str] = (float("nan"), "")


def rfc1123(when: datetime) -> str:
    """``Sat, 21 Nov 2026 15:02:39 GMT`` (``DateUtils.getRFC1123Date``)."""
    return format_datetime(when.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def parse_warc_date(value: str) -> datetime | None:
    """A ``WARC-Date`` (ISO 8601 in UTC, optional fraction) as an aware datetime."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def derived_name(warc_filename: str, kind: str) -> str:
    """Name of the WAT/WET file for a WARC file name, as ``WEATGenerator`` builds it.

    >>> derived_name("CC-MAIN-20240517233122-20240518023122-00000.warc.gz", "wat")
    'CC-MAIN-20240517233122-20240518023122-00000.warc.wat.gz'
    >>> derived_name("crawl.warc", "wet")
    'crawl.warc.wet.gz'
    """
    base = os.path.basename(warc_filename)
    if base.endswith(".gz"):
        base = base[:-3]
    return f"{base}.{kind}.gz"


def serialize_record(fields: list[tuple[str, str]], block: bytes) -> bytes:
    """One record: version line, ``fields``, ``Content-Length`` last, blank line, block, trailer."""
    head = "".join(f"{name}: {value}\r\n" for name, value in fields)
    return b"".join(
        (
            b"WARC/1.0\r\n",
            head.encode("utf-8"),
            b"Content-Length: %d\r\n\r\n" % len(block),
            block,
            b"\r\n\r\n",
        )
    )


def record_member(fields: list[tuple[str, str]], block: bytes, compress: Callable[[bytes], bytes]) -> bytes:
    """One record as a complete gzip member (``compress``: :func:`ccdump.fastzlib.gzip_compressor`),
    for :meth:`DerivedWriter.write_prepared`: the same bytes as :meth:`DerivedWriter.write_record`."""
    return compress(serialize_record(fields, block))


def warcinfo_block(fields: list[tuple[str, str]]) -> bytes:
    """``application/warc-fields`` block ending with a blank line (``HttpHeaders.write``)."""
    return "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8") + b"\r\n"


@dataclass(slots=True)
class Stats:
    """What a derived-data writer did; returned by ``close()``."""

    path: str
    records_in: int = 0
    records_out: int = 0
    bytes_out: int = 0


class DerivedWriter:
    """Base of :class:`~ccdump.writers.wat.WatWriter` and :class:`~ccdump.writers.wet.WetWriter`."""

    kind = ""

    def __init__(
        self,
        path: str | os.PathLike[str],
        warc_filename: str,
        *,
        deflate: str | None = None,
        now: Clock = utcnow,
        make_id: IdFactory = new_record_id,
        background: bool = False,
    ) -> None:
        self.path = os.fspath(path)
        #: compress on a background thread (:meth:`GzipMemberWriter.submit`): same bytes; less wall
        #: time when a core is idle (``generate_wat``/``generate_wet``), more CPU and no gain when the
        #: second core is busy — as behind the WARC writer, whose gzip helper process uses it
        self.background = background
        self.warc_filename = os.path.basename(warc_filename)
        self.filename = derived_name(self.warc_filename, self.kind)
        self.now = now
        self.make_id = make_id
        #: ``engine:level`` (:func:`ccdump.fastzlib.gzip_compressor`); default ISA-L level 3: these
        #: files are regenerated from the WARC at will, so speed wins over the last 2-3 % of size
        self.deflate = deflate or DERIVED_DEFLATE
        self.out = GzipMemberWriter(self.path, header=GZIP_HEADER_UNIX, deflate=self.deflate)
        self.stats = Stats(self.path)

    def write_record(self, fields: list[tuple[str, str]], block: bytes) -> None:
        record = serialize_record(fields, block)
        if self.background:
            self.out.submit(record)
        else:
            self.out.write_member(record)
        self.stats.records_out += 1

    def write_prepared(self, member: bytes) -> None:
        """Write a record already serialised and compressed elsewhere (:func:`record_member`)."""
        if self.background:
            raise ValueError("prepared members need a writer without background compression")
        self.out.write_prepared(member)
        self.stats.records_out += 1

    def warcinfo(self, block_fields: list[tuple[str, str]]) -> None:
        """The file's first record (``WARCRecordWriter.writeWARCInfoRecord`` header order)."""
        fields = [
            ("WARC-Type", "warcinfo"),
            ("WARC-Date", warc_date(self.now())),
            ("WARC-Filename", self.filename),
            ("WARC-Record-ID", self.make_id()),
            ("Content-Type", "application/warc-fields"),
        ]
        self.write_record(fields, warcinfo_block(block_fields))

    def finish(self) -> None:
        """Write what is still pending (subclasses)."""

    def close(self) -> Stats:
        if not self.out.closed:
            try:
                self.finish()
            except BaseException:
                self.out.abort()
                raise
            self.out.close()
            self.stats.bytes_out = self.out.tell()
        return self.stats

    def abort(self) -> None:
        self.out.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
