"""``dump()`` and ``run()``: the options and statistics of a conversion, shared by the CLI and the library.

The work itself is split into units, one per (segment, part) pair (:mod:`ccdump.units`), run on one
or more cores (:mod:`ccdump.orchestrate`, :mod:`ccdump.parallel`) or on Spark (:mod:`ccdump.spark`).
Per-record problems are counted and skipped (Nutch's dumper would abort the part); a fatal error
aborts the unit's writer, so no half-written output keeps a final name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ccdump.config import NutchConfig
from ccdump.writers.cbor import CborFormat
from ccdump.writers.commoncrawl import DerivedOptions

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
    #: processes converting units at once (None: every core)
    workers: int | None = None
    #: skip the units the output folder's manifest records as finished
    resume: bool = False
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
    #: -resume: units an earlier run had finished; files of unfinished units removed first
    resumed_units: int = 0
    removed: int = 0
    workers: int = 1
    notes: list[str] = field(default_factory=list)
    #: -gzip: the entry names of a unit's piece of the archive (not reported)
    archive_names: list[str] = field(default_factory=list, repr=False)

    def merge(self, other: DumpStats) -> None:
        """Add one unit's statistics (merged in unit order, so reports do not depend on timing)."""
        self.type_counts.update(other.type_counts)
        self.filtered_counts.update(other.filtered_counts)
        self.skipped.update(other.skipped)
        self.errors.extend(other.errors[: max(0, 100 - len(self.errors))])
        for name in ("documents", "written", "collisions", "content_bytes", "bytes_written", "units"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outputs.extend(other.outputs)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DumpStats:
        """The statistics of a unit as the manifest stored them (:meth:`to_json`)."""
        stats = cls()
        stats.type_counts = Counter({e["mimeType"]: e["count"] for e in data.get("total", ())})
        stats.filtered_counts = Counter({e["mimeType"]: e["count"] for e in data.get("filtered", ())})
        stats.skipped = Counter(data.get("skipped", {}))
        stats.errors = list(data.get("errors", ()))
        for name in ("documents", "written", "collisions", "content_bytes", "bytes_written", "units"):
            setattr(stats, name, int(data.get(name, 0)))
        stats.outputs = list(data.get("outputs", ()))
        return stats

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
            "workers": self.workers,
            "resumed_units": self.resumed_units,
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
        lines.append(f"Written: {self.written} file(s) in {self.seconds:.1f} s"
                     f" ({self.units} unit(s), {self.workers} worker(s))")
        if self.resumed_units:
            lines.append(f"Resumed: {self.resumed_units} unit(s) were already done; {self.removed} leftover file(s) removed")
        lines += self.notes
        if self.collisions:
            lines.append(f"Name collisions: {self.collisions} (the first file was kept, as Nutch does)")
        for reason, n in self.skipped.items():
            lines.append(f"Skipped: {n} ({reason})")
        return "\n".join(lines) + "\n"


def run(options: DumpOptions, progress: Progress | None = None) -> DumpStats:
    """Convert every (segment, part) unit under ``options.segments``; the merged statistics.

    Units run in ``options.workers`` processes (default: every core). Each finished unit is recorded
    in the output folder's manifest; ``options.resume`` skips the units an earlier, interrupted run of
    the same command finished. An output folder on a remote file system (``s3://``, ``hdfs://`` …) is
    written through a local staging folder (:mod:`ccdump.remote`).
    """
    from ccdump.hadoop.fs import local_path
    from ccdump.remote import is_remote, run_remote

    parquet = options.derived.parquet_dir
    options = replace(
        options,
        output_dir=local_path(options.output_dir),
        derived=replace(options.derived, parquet_dir=local_path(parquet) if parquet else parquet),
    )
    if is_remote(options.output_dir):
        return run_remote(options, progress)
    from ccdump.orchestrate import run_local

    return run_local(options, progress)


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
