"""``-wat``, ``-wet``, ``-cdxj``, ``-parquet`` (``-commoncrawl`` for all four) on the WARC modes.

Each derived format listens to the WARC writer and receives every record as it is written (its
headers, block and gzip-member position), so nothing is read back from disk. Per WARC file ``X.warc.gz``
the listeners write ``X.warc.wat.gz``, ``X.warc.wet.gz`` and ``X.cdx.gz`` beside it, and one Parquet file
of the columnar index under ``DIR/crawl=<name>/subset=warc/``. ``-publish URL -publishToken T``
registers each finished WAT file with a job tracker, so CPU workers can start on it at once.

The derived writers cost about as much CPU as the WARC itself (HTML parsing, WAT JSON, the gzip of
WAT and WET), most of it under the GIL. :func:`derived_listeners` therefore returns one
:class:`DerivedListeners`, which runs them in a helper process (:func:`serve_derived`) fed through
a pipe: the WARC writer hands over each record and goes on. While the pipe is full (the helper is
behind), this process does the helper's costliest work for queued records itself and sends the
result along: a record's whole WAT record, compressed (:func:`~ccdump.writers.wat.prepare_wat_member`:
WAT records are pure functions of their WARC record), or without a WAT the page's HTML extract. It
waits only beyond a few dozen queued records, so memory stays flat; the files written are the same.
``-D ccdump.derived.parallel=auto|true|false`` (default auto: with more than one core, once
``HELPER_AFTER_BYTES`` of records came, so that a small run does not pay for a process start);
``false`` keeps them in this process — set it when worker processes already share all cores, as
for ``ccdump.warc.parallel``.

On up to ``SHARE_GZIP_CPUS`` cores the WARC writer starts no :class:`~ccdump.writers.warc.GzipHelper`
of its own beside this helper (three busy processes on two cores lost ~15 % to contention)
(:meth:`DerivedListeners.gzip_helper`): with a WAT it compresses in its own process, and the two
processes share the work through the WAT records as above; without one (WET/CDXJ only: little work
in the helper), the helper also does the WARC's compression, the writer doing a capture itself
whenever the helper is behind. With more cores, each keeps its own process.

An error in the helper is raised in this process, by the writer's next record or by ``close()``;
``abort()`` (or this process ending) makes the helper drop its unfinished files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import marshal
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from ccdump.errors import ConfigError, WriterError
from ccdump.fastzlib import DERIVED_DEFLATE, gzip_compressor, parse_deflate
from ccdump.writers.cdxj import CdxjWriter, cdxj_name
from ccdump.writers.derived import derived_name
from ccdump.writers.html_extract import HtmlExtract
from ccdump.writers.httpview import html_of, is_html
from ccdump.writers.record import GzipHeaderInfo, WarcRecord
from ccdump.writers.warc import Buffer, PerFileListener, gzip_member
from ccdump.writers.wat import PREPARED_KEY as WAT_PREPARED
from ccdump.writers.wat import WatWriter, prepare_wat_member
from ccdump.writers.wet import WetWriter

if TYPE_CHECKING:
    from ccdump.config import NutchConfig

#: ``-D ccdump.derived.parallel``: ``auto`` (default), ``true`` or ``false``
PARALLEL_KEY = "ccdump.derived.parallel"
#: ``-D ccdump.derived.deflate``: ``isal[:0-3]`` or ``zlib[:0-9]`` for the WAT and WET records
DEFLATE_KEY = "ccdump.derived.deflate"
#: auto mode: block bytes of records held back before the helper process starts (a smaller run
#: is written in this process when the WARC writer closes: no process start for a few pages)
HELPER_AFTER_BYTES = 4 << 20
#: room in the pipe to the helper: ~25 captures, so that neither process waits on the other's
#: time slices; beyond it the WARC writer waits (flat memory)
PIPE_BYTES = 1 << 20
#: records held in memory while the helper starts, before the WARC writer waits for it
MAX_HELD_BYTES = 64 << 20
#: frames are written to the pipe in batches of about this size (fewer system calls and wake-ups)
BATCH_BYTES = 128 << 10
#: events queued here while the helper is behind, before the WARC writer waits for it
MAX_QUEUED = 32
#: up to this many cores the helper also does the WARC writer's compression (:meth:`DerivedListeners.gzip_helper`)
SHARE_GZIP_CPUS = 2
#: glibc malloc settings of the helper process: each page's HTML parse builds and frees a lexbor
#: document of a few hundred KB, and with glibc's defaults (trim above 128 KB) the heap top was
#: given back to the kernel and faulted in again for nearly every page. Keeping up to 128 MB of
#: freed top and growing it 16 MB at a time made the HTML extract ~18 % cheaper in the helper
#: (4.0 -> 3.3 s over the 10,000 pages of the 200 MB benchmark segment); the peak RSS is what the
#: pages need either way. Ignored where the C library is not glibc.
HELPER_MALLOC_TUNABLES = "glibc.malloc.trim_threshold=134217728:glibc.malloc.top_pad=16777216"
_LEN = struct.Struct("!I")
_READY = b"\x06"


@dataclass(frozen=True)
class DerivedOptions:
    """Which derived formats to write next to the WARC files."""

    wat: bool = False
    wet: bool = False
    cdxj: bool = False
    parquet_dir: str | None = None
    crawl: str = "CCDUMP"
    publish_url: str | None = None
    publish_token: str | None = None
    #: how WAT and WET records are deflated (``-D ccdump.derived.deflate``; None: ``DERIVED_DEFLATE``)
    deflate: str | None = None

    @property
    def any(self) -> bool:
        return self.wat or self.wet or self.cdxj or self.parquet_dir is not None


class PublishingListener(PerFileListener):
    """A WAT listener that registers each WAT file with the tracker once it has its final name."""

    def __init__(self, factory: Callable[[str], Any], server: str, token: str) -> None:
        super().__init__(factory)
        self.server, self.token = server, token
        self.published: list[str] = []

    def on_file_closed(self, path: str) -> None:
        sink = self.sink
        super().on_file_closed(path)
        if sink is not None:
            from ccdump.jobs.client import publish_shard

            publish_shard(self.server, self.token, sink.path)
            self.published.append(sink.path)


def _beside(warc_path: str, name: str) -> str:
    return os.path.join(os.path.dirname(warc_path), name)


def derived_listeners(options: DerivedOptions, *, parallel: bool | None = None) -> list[DerivedListeners]:
    """The listeners to hand to :class:`~ccdump.writers.warc.WarcWriter` (``warc_listeners``).

    One :class:`DerivedListeners`; ``parallel``: as ``-D ccdump.derived.parallel`` (None: auto),
    which :meth:`DerivedListeners.configure` reads when the dumper builds its WARC writer.
    """
    return [DerivedListeners(options, parallel=parallel)]


def derived_sinks(options: DerivedOptions) -> list[PerFileListener]:
    """One :class:`~ccdump.writers.warc.PerFileListener` per derived format, run in this process."""
    listeners: list[PerFileListener] = []
    if options.wat:

        def wat(warc: str) -> WatWriter:
            return WatWriter(
                _beside(warc, derived_name(os.path.basename(warc), "wat")), os.path.basename(warc), deflate=options.deflate
            )

        if options.publish_url:
            if not options.publish_token:
                from ccdump.errors import ConfigError

                raise ConfigError("-publish needs -publishToken (the tracker's admin token)")
            listeners.append(PublishingListener(wat, options.publish_url, options.publish_token))
        else:
            listeners.append(PerFileListener(wat))
    if options.wet:
        listeners.append(
            PerFileListener(
                lambda warc: WetWriter(
                    _beside(warc, derived_name(os.path.basename(warc), "wet")),
                    os.path.basename(warc),
                    deflate=options.deflate,
                )
            )
        )
    if options.cdxj:
        listeners.append(
            PerFileListener(lambda warc: CdxjWriter(_beside(warc, cdxj_name(os.path.basename(warc))), os.path.basename(warc)))
        )
    if options.parquet_dir is not None:
        from ccdump.writers.parquet import ParquetIndexWriter, serial_of  # pyarrow: ~0.15 s to import

        root = options.parquet_dir
        listeners.append(
            PerFileListener(
                lambda warc: ParquetIndexWriter(
                    root, options.crawl, "warc", filename=os.path.basename(warc), part=serial_of(warc)
                )
            )
        )
    return listeners


# -- the derived writers in a helper process --------------------------------------------------------


def _record_tuple(rec: WarcRecord) -> tuple[Any, ...]:
    """What a derived writer reads of a record, as plain values for ``marshal`` (its cache stays here)."""
    gz = rec.gzip_header
    return (
        rec.headers,
        rec.block,
        rec.offset,
        rec.length,
        rec.header_length,
        rec.trailing_length,
        rec.compressed,
        rec.inflated_length,
        rec.inflated_crc,
        None if gz is None else (gz.length, gz.filename, gz.comment_length, gz.header_crc, gz.extra),
        rec.version,
        rec.block_digest,
        rec.payload_digest,
        rec.payload_start,
        rec.text,
        rec.languages,
        rec.charset,
        rec.segment,
        _extract_tuple(rec),
        rec.cache.get(WAT_PREPARED),
    )


def _extract_tuple(rec: WarcRecord) -> tuple[Any, Any] | None:
    """The HTML extract made here, as far as the helper still needs it.

    With the WAT record prepared, the metadata (most of the extract) is not sent: only the WET
    reads the extract then, and only its text.
    """
    extract: HtmlExtract | None = rec.cache.get("html")
    if extract is None:
        return None
    if WAT_PREPARED in rec.cache:
        return None if extract.text is None else ({}, extract.text)
    return (extract.metadata, extract.text)


def _record_from(values: tuple[Any, ...]) -> WarcRecord:
    (headers, block, offset, length, header_length, trailing, compressed, inflated_length, inflated_crc, gz,
     version, block_digest, payload_digest, payload_start, text, languages, charset, segment, extract,
     wat_member) = values  # fmt: skip
    rec = WarcRecord(
        headers=headers,
        block=block,
        offset=offset,
        length=length,
        header_length=header_length,
        trailing_length=trailing,
        compressed=compressed,
        inflated_length=inflated_length,
        inflated_crc=inflated_crc,
        gzip_header=None if gz is None else GzipHeaderInfo(gz[0], gz[1], gz[2], gz[3], list(gz[4])),
        version=version,
        block_digest=block_digest,
        payload_digest=payload_digest,
        payload_start=payload_start,
        text=text,
        languages=languages,
        charset=charset,
        segment=segment,
    )
    if extract is not None:  # done by the WARC writer's process while this one was behind
        rec.cache["html"] = HtmlExtract(extract[0], extract[1])
    if wat_member is not None:  # likewise its WAT record
        rec.cache[WAT_PREPARED] = wat_member
    return rec


def _frame(event: str, arg: Any) -> bytes:
    return marshal.dumps((event, _record_tuple(arg) if event == "add" else arg))


def _dispatch(listeners: list[Any], event: str, arg: Any) -> None:
    """One event for in-process listeners: ``add`` (a record), ``on_file_open``, ``on_file_closed``."""
    if event == "add":
        for listener in listeners:
            listener.add(arg)
        return
    for listener in listeners:
        method = getattr(listener, event, None)
        if method is not None:
            method(arg)


def _read_frame(inp: IO[bytes]) -> bytes | None:
    head = inp.read(_LEN.size)
    if len(head) < _LEN.size:
        return None
    (size,) = _LEN.unpack(head)
    data = inp.read(size)
    return data if len(data) == size else None


def _answer(out: IO[bytes], kind: bytes, payload: bytes) -> None:
    """One frame on the helper's stdout: ``A`` (gzip members) or ``R`` (the outcome, the last frame)."""
    out.write(_LEN.pack(len(payload) + 1) + kind + payload)
    out.flush()


