"""Size-rotated WARC files: ``<prefix>-<yyyyMMddHHmmssSSS>-<serial>.warc[.gz]`` (spec nutch-dumper.md §8.4).

Each file starts with its own warcinfo record and holds whole captures (request, response,
metadata — never split across files). A capture is encoded, and with ``gzip`` compressed one gzip
member per record, *before* it is written, so the writer knows its size and rotates first: every
file stays within ``max_size`` unless a single capture is larger than the limit, which then gets
a file of its own. Files are written under a temporary name and renamed when complete
(:class:`~ccdump.writers.gzmember.GzipMemberWriter`, used as a plain appender for the members).

Other per-record outputs (WAT, WET, CDXJ, Parquet) attach as *listeners*: for every record
written, ``listener.add(record)`` receives a :class:`~ccdump.writers.record.WarcRecord` with the
WARC headers, block, member offset and length; optional ``on_file_open(path)`` /
``on_file_closed(path)`` bracket each WARC file, and optional ``close()`` / ``abort()`` end the run.
:class:`PerFileListener` turns a factory such as ``lambda warc_path: WatWriter(...)`` into a
listener that opens one derived file per WARC file.

Compression is the main cost, so on machines with more than one core a :class:`GzipHelper`
process compresses captures while this process reads and maps the next ones; captures queue
(bounded by count and bytes) until their members come back, and are written in input order.
"""

from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ccdump import fastzlib
from ccdump.errors import WriterError
from ccdump.nutch.document import Document
from ccdump.warcmap import WARC_1_0, WARC_1_1, Capture, Record, WarcMapper, file_timestamp
from ccdump.writers.base import Writer
from ccdump.writers.gzmember import GZIP_HEADER_JDK, GzipMemberWriter
from ccdump.writers.record import GzipHeaderInfo, WarcRecord

if TYPE_CHECKING:
    from ccdump.run import DumpOptions

#: ``-warcSize`` default: 1 GiB, Nutch's default (WARC 1.1 Annex C recommends about 1 GB).
DEFAULT_WARC_SIZE = 1 << 30
#: captures (and block bytes) being compressed ahead of the file: bounds memory, keeps both cores busy
MAX_QUEUED_CAPTURES = 32
MAX_QUEUED_BYTES = 16 << 20
#: payload bytes compressed in-process before a helper process is worth its start-up (~0.1 s)
HELPER_AFTER_BYTES = 8 << 20
#: captures the helper may be behind before this process compresses the next one itself
HELPER_DEPTH = 4
Buffer = bytes | bytearray | memoryview
_FRAME = struct.Struct("!IH")  # bytes that follow the lengths, record count
_READY = b"\x06"  # the helper's first byte: it started and imported ccdump
STATUS_FETCH_SUCCESS, STATUS_FETCH_NOTMODIFIED = 0x21, 0x26


class RecordListener(Protocol):
    """What a per-record consumer must offer; ``on_file_open``, ``on_file_closed``, ``close``, ``abort`` are optional."""

    def add(self, record: WarcRecord) -> Any: ...


class _Sink(Protocol):
    def add(self, record: WarcRecord) -> Any: ...
    def close(self) -> Any: ...
    def abort(self) -> Any: ...


class PerFileListener:
    """One sink per WARC file: ``factory(final_warc_path)`` when a file opens, ``close()`` when it is renamed."""

    def __init__(self, factory: Callable[[str], _Sink]) -> None:
        self.factory = factory
        self.sink: _Sink | None = None

    def on_file_open(self, path: str) -> None:
        self.sink = self.factory(path)

    def add(self, record: WarcRecord) -> None:
        assert self.sink is not None, "add() before on_file_open()"
        self.sink.add(record)

    def on_file_closed(self, path: str) -> None:
        if self.sink is not None:
            sink, self.sink = self.sink, None
            sink.close()

    def abort(self) -> None:
        if self.sink is not None:
            sink, self.sink = self.sink, None
            sink.abort()


def configured_listeners(listeners: Sequence[RecordListener], config: Any) -> list[RecordListener]:
    """``listeners``, each with an optional ``configure(config)`` called (e.g. ``-D ccdump.derived.parallel``)."""
    for listener in listeners:
        configure = getattr(listener, "configure", None)
        if configure is not None:
            configure(config)
    return list(listeners)


