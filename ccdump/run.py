"""``dump()``: segments in, writers out — the dumper's main loop, shared by the CLI and the library.

Units of work are (segment, part) pairs; the loop streams documents from each unit through the
mapper into one writer. Per-record problems are counted and skipped (Nutch's dumper would abort the
part); a fatal error aborts the writer so no half-written output keeps a final name.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ccdump.config import NutchConfig
from ccdump.errors import CcdumpError, SegmentFormatError, WriterError
from ccdump.mapper import RecordOptions, record_timestamp, to_record
from ccdump.nutch.document import Document
from ccdump.nutch.linkdb import LinkDb
from ccdump.nutch.segment import CONTENT, JOINED, PARSE_DATA, Segment, iter_segments
from ccdump.web import mime
from ccdump.writers.base import Writer
from ccdump.writers.cbor import CborFileWriter, CborFormat
from ccdump.writers.commoncrawl import DerivedOptions, derived_listeners
from ccdump.writers.layout import LayoutOptions
from ccdump.writers.tar import TarGzWriter

#: Progress callback: (documents done, content bytes done, content bytes in total).
Progress = Callable[[int, int, int], None]


@dataclass
class DumpOptions:
    """Every option of the dumper; the command line maps 1:1 onto these fields."""

    output_dir: str
    segments: list[str]
    gzip: bool = False
    mime_types: list[str] | None = None
    warc: bool = False
    warc_size: int = 0
    warc_prefix: str = "WEB"
    extension: str = ""
    epoch_filename: bool = False
    json_array: bool = False
    key_prefix: str = ""
    reverse_key: bool = False
    simple_date_format: bool = False
    linkdb: str | None = None
    cbor_format: CborFormat = "nutch"
    config: NutchConfig = field(default_factory=NutchConfig)
    #: -wat/-wet/-cdxj/-parquet/-publish on the WARC modes
    derived: DerivedOptions = field(default_factory=DerivedOptions)
    on_error: str = "skip"
    verify_crc: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class DumpStats:
    """What a run did: Nutch's ``TOTAL Stats`` plus what was skipped and why."""

    type_counts: Counter = field(default_factory=Counter)
    filtered_counts: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    documents: int = 0
    written: int = 0
    collisions: int = 0
    content_bytes: int = 0
    bytes_written: int = 0
    outputs: list[str] = field(default_factory=list)
    segments: int = 0
    units: int = 0
    seconds: float = 0.0

    @property
    def input_errors(self) -> int:
        return sum(n for reason, n in self.skipped.items() if not reason.startswith("filtered"))

    def note(self, reason: str, error: Exception | str, count: int = 1) -> None:
        self.skipped[reason] += count
        if len(self.errors) < 100:
            self.errors.append(str(error))

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "written": self.written,
            "collisions": self.collisions,
            "content_bytes": self.content_bytes,
            "bytes_written": self.bytes_written,
            "seconds": round(self.seconds, 3),
            "segments": self.segments,
            "units": self.units,
            "total": [{"mimeType": t, "count": n} for t, n in self.type_counts.items()],
            "filtered": [{"mimeType": t, "count": n} for t, n in self.filtered_counts.items()],
            "skipped": dict(self.skipped),
            "errors": self.errors,
            "outputs": self.outputs,
        }

    def report(self) -> str:
        """The ``TOTAL Stats`` block as Nutch logs it, then ccdump's own counts."""
        lines = ["", "TOTAL Stats:", "["]
        lines += [f'    {{"mimeType":"{t}","count":"{n}"}}' for t, n in self.type_counts.items()]
        lines += ["]", f"Total count: {sum(self.type_counts.values())}"]
        if self.filtered_counts:
            lines += ["", "FILTERED Stats:", "["]
            lines += [f'    {{"mimeType":"{t}","count":"{n}"}}' for t, n in self.filtered_counts.items()]
            lines += ["]", f"Total filtered count: {sum(self.filtered_counts.values())}"]
        lines.append("")
        lines.append(f"Written: {self.written} file(s) in {self.seconds:.1f} s")
        if self.collisions:
            lines.append(f"Name collisions: {self.collisions} (the first file was kept, as Nutch does)")
        for reason, n in self.skipped.items():
            lines.append(f"Skipped: {n} ({reason})")
        return "\n".join(lines) + "\n"


def detected_type(doc: Document, config: NutchConfig) -> str:
    assert doc.content is not None
    if config.get_str("ccdump.mimetype.source") == "stored":
        return doc.content.content_type or "application/octet-stream"
    return mime.detect(doc.content.content)