def _answers(data: bytes | bytearray) -> tuple[list[tuple[bytes, bytes]], int]:
    """The complete (kind, payload) frames at the start of ``data``, and how many bytes they took."""
    frames, pos = [], 0
    while len(data) - pos >= _LEN.size:
        (size,) = _LEN.unpack_from(data, pos)
        if len(data) - pos - _LEN.size < size:
            break
        start = pos + _LEN.size
        frames.append((bytes(data[start : start + 1]), bytes(data[start + 1 : start + size])))
        pos = start + size
    return frames, pos


def serve_derived() -> None:
    """The helper process: the events of :class:`DerivedListeners` on stdin, the outcome on stdout.

    Frames: length (u32) + ``marshal`` of (event, argument); the first frame is the pickled
    :class:`DerivedOptions`. ``end`` closes the writers; the end of the input without it (the WARC
    writer aborted, or its process died) aborts them, so no temporary file is left. The answer, on
    stdout once at the end: pickled ``("ok",)``, ``("aborted",)`` or ``("error", exception or None,
    traceback)``. SIGINT is ignored: Ctrl-C reaches the whole process group, the WARC writer decides.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inp = open(sys.stdin.fileno(), "rb", buffering=PIPE_BYTES, closefd=False)  # noqa: SIM115
    out = sys.stdout.buffer
    out.write(_READY)  # imports done: the WARC writer has held the records until now
    out.flush()
    listeners: list[Any] = []
    try:
        first = _read_frame(inp)
        if first is None:
            return
        listeners = derived_sinks(pickle.loads(first))
        while True:
            frame = _read_frame(inp)
            if frame is None:  # no "end": abort
                for listener in listeners:
                    listener.abort()
                _answer(out, b"R", pickle.dumps(("aborted",)))
                return
            event, arg = marshal.loads(frame)
            if event == "add":
                rec = _record_from(arg)
                for listener in listeners:
                    listener.add(rec)
            elif event == "gzip":  # the WARC writer's compression (GzipHelper's work), answered at once
                level, records = arg
                members = []
                for data in records:
                    member, size, crc = gzip_member((data,), level)
                    members.append((bytes(member), size, crc))
                _answer(out, b"A", marshal.dumps(members))
            elif event == "end":
                for listener in listeners:
                    if hasattr(listener, "close"):
                        listener.close()
                _answer(out, b"R", pickle.dumps(("ok",)))
                return
            else:
                _dispatch(listeners, event, arg)
    except BaseException as exc:  # reported to the WARC writer's process, which raises it
        for listener in listeners:
            with contextlib.suppress(Exception):
                listener.abort()
        text = "".join(traceback.format_exception(exc))
        try:
            report = pickle.dumps(("error", exc, text))
            pickle.loads(report)
        except Exception:
            report = pickle.dumps(("error", None, text))
        _answer(out, b"R", report)
        sys.exit(1)
    finally:
        out.flush()


class DerivedListeners:
    """The derived writers of ``options`` as one WARC-writer listener, in a helper process or here.

    ``parallel``: True runs them in a helper process (:func:`serve_derived`) from the first event,
    False in this process, None (auto) in a helper when the machine has more than one core, once
    ``HELPER_AFTER_BYTES`` of record blocks have come (a run that closes before writes here, without
    a process start). While the helper starts (imports: ~0.2 s) the records are held here, so the WARC
    writer goes on meanwhile (up to ``MAX_HELD_BYTES``). Events reach the writers in order either way,
    so the files are the same. If the helper cannot be started, the writers run here.
    """

    def __init__(self, options: DerivedOptions, *, parallel: bool | None = None) -> None:
        if options.wat and options.publish_url and not options.publish_token:  # said at once, not by the helper
            raise ConfigError("-publish needs -publishToken (the tracker's admin token)")
        self.options = options
        self.parallel = parallel
        self.remote = False  # whether a helper process was used (for tests and statistics)
        self._local: list[PerFileListener] | None = None
        self._held: list[tuple[str, Any]] = []
        self._held_bytes = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False  # the helper has started: events go to it
        self._fd = -1
        self._queue: deque[tuple[str, Any]] = deque()  # events not yet serialised (ready helper)
        self._out: list[bytes] = []  # serialised frames not yet written
        self._out_bytes = 0
        self.local_pages = 0  # pages whose HTML this process extracted while the helper was behind
        self.local_wat = 0  # records whose WAT record this process made while the helper was behind
        self._sent_warc = ""  # the WARC file of the last ``on_file_open`` sent to the helper
        self._wat_compress: Callable[[bytes], bytes] | None = None
        self._rfd = -1  # the helper's answers (gzip members for the WARC writer, then the outcome)
        self._inbuf = bytearray()
        self._answers: deque[list[tuple[bytes, int, int]]] = deque()
        self._level = 6

    def configure(self, config: NutchConfig) -> None:
        """Read ``-D ccdump.derived.parallel`` and ``…deflate`` (the dumper calls this before the first record)."""
        value = config.get_str(PARALLEL_KEY).strip().lower()
        if value in ("true", "false"):
            self.parallel = value == "true"
        elif value not in ("", "auto"):
            raise ConfigError(f"{PARALLEL_KEY}: expected auto, true or false, found {value!r}")
        deflate = config.get_str(DEFLATE_KEY).strip()
        if deflate:
            try:
                parse_deflate(deflate)
            except ConfigError as exc:
                raise ConfigError(f"{DEFLATE_KEY}: {exc}") from None
            self.options = dataclasses.replace(self.options, deflate=deflate)

    # -- listener interface ------------------------------------------------------------------------
    def on_file_open(self, path: str) -> None:
        self._event("on_file_open", path, 0)

    def add(self, rec: WarcRecord) -> None:
        if self._ready:
            self._queue.append(("add", rec))
            self._pump()
        else:
            self._event("add", rec, len(rec.block))

    def on_file_closed(self, path: str) -> None:
        self._event("on_file_closed", path, 0)

    def close(self) -> None:
        if self._proc is not None and not self._ready:
            self._wait_ready()
        if self._proc is None and self._local is None:
            self._run_here()  # a small run: not worth a process
        if self._local is not None:
            try:
                for listener in self._local:
                    if hasattr(listener, "close"):
                        listener.close()
            except BaseException:
                self.abort()
                raise
            return
        self._queue.append(("end", None))
        self._pump(drain=True)
        self._finish("ok")

    def abort(self) -> None:
        """Drop what is not finished (here or in the helper, which deletes its temporary files)."""
        self._held.clear()
        self._queue.clear()
        self._out.clear()
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._finish("aborted", timeout=60)
        if self._local is not None:
            for listener in self._local:
                listener.abort()

    # -- plumbing --------------------------------------------------------------------------------------
    def _event(self, event: str, arg: Any, size: int) -> None:
        if self._ready:
            self._queue.append((event, arg))
            self._pump()
            return
        if self._local is not None:
            _dispatch(self._local, event, arg)
            return
        self._held.append((event, arg))
        self._held_bytes += size
        if self._proc is not None:  # starting
            if self._held_bytes > MAX_HELD_BYTES or select.select([self._proc.stdout], [], [], 0)[0]:
                self._wait_ready()
            return
        parallel = self.parallel
        if parallel is None:
            parallel = (os.cpu_count() or 1) > 1
        if not parallel:
            self._run_here()
        elif self.parallel or self._held_bytes >= HELPER_AFTER_BYTES:
            self._start()

    def _run_here(self) -> None:
        self._local = derived_sinks(self.options)
        held, self._held = self._held, []
        for event, arg in held:
            _dispatch(self._local, event, arg)

    def _start(self) -> None:
        """Start the helper; the held events are sent once it is ready (:meth:`_wait_ready`)."""
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        env.setdefault("GLIBC_TUNABLES", HELPER_MALLOC_TUNABLES)  # a user's own setting wins
        code = "from ccdump.writers.commoncrawl import serve_derived; serve_derived()"
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0
            )
        except OSError:
            self._run_here()
            return
        assert proc.stdin is not None
        self._proc, self._fd = proc, proc.stdin.fileno()
        with contextlib.suppress(OSError, AttributeError, ImportError):  # Linux: room for ~25 captures
            import fcntl

            fcntl.fcntl(self._fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)

    def _wait_ready(self) -> None:
        """Wait for the helper's start; send it what was held. A helper that failed to start: run here."""
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        if not ready or proc.stdout.read(1) != _READY:
            self._proc = None
            with contextlib.suppress(OSError):
                proc.kill()
            proc.communicate()
            self._run_here()
            return
        self._ready = self.remote = True
        os.set_blocking(self._fd, False)
        self._rfd = proc.stdout.fileno()
        os.set_blocking(self._rfd, False)
        options = pickle.dumps(self.options)
        self._out, self._out_bytes = [_LEN.pack(len(options)), options], len(options) + _LEN.size
        self._queue.extend(self._held)
        self._held = []
        self._pump()

    def _pump(self, drain: bool = False) -> None:
        """Send the queued events as far as the pipe takes them without waiting.

        While the pipe is full (the helper is behind), this process extracts the HTML of queued
        pages itself — sent along, the helper skips it — instead of waiting: the two processes
        share that work whatever their speeds, as :class:`~ccdump.writers.httpview.ParallelHtml`
        does. It waits only with ``MAX_QUEUED`` events queued and nothing to extract, or to
        ``drain`` everything (``close()``).
        """
        queue = self._queue
        while True:
            while queue and self._out_bytes < BATCH_BYTES:
                event, arg = queue.popleft()
                if event == "on_file_open":
                    self._sent_warc = os.path.basename(arg)
                data = _frame(event, arg)
                self._out += (_LEN.pack(len(data)), data)
                self._out_bytes += len(data) + _LEN.size
            if not self._out or self._write():
                if not queue:
                    return
                continue
            if self._work_one():
                continue
            if not drain and len(queue) <= MAX_QUEUED:
                return  # on with the WARC; the next event tries again
            readable, _, _ = select.select([self._rfd], [self._fd], [])
            if readable:  # take the answers, or the helper may wait on us while we wait on it
                self._read_answers()

    def _work_one(self) -> bool:
        """Do the helper's costliest work for one queued record here; False when none is left.

        With a WAT that is the record's whole WAT record, compressed (HTML parse included): a pure
        function of the record, so the helper only appends it and the file is the same. Without,
        the HTML extract of a page (for the WET).
        """
        if self.options.wat:
            name = self._sent_warc
            for event, arg in self._queue:
                if event == "on_file_open":
                    name = os.path.basename(arg)
                elif event == "add" and WAT_PREPARED not in arg.cache:
                    if self._wat_compress is None:
                        self._wat_compress = gzip_compressor(self.options.deflate or DERIVED_DEFLATE)
                    had_html = "html" in arg.cache
                    prepare_wat_member(arg, name, self._wat_compress)
                    self.local_wat += 1
                    self.local_pages += not had_html and "html" in arg.cache
                    return True
            return False
        for event, rec in self._queue:
            if event == "add" and "html" not in rec.cache and is_html(rec):
                html_of(rec)
                self.local_pages += 1
                return True
        return False

    def _write(self) -> bool:
        """Write what the pipe takes of the serialised frames; True when all went."""
        try:
            written = os.writev(self._fd, self._out)
        except BlockingIOError:
            return False
        except OSError as exc:  # the helper is gone: raise what it reports
            self._finish("ok", cause=exc)
            raise WriterError(f"derived-format helper process: cannot send records: {exc}") from exc
        if written == self._out_bytes:
            self._out, self._out_bytes = [], 0
            return True
        rest = b"".join(self._out)[written:]
        self._out, self._out_bytes = [rest], len(rest)
        return False

    # -- the WARC writer's compression, in the same helper process ----------------------------------
    def gzip_helper(self, level: int) -> _SharedGzip | bool | None:
        """A :class:`~ccdump.writers.warc.GzipHelper` stand-in served by this listener's helper process.

        The WARC writer asks for one (:func:`~ccdump.writers.warc.shared_helper`) instead of starting
        a process of its own: on two cores, two processes share the work better than three (the
        writer compresses a capture itself whenever the helper is behind, e.g. with derived work).
        None when the derived writers run in this process, or with more than ``SHARE_GZIP_CPUS``
        cores (then a gzip helper of its own has a core to itself).

        False with a WAT: the helper then has the larger share of the work (HTML parse, WAT JSON,
        WAT and WET deflate: ~1.1 ms a page against the WARC's ~1 ms with reading), and the two
        processes share it through the WAT records instead (:meth:`_work_one`: this process makes
        them while the helper is behind). Sending the WARC's compression there as well made this
        process wait for it behind the derived work: on the 200 MB benchmark segment, 11.5 s
        (this process busy 85 %) against 10.4 s (95 %) with the WARC compressed here.
        """
        if (os.cpu_count() or 1) > SHARE_GZIP_CPUS:
            return None
        if self._proc is not None and not self._ready:
            self._wait_ready()
        if not self._ready:
            return None
        if self.options.wat:
            return False
        self._level = level
        return _SharedGzip(self)

    def _gzip_submit(self, records: Sequence[Sequence[Buffer]]) -> None:
        self._queue.append(("gzip", (self._level, [b"".join(chunks) for chunks in records])))
        self._pump()

    def _gzip_ready(self) -> bool:
        if not self._answers:
            self._read_answers()
        return bool(self._answers)

    def _gzip_answer(self) -> list[tuple[bytes, int, int]]:
        while not self._answers:
            self._pump()
            if self._answers:
                break
            readable, _, _ = select.select([self._rfd], [self._fd] if self._out else [], [])
            if readable:
                self._read_answers()
        return self._answers.popleft()

    def _read_answers(self) -> None:
        if self._proc is None:
            raise WriterError("derived-format helper process is gone")
        try:
            data = os.read(self._rfd, 1 << 20)
        except BlockingIOError:
            return
        if not data:  # the helper ended early: raise what it reports
            self._finish("end of input")
        self._inbuf += data
        frames, used = _answers(self._inbuf)
        del self._inbuf[:used]
        for kind, payload in frames:
            if kind == b"A":
                self._answers.append(marshal.loads(payload))
            else:  # an outcome before the end: the helper failed
                self._inbuf[:0] = _LEN.pack(len(payload) + 1) + kind + payload
                self._finish("end of input")

    def _finish(self, expect: str, timeout: float | None = None, cause: BaseException | None = None) -> None:
        """Close the helper's input, wait for its outcome and its end; raise the error it reports."""
        proc, self._proc, self._ready = self._proc, None, False
        if proc is None:
            return
        if self._rfd >= 0:
            os.set_blocking(self._rfd, True)
        try:
            output, _ = proc.communicate(timeout=timeout)  # closes its input first
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise WriterError("derived-format helper process did not end") from cause
        if self._rfd < 0:
            output = output.removeprefix(_READY)
        frames, _ = _answers(bytes(self._inbuf) + output)
        self._inbuf.clear()
        reports = [payload for kind, payload in frames if kind == b"R"]
        try:
            answer = pickle.loads(reports[-1]) if reports else None
        except Exception:
            answer = None
        if answer is not None and answer[0] == expect and proc.returncode == 0:
            return
        if answer is not None and answer[0] == "error":
            exc = answer[1]
            if isinstance(exc, BaseException):
                exc.add_note("(raised in the derived-format helper process)")
                raise exc from cause
            raise WriterError(f"derived-format helper process failed:\n{answer[2]}") from cause
        raise WriterError(f"derived-format helper process ended (exit status {proc.returncode})") from cause


class _SharedGzip:
    """What :class:`~ccdump.writers.warc.WarcWriter` uses of a GzipHelper, served by :class:`DerivedListeners`.

    ``close``/``kill`` do nothing: the process ends with the derived writers (``close``/``abort``).
    """

    def __init__(self, owner: DerivedListeners) -> None:
        self.owner = owner

    def submit(self, records: Sequence[Sequence[Buffer]]) -> None:
        self.owner._gzip_submit(records)

    def ready(self) -> bool:
        return self.owner._gzip_ready()

    def answer(self) -> list[tuple[bytes, int, int]]:
        return self.owner._gzip_answer()

    def close(self) -> None:
        pass

    def kill(self) -> None:
        pass