@dataclass
class CaptureFilter:
    """Which documents become captures, with the count of each reason for leaving one out.

    ``only_successful``: WARCExporter's ``-onlySuccessfulResponses`` (crawl_fetch status
    fetch_success or fetch_notmodified). ``require_fetch``: WARCExporter skips URLs without a
    crawl_fetch datum; the dumper keeps them (robots.txt-style captures).
    """

    only_successful: bool = False
    require_fetch: bool = False
    skipped: Counter = field(default_factory=Counter)

    def rejects(self, doc: Document) -> bool:
        datum = doc.fetch
        if datum is None and (self.require_fetch or self.only_successful):
            self.skipped["filtered: no crawl_fetch datum"] += 1
            return True
        if self.only_successful and datum is not None and datum.status not in (STATUS_FETCH_SUCCESS, STATUS_FETCH_NOTMODIFIED):
            self.skipped[f"filtered: not successful ({datum.status_name})"] += 1
            return True
        return False


@dataclass(slots=True)
class _Encoded:
    """One record ready for the file: the bytes to append and what a listener needs to know."""

    record: Record
    header: bytes
    data: tuple[Buffer, ...]
    size: int
    inflated_length: int
    crc: int | None


@dataclass(slots=True)
class _Queued:
    """A capture waiting for its turn: encoded here, or ``encoded=None`` while the helper has it."""

    capture: Capture
    warcinfo_id: str | None
    headers: list[bytes]
    encoded: list[_Encoded] | None = None


def gzip_member(chunks: Sequence[Buffer], level: int = 6, header: bytes = GZIP_HEADER_JDK) -> tuple[bytearray, int, int]:
    """(member bytes, inflated length, CRC-32) of one gzip member holding ``chunks``.

    Built here rather than by GzipMemberWriter because the writer must know a capture's size
    before choosing its file. One-shot ``zlib.compress`` (about 2 µs of set-up) rather than a
    ``compressobj`` per record (about 50 µs: zlib's state is allocated and freed each time);
    its 10-byte header is replaced by the JDK's, as in Common Crawl's WARC files.
    """
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    member = bytearray(fastzlib.compress(data, level, wbits=31))  # a bytearray: the header is patched in place
    member[:10] = header
    (crc,) = struct.unpack_from("<I", member, len(member) - 8)
    return member, len(data), crc


def encode_records(records: Sequence[Record], warcinfo_id: str | None, gzip: bool, level: int) -> list[_Encoded]:
    """Serialise (and compress) records for a file whose warcinfo id is known."""
    out = []
    for record in records:
        header = record.header_bytes(warcinfo_id)
        chunks = (header, record.head, record.payload, b"\r\n\r\n")
        inflated = len(header) + record.block_length + 4
        if gzip:
            member, _, crc = gzip_member(chunks, level)
            out.append(_Encoded(record, header, (member,), len(member), inflated, crc))
        else:
            out.append(_Encoded(record, header, chunks, inflated, inflated, None))
    return out


def serve_gzip(level: int) -> None:
    """The helper process: read framed records on stdin, answer each frame with their gzip members.

    Request: ``_FRAME`` (data bytes, n), n record lengths (u32), the records. Answer: ``_FRAME``
    (member bytes, n), n × (member length, inflated length, CRC-32), the members.
    """
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    out.write(_READY)
    out.flush()
    while True:
        head = inp.read(_FRAME.size)
        if len(head) < _FRAME.size:
            return
        total, n = _FRAME.unpack(head)
        lengths = struct.unpack(f"!{n}I", inp.read(4 * n))
        data = memoryview(inp.read(total))
        members, fields, pos = [], [], 0
        for length in lengths:
            member, size, crc = gzip_member((data[pos : pos + length],), level)
            members.append(member)
            fields += (len(member), size, crc)
            pos += length
        out.write(b"".join([_FRAME.pack(sum(map(len, members)), n), struct.pack(f"!{3 * n}I", *fields), *members]))
        out.flush()