def make_writer(options: DumpOptions, started: float) -> Writer:
    layout = LayoutOptions(options.extension, options.epoch_filename)
    if options.warc:
        try:
            from ccdump.writers.warc import make_dump_warc_writer
        except ImportError as exc:  # pragma: no cover - until the WARC writer exists
            raise WriterError(f"WARC output is not available: {exc}") from None
        if options.derived.any:
            listeners = list(options.extra.get("warc_listeners", ())) + derived_listeners(options.derived)
            options.extra["warc_listeners"] = listeners
        return make_dump_warc_writer(options, started)
    if options.gzip:
        return TarGzWriter(options.output_dir, layout, options.cbor_format, started)
    return CborFileWriter(options.output_dir, layout, options.cbor_format)


def units_of(segments: Iterable[Segment]) -> list[tuple[Segment, str]]:
    return [(seg, part) for seg in segments for part in seg.part_names()]


def run(options: DumpOptions, progress: Progress | None = None) -> DumpStats:
    """Dump every document of every segment under ``options.segments``."""
    started = time.time()
    stats = DumpStats()
    segments = iter_segments(options.segments, on_error=options.on_error, verify_crc=options.verify_crc)
    units = units_of(segments)
    stats.segments, stats.units = len(segments), len(units)
    if not any(seg.parts(CONTENT) for seg in segments):
        raise SegmentFormatError(", ".join(options.segments), None, "content/part-* folders in the segments")
    total_bytes = sum(seg.content_bytes() for seg in segments)
    linkdb = LinkDb(options.linkdb) if options.linkdb else None
    record_options = RecordOptions(options.key_prefix, options.reverse_key, options.simple_date_format, options.json_array)
    wanted = set(options.mime_types) if options.mime_types else None
    done_bytes = 0
    os.makedirs(options.output_dir, exist_ok=True)
    writer = make_writer(options, started)
    with writer:
        for seg, part in units:
            unit_bytes = seg.content_bytes(part)
            try:
                for doc in seg.documents(part, folders=writer_folders(options)):
                    if doc.content is None:
                        continue
                    _dump_one(doc, options, record_options, writer, stats, wanted, linkdb)
                    if progress is not None:
                        progress(stats.documents, done_bytes + max(doc.offset, 0), total_bytes)
            except SegmentFormatError as exc:
                if options.on_error != "skip":
                    raise
                stats.note(f"{seg.name}/{part}: unreadable", exc)
            done_bytes += unit_bytes
            for reason, n in seg.stats.skipped.items():
                stats.skipped[f"{seg.name}: {reason}"] += n
            stats.errors.extend(seg.stats.errors[: max(0, 100 - len(stats.errors))])
            seg.stats.skipped.clear()
            seg.stats.errors.clear()
            if progress is not None:
                progress(stats.documents, done_bytes, total_bytes)
    ws = writer.stats()
    for reason, n in (ws.get("skipped") or {}).items():
        stats.skipped[reason] += n
    stats.written, stats.collisions = ws["written"], ws["collisions"]
    stats.bytes_written, stats.outputs = ws["bytes"], ws["outputs"]
    stats.seconds = time.time() - started
    return stats


def writer_folders(options: DumpOptions) -> tuple[str, ...]:
    """The folders a mode needs joined: JSON needs parse_data only for the body charset."""
    if options.warc:
        return JOINED
    return (CONTENT, PARSE_DATA)


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


def dump(
    output_dir: str,
    segment_root_dir: str | list[str],
    gzip: bool = False,
    mime_types: list[str] | None = None,
    warc: bool = False,
    **options: Any,
) -> DumpStats:
    """Nutch's ``CommonCrawlDataDumper.dump(outputDir, segmentRootDir, linkdb, gzip, mimeTypes, epochFilename,
    extension, warc)`` in Python: returns the statistics.

    >>> # stats = ccdump.dump("out", "crawl/segments", gzip=True, extension="cbor")
    """
    conf = options.pop("config", None)
    if conf is None:
        conf = NutchConfig.load(options.pop("conf_files", ()), options.pop("overrides", {}))
    segments = [segment_root_dir] if isinstance(segment_root_dir, str) else list(segment_root_dir)
    known = set(DumpOptions.__dataclass_fields__)
    extra = {k: options.pop(k) for k in list(options) if k not in known}
    opts = DumpOptions(output_dir, segments, gzip=gzip, mime_types=mime_types, warc=warc, config=conf, extra=extra, **options)
    return run(opts)
