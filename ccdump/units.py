"""Units of work: one (segment, part) pair each, converted on its own by one process.

A run is planned once (:func:`plan_run`): every part of every segment becomes a :class:`Unit` with
its position in the run. :func:`run_unit` converts one unit with its own writer, so units can run in
any order, in any process or on a Spark executor, and still write the same files:

* CBOR files: names come from the URL (md5 layout), so they are the same whoever writes them;
* ``-gzip``: each unit writes one piece of the archive (:mod:`ccdump.writers.tarparts`), joined in
  unit order when the run ends;
* WARC: unit ``i`` of ``n`` writes the serials ``base + i``, ``base + i + n``, ``base + i + 2n`` …
  where ``base`` follows the highest serial already in the output folder. A file never holds captures
  of two units, names never clash between workers, and one worker or eight write the same serials.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ccdump.config import NutchConfig
from ccdump.errors import CcdumpError, SegmentFormatError, WriterError
from ccdump.mapper import RecordOptions, record_timestamp, to_record
from ccdump.nutch.document import Document
from ccdump.nutch.linkdb import LinkDb
from ccdump.nutch.segment import CONTENT, JOINED, PARSE_DATA, Segment, iter_segments
from ccdump.web import mime
from ccdump.writers.base import Writer
from ccdump.writers.cbor import CborFileWriter
from ccdump.writers.commoncrawl import derived_listeners
from ccdump.writers.layout import LayoutOptions
from ccdump.writers.tar import TarGzWriter

if TYPE_CHECKING:  # avoids an import cycle with ccdump.run
    from ccdump.run import DumpOptions, DumpStats

#: ``-D ccdump.cbor.threads``: file-writing threads of each process (CBOR files mode)
CBOR_THREADS_KEY = "ccdump.cbor.threads"
#: file-writing threads across the whole run, shared out among the worker processes
CBOR_THREADS = 4
#: Progress callback of one unit: (documents done, content bytes done in this unit).
UnitProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Unit:
    """One part of one segment, at position ``index`` of ``count`` in its run."""

    segment: str
    part: str
    index: int
    count: int
    content_bytes: int = 0

    @property
    def key(self) -> str:
        """Identity in the manifest: the segment as the run found it, then the part."""
        return f"{self.segment.rstrip('/')}/{self.part}"

    @property
    def label(self) -> str:
        return f"{os.path.basename(self.segment.rstrip('/'))}/{self.part}"


@dataclass
class RunPlan:
    """Everything every unit of a run must agree on, fixed once before any unit starts."""

    units: list[Unit]
    segments: int
    started: float
    #: WARC mode: the serial of unit 0's first file (serials of earlier runs stay untouched)
    warc_serial_base: int = 0
    #: ``-gzip``: where the units put their pieces of the archive
    parts_dir: str = ""
    problems: list[tuple[str, Exception]] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(u.content_bytes for u in self.units)


def plan_run(options: DumpOptions, started: float | None = None) -> RunPlan:
    """Find the segments and their parts; raise when there is nothing to convert."""
    started = time.time() if started is None else started
    segments = iter_segments(options.segments, on_error=options.on_error, verify_crc=options.verify_crc)
    if not any(seg.parts(CONTENT) for seg in segments):
        raise SegmentFormatError(", ".join(options.segments), None, "content/part-* folders in the segments")
    pairs = [(seg, part) for seg in segments for part in seg.part_names()]
    units = [Unit(seg.path, part, i, len(pairs), seg.content_bytes(part)) for i, (seg, part) in enumerate(pairs)]
    plan = RunPlan(units, len(segments), started)
    if options.warc:
        from ccdump.writers.warc import next_serial, warc_prefix

        plan.warc_serial_base = next_serial(options.output_dir, warc_prefix(options))
    if options.gzip and not options.warc:
        plan.parts_dir = os.path.join(options.output_dir, f".ccdump-parts-{int(started * 1000)}")
    return plan


def part_path(plan: RunPlan, unit: Unit) -> str:
    """``-gzip``: the piece of the archive that ``unit`` writes."""
    return os.path.join(plan.parts_dir, f"unit-{unit.index:06d}.tar.gz")


def writer_folders(options: DumpOptions) -> tuple[str, ...]:
    """The folders a mode needs joined: JSON needs parse_data only for the body charset."""
    if options.warc:
        return JOINED
    return (CONTENT, PARSE_DATA)


def make_writer(options: DumpOptions, plan: RunPlan, unit: Unit) -> Writer:
    """The writer of one unit: its own WARC series, its own archive piece, or CBOR files."""
    layout = LayoutOptions(options.extension, options.epoch_filename)
    if options.warc:
        from ccdump.writers.warc import make_dump_warc_writer

        extra = dict(options.extra)
        if extra.get("warc_filter") is not None:  # its counts are per unit, like the writer's
            extra["warc_filter"] = replace(extra["warc_filter"], skipped=Counter())
        extra["warc_listeners"] = list(extra.get("warc_listeners", ())) + (
            derived_listeners(options.derived) if options.derived.any else []
        )
        extra["warc_serial_start"] = plan.warc_serial_base + unit.index
        extra["warc_serial_step"] = unit.count
        return make_dump_warc_writer(replace(options, extra=extra), plan.started)
    if options.gzip:
        os.makedirs(plan.parts_dir, exist_ok=True)
        return TarGzWriter(
            options.output_dir,
            layout,
            options.cbor_format,
            plan.started,
            compresslevel=options.config.get_int("ccdump.gzip.level", 6),
            path=part_path(plan, unit),
            end_of_archive=False,
        )
    return CborFileWriter(
        options.output_dir, layout, options.cbor_format, threads=options.config.get_int(CBOR_THREADS_KEY, CBOR_THREADS)
    )


def detected_type(doc: Document, config: NutchConfig) -> str:
    assert doc.content is not None
    if config.get_str("ccdump.mimetype.source") == "stored":
        return doc.content.content_type or "application/octet-stream"
    return mime.detect(doc.content.content)


def run_unit(options: DumpOptions, plan: RunPlan, unit: Unit, progress: UnitProgress | None = None) -> DumpStats:
    """Convert one unit with its own writer; its statistics (``outputs``: the files it published).

    A fatal error aborts the writer, so nothing of the unit keeps a final name; a damaged part is
    reported in the statistics (``on_error="skip"``) after everything readable was written.
    """
    from ccdump.run import DumpStats

    stats = DumpStats(units=1)
    seg = Segment(unit.segment, on_error=options.on_error, verify_crc=options.verify_crc)
    linkdb = LinkDb(options.linkdb) if options.linkdb else None
    record_options = RecordOptions(options.key_prefix, options.reverse_key, options.simple_date_format, options.json_array)
    wanted = set(options.mime_types) if options.mime_types else None
    os.makedirs(options.output_dir, exist_ok=True)
    started = time.time()
    writer = make_writer(options, plan, unit)
    with writer:
        try:
            for doc in seg.documents(unit.part, folders=writer_folders(options)):
                if doc.content is None:
                    continue
                _dump_one(doc, options, record_options, writer, stats, wanted, linkdb)
                if progress is not None:
                    progress(stats.documents, max(doc.offset, 0))
        except SegmentFormatError as exc:
            if options.on_error != "skip":
                raise
            stats.note(f"{seg.name}/{unit.part}: unreadable", exc)
        for reason, n in seg.stats.skipped.items():
            stats.skipped[f"{seg.name}: {reason}"] += n
        stats.errors.extend(seg.stats.errors[: max(0, 100 - len(stats.errors))])
    ws = writer.stats()
    for reason, n in (ws.get("skipped") or {}).items():
        stats.skipped[reason] += n
    stats.written, stats.collisions = ws["written"], ws["collisions"]
    stats.bytes_written, stats.outputs = ws["bytes"], ws["outputs"]
    if options.gzip and not options.warc:
        stats.archive_names = sorted(getattr(writer, "_names", ()))
    stats.seconds = time.time() - started
    return stats


def _dump_one(
    doc: Document,
    options: DumpOptions,
    record_options: RecordOptions,
    writer: Writer,
    stats: DumpStats,
    wanted: set[str] | None,
    linkdb: LinkDb | None,
) -> None:
    assert doc.content is not None
    stats.documents += 1
    stats.content_bytes += len(doc.content.content)
    mime_type = detected_type(doc, options.config)
    stats.type_counts[mime_type] += 1
    if wanted is not None:
        if mime_type not in wanted:
            stats.skipped["filtered by -mimetype"] += 1
            return
        stats.filtered_counts[mime_type] += 1
    try:
        inlinks = linkdb.inlinks(doc.url) if linkdb else None
        timestamp = record_timestamp(doc) if options.epoch_filename else "null"
        record = None if options.warc else to_record(doc, options.config, record_options, inlinks=inlinks)
        writer.write(doc, record, timestamp=timestamp)  # type: ignore[call-arg]
    except (ValueError, CcdumpError) as exc:
        if isinstance(exc, WriterError):
            raise
        stats.note("unmappable record", f"{doc.url}: {exc}")


def worker_options(options: DumpOptions, workers: int, processes: int) -> DumpOptions:
    """Options as each unit's process sees them.

    ``workers`` cores were granted and ``processes`` units run at once: when every granted core has
    a unit, the WARC writer compresses and the derived formats are written in the unit's own process
    instead of helper processes (``ccdump.warc.parallel``/``ccdump.derived.parallel`` = ``auto``); with
    a spare core (one part, several cores) they keep their helpers. CBOR files: the writer threads
    (``ccdump.cbor.threads``) are shared out, ``CBOR_THREADS`` across the run — on a local disk more
    threads only queue for it (4 parts, 2 workers: 1.65 s with 2 threads each, 2.10 s with 4).
    """
    values: dict[str, Any] = dict(options.config)
    if processes > 1 and not values.get(CBOR_THREADS_KEY, "").strip():
        values[CBOR_THREADS_KEY] = str(max(1, CBOR_THREADS // processes))
    if processes >= workers:
        for key in ("ccdump.warc.parallel", "ccdump.derived.parallel"):
            if values.get(key, "").strip().lower() in ("", "auto"):
                values[key] = "false"
    return replace(options, config=NutchConfig(values))