class GzipHelper:
    """A child process that compresses captures while this process reads and maps the next ones.

    Threads cannot do this in CPython: after each short ``deflate`` a worker thread waits for the
    GIL the mapping thread holds, so the two stay serial. The pipes are driven from the calling
    thread only — non-blocking writes, and answers read whenever a write would block — so neither
    side can wait on the other forever. Answers come back in request order.
    """

    def __init__(self, level: int) -> None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        code = f"from ccdump.writers.warc import serve_gzip; serve_gzip({int(level)})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, bufsize=0)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._w, self._r = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        ready, _, _ = select.select([self._r], [], [], 60)
        if not ready or os.read(self._r, 1) != _READY:
            self.kill()
            raise OSError("the gzip helper process did not start")
        os.set_blocking(self._w, False)
        os.set_blocking(self._r, False)
        self._buffer = bytearray()
        self._answers: deque[list[tuple[bytes, int, int]]] = deque()

    def submit(self, records: Sequence[Sequence[bytes]]) -> None:
        """Send one capture: each record as the chunks of its serialised form."""
        lengths = [sum(map(len, chunks)) for chunks in records]
        frame = b"".join([_FRAME.pack(sum(lengths), len(lengths)), struct.pack(f"!{len(lengths)}I", *lengths),
                          *(c for chunks in records for c in chunks)])
        view = memoryview(frame)
        while view:
            try:
                view = view[os.write(self._w, view) :]
            except BlockingIOError:
                readable, _, _ = select.select([self._r], [self._w], [])
                if readable:
                    self._read()
            except BrokenPipeError:
                raise WriterError(f"gzip helper process ended (exit status {self.proc.poll()})") from None

    def ready(self) -> bool:
        """True when the oldest pending answer has arrived (never waits)."""
        if not self._answers:
            self._read()
        return bool(self._answers)

    def answer(self) -> list[tuple[bytes, int, int]]:
        """(member, inflated length, CRC-32) per record of the oldest capture not yet answered."""
        while not self._answers:
            select.select([self._r], [], [])
            self._read()
        return self._answers.popleft()

    def _read(self) -> None:
        try:
            data = os.read(self._r, 1 << 20)
        except BlockingIOError:
            return
        if not data:
            raise WriterError(f"gzip helper process ended (exit status {self.proc.wait()})")
        buf = self._buffer
        buf += data
        while len(buf) >= _FRAME.size:
            total, n = _FRAME.unpack_from(buf)
            start = _FRAME.size + 12 * n
            if len(buf) < start + total:
                break
            fields = struct.unpack_from(f"!{3 * n}I", buf, _FRAME.size)
            members, pos = [], start
            for i in range(n):
                length, size, crc = fields[3 * i : 3 * i + 3]
                members.append((bytes(buf[pos : pos + length]), size, crc))
                pos += length
            del buf[: start + total]
            self._answers.append(members)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        if self.proc.wait(timeout=60) != 0:
            raise WriterError(f"gzip helper process failed (exit status {self.proc.returncode})")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def shared_helper(listeners: Sequence[RecordListener], level: int) -> Any:
    """A listener's stand-in for :class:`GzipHelper` (``gzip_helper(level)``), served by a helper
    process it runs anyway (:class:`~ccdump.writers.commoncrawl.DerivedListeners`); False when a
    listener says the writer should compress in its own process (the other cores already have
    the listener's work); None when no listener has a say."""
    for listener in listeners:
        make = getattr(listener, "gzip_helper", None)
        helper = make(level) if make is not None else None
        if helper is not None:
            return helper
    return None


class WarcWriter(Writer):
    """Write documents as Common Crawl-layout WARC files in ``output_dir``, rotating by size.

    ``max_size``: bytes on disk (compressed) a file may reach; ``gzip``: ``.warc.gz`` with one
    member per record, else ``.warc``; ``clock``: epoch seconds (injectable for tests);
    ``parse_data``/``parse_text``: WARCExporter's extra metadata/conversion records.
    ``parallel``: once ``HELPER_AFTER_BYTES`` were written, compress in a :class:`GzipHelper`
    process while this one reads and maps (default: when the machine has more than one core;
    ``.warc`` files need no compression). The bytes written are identical either way.
    """

    name = "warc"

    def __init__(
        self,
        output_dir: str,
        mapper: WarcMapper | None = None,
        *,
        prefix: str = "WEB",
        gzip: bool = True,
        max_size: int = DEFAULT_WARC_SIZE,
        level: int = 6,
        listeners: Sequence[RecordListener] = (),
        capture_filter: CaptureFilter | None = None,
        parse_data: bool = False,
        parse_text: bool = False,
        clock: Callable[[], float] = time.time,
        parallel: bool | None = None,
        serial_start: int | None = None,
        serial_step: int = 1,
    ) -> None:
        super().__init__()
        if max_size <= 0:
            raise ValueError("max_size must be positive")
        if not prefix or "/" in prefix or os.sep in prefix:
            raise ValueError(f"invalid WARC file name prefix {prefix!r}")
        self.output_dir = output_dir
        self.mapper = mapper or WarcMapper()
        self.prefix = prefix
        self.gzip = gzip
        self.max_size = max_size
        self.level = level
        self.listeners = list(listeners)
        self.filter = capture_filter or CaptureFilter()
        self.parse_data = parse_data
        self.parse_text = parse_text
        self.clock = clock
        self.extension = ".warc.gz" if gzip else ".warc"
        self.records = 0
        self._out: GzipMemberWriter | None = None
        self._pending: tuple[str, Record] | None = None
        self._path = ""
        self._warcinfo_id: str | None = None
        self._captures_in_file = 0
        #: ``serial_start``/``serial_step``: a unit of a parallel run writes serials start, start+step, …
        #: (see :func:`ccdump.units.plan_units`); by default the series continues the folder's.
        self._serial: int | None = serial_start
        self._serial_step = serial_step
        self._last_stamp = -1
        if parallel is None:
            parallel = (os.cpu_count() or 1) > 1
        self.parallel = parallel and gzip
        self._helper: GzipHelper | None = None
        self._seen = 0
        self._queue: deque[_Queued] = deque()
        self._queued_bytes = 0
        self._at_helper = 0

    # --- the Writer interface ------------------------------------------------------------------------

    def write(self, doc: Document, record: dict[str, Any] | None = None, **_: Any) -> bool:
        """Write one document as a capture; False when it has no content or the filter rejects it."""
        if doc.content is None or self.filter.rejects(doc):
            return False
        if self._out is None and self._pending is None:
            self._pending = self._prepare(doc.segment)  # the warcinfo draws the file's first record id
        capture = self.mapper.capture(doc, fallback_ms=int(self.clock() * 1000))
        if capture is None:
            return False
        if self.parse_data or self.parse_text:
            capture.records += self.mapper.parse_records(doc, capture, data=self.parse_data, text=self.parse_text)
        self.write_capture(capture)
        return True

    def write_capture(self, capture: Capture) -> None:
        """Queue a capture for the current file; it is written, in order, once compressed."""
        if self._out is None:
            self._open(self._pending or self._prepare(capture.segment))
        size = sum(r.block_length for r in capture.records)
        self._seen += size
        if self._helper is None and self.parallel and self._seen > HELPER_AFTER_BYTES:
            try:
                helper = shared_helper(self.listeners, self.level)
                if helper is False:
                    self.parallel = False
                else:
                    self._helper = helper or GzipHelper(self.level)
            except OSError:
                self.parallel = False
        if self._helper is None:
            self._commit(capture, self._warcinfo_id, self._encode(capture.records))
            return
        item = _Queued(capture, self._warcinfo_id, [r.header_bytes(self._warcinfo_id) for r in capture.records])
        if self._at_helper >= HELPER_DEPTH:  # the helper is behind: share the work
            item.encoded = self._encode(capture.records)
        else:
            self._helper.submit([(h, r.head, r.payload, b"\r\n\r\n") for h, r in zip(item.headers, capture.records, strict=True)])
            self._at_helper += 1
        self._queue.append(item)
        self._queued_bytes += size
        while self._queue and (self._queue[0].encoded is not None or self._helper.ready()):
            self._drain_one()  # whatever is ready, without waiting
        while len(self._queue) > MAX_QUEUED_CAPTURES or self._queued_bytes > MAX_QUEUED_BYTES:
            self._drain_one()

    def _drain_one(self) -> None:
        """Write the oldest queued capture, waiting for the helper's answer if needed."""
        item = self._queue.popleft()
        self._queued_bytes -= sum(r.block_length for r in item.capture.records)
        if item.encoded is None:
            assert self._helper is not None
            answer = self._helper.answer()
            self._at_helper -= 1
            item.encoded = [
                _Encoded(r, h, (member,), len(member), size, crc)
                for r, h, (member, size, crc) in zip(item.capture.records, item.headers, answer, strict=True)
            ]
        self._commit(item.capture, item.warcinfo_id, item.encoded)

    def _commit(self, capture: Capture, warcinfo_id: str | None, encoded: list[_Encoded]) -> None:
        """Write an encoded capture, rotating first if it would push the file past ``max_size``."""
        assert self._out is not None
        if warcinfo_id != self._warcinfo_id:  # encoded for a file that has been closed since
            encoded = self._encode(capture.records)
        if self._captures_in_file and self._out.tell() + sum(e.size for e in encoded) > self.max_size:
            self._close_file()
            self._open(self._prepare(capture.segment))
            encoded = self._encode(capture.records)  # new file, new warcinfo id
        for e in encoded:
            self._append(e, capture)
        self._captures_in_file += 1
        self.written += 1

    def close(self) -> dict[str, Any]:
        """Write what is queued, finish and rename the last file, close the listeners."""
        try:
            while self._queue:
                self._drain_one()
            self._shutdown()
            self._close_file()
        except BaseException:
            self.abort()
            raise
        for listener in self.listeners:
            if hasattr(listener, "close"):
                listener.close()
        return self.stats()

    def abort(self) -> None:
        """Drop the file being written (completed files stay: each is whole and valid)."""
        self._queue.clear()
        self._at_helper = 0
        self._shutdown(kill=True)
        if self._out is not None:
            self._out.abort()
            self._out = None
        for listener in self.listeners:
            if hasattr(listener, "abort"):
                listener.abort()

    def _shutdown(self, kill: bool = False) -> None:
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.kill() if kill else helper.close()

    def stats(self) -> dict[str, Any]:
        out = super().stats()
        out.update(records=self.records, files=len(self.outputs), skipped=dict(self.filter.skipped))
        return out

    # --- files ---------------------------------------------------------------------------------------

    def _next_name(self) -> tuple[str, int]:
        """(``<prefix>-<stamp17>-<serial>``, stamp in ms): stamps strictly increase, serials continue the folder's series."""
        if self._serial is None:
            self._serial = next_serial(self.output_dir, self.prefix)
        stamp = max(int(self.clock() * 1000), self._last_stamp + 1)
        self._last_stamp = stamp
        while True:
            name = f"{self.prefix}-{file_timestamp(stamp)}-{self._serial:05d}{self.extension}"
            self._serial += self._serial_step
            if not os.path.lexists(os.path.join(self.output_dir, name)):
                return name, stamp

    def _prepare(self, segment: str | None) -> tuple[str, Record]:
        """Name and warcinfo record of the next file; the file is created only when a capture is ready."""
        name, stamp = self._next_name()
        return name, self.mapper.warcinfo(name, self.mapper.warcinfo_date_ms(stamp), segment)

    def _open(self, prepared: tuple[str, Record]) -> None:
        name, info = prepared
        self._pending = None
        self._path = os.path.join(self.output_dir, name)
        self._out = GzipMemberWriter(self._path, compress=False)
        self._captures_in_file = 0
        self._warcinfo_id = info.record_id
        for listener in self.listeners:
            if hasattr(listener, "on_file_open"):
                listener.on_file_open(self._path)
        [encoded] = self._encode([info])
        self._append(encoded, None)

    def _close_file(self) -> None:
        if self._out is None:
            return
        out, self._out = self._out, None
        out.close()
        self.bytes_written += out.tell()
        self.outputs.append(self._path)
        for listener in self.listeners:
            if hasattr(listener, "on_file_closed"):
                listener.on_file_closed(self._path)

    # --- records -------------------------------------------------------------------------------------

    def _encode(self, records: Sequence[Record]) -> list[_Encoded]:
        return encode_records(records, self._warcinfo_id, self.gzip, self.level)

    def _append(self, e: _Encoded, capture: Capture | None) -> None:
        assert self._out is not None
        offset, length = self._out.write_member(e.data)
        self.records += 1
        if not self.listeners:
            return
        rec = e.record
        main = capture is not None and rec is capture.main
        headers = rec.headers(self._warcinfo_id)
        block_digest = payload_digest = None  # the mapper's, of these very bytes: not computed again
        for name, value in headers:
            if name == "WARC-Block-Digest":
                block_digest = value
            elif name == "WARC-Payload-Digest" and rec.type == "response":
                payload_digest = value
        view = WarcRecord(
            headers=headers,
            block=rec.head + rec.payload,
            offset=offset,
            length=length,
            header_length=len(e.header),
            compressed=self.gzip,
            inflated_length=e.inflated_length,
            inflated_crc=e.crc,
            gzip_header=GzipHeaderInfo() if self.gzip else None,
            version=rec.version,
            block_digest=block_digest,
            payload_digest=payload_digest,
            payload_start=len(rec.head),
            text=capture.text if main and capture is not None else None,
            languages=capture.languages if capture is not None else None,
            charset=capture.charset if capture is not None else None,
            segment=capture.segment if capture is not None else None,
        )
        for listener in self.listeners:
            listener.add(view)


def serial_after(names: Iterable[str], prefix: str) -> int:
    """The serial after the highest ``<prefix>-<stamp17>-<serial>.warc[.gz]`` among ``names`` (0 if none)."""
    pattern = re.compile(re.escape(prefix) + r"-\d{17}-(\d{5,})\.warc(?:\.gz)?$")
    found = [int(m.group(1)) for n in names if (m := pattern.match(n))]
    return max(found) + 1 if found else 0


def next_serial(output_dir: str, prefix: str) -> int:
    """The serial after the highest one of ``output_dir``'s WARC files."""
    os.makedirs(output_dir, exist_ok=True)
    return serial_after(os.listdir(output_dir), prefix)


def warc_prefix(options: DumpOptions) -> str:
    """``-warcPrefix``, else ``warc.export.prefix``, else ``WEB``."""
    if options.warc_prefix not in ("", "WEB"):
        return options.warc_prefix
    return options.config.get_str("warc.export.prefix") or "WEB"


def version_line(value: str) -> str:
    """``1.0``/``1.1`` (or the full ``WARC/1.x``) → the record version line.

    >>> version_line("1.1"), version_line(""), version_line("WARC/1.0")
    ('WARC/1.1', 'WARC/1.0', 'WARC/1.0')
    """
    value = value.strip() or "1.0"
    line = value if value.upper().startswith("WARC/") else f"WARC/{value}"
    line = "WARC/" + line[5:]
    if line not in (WARC_1_0, WARC_1_1):
        raise ValueError(f"unsupported WARC version {value!r} (1.0 or 1.1)")
    return line


def make_dump_warc_writer(options: DumpOptions, started: float) -> WarcWriter:
    """The ``-warc`` writer of the dumper, from its options and configuration.

    ``options.extra`` may carry ``warc_filter`` (a :class:`CaptureFilter`), ``warc_listeners``,
    ``warc_version``, ``include_parse_data`` and ``include_parse_text`` (the ``warc`` command uses
    them). ``-D ccdump.warc.parallel=false`` keeps compression in this process (e.g. when several
    workers already share the machine's cores). ``started`` is unused: each file's warcinfo date is its creation time or
    ``warc.export.date``.
    """
    config, extra = options.config, options.extra
    try:
        version = version_line(extra.get("warc_version") or config.get_str("warc.export.version"))
    except ValueError as exc:
        from ccdump.errors import ConfigError

        raise ConfigError(str(exc)) from None
    mapper = WarcMapper(config, version=version, rebuild_request=config.get_bool("warc.export.request.rebuild"))
    prefix = warc_prefix(options)
    capture_filter = extra.get("warc_filter") or CaptureFilter(
        only_successful=config.get_bool("warc.exporter.only.successful.responses")
    )
    helper = config.get_str("ccdump.warc.parallel").strip().lower()
    return WarcWriter(
        options.output_dir,
        mapper,
        parallel=None if helper in ("", "auto") else helper == "true",
        prefix=prefix,
        gzip=options.gzip,
        max_size=options.warc_size or DEFAULT_WARC_SIZE,
        listeners=configured_listeners(extra.get("warc_listeners", ()), config),
        capture_filter=capture_filter,
        parse_data=bool(extra.get("include_parse_data")),
        parse_text=bool(extra.get("include_parse_text")),
        serial_start=extra.get("warc_serial_start"),
        serial_step=extra.get("warc_serial_step", 1),
    )
