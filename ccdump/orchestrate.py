"""One run on this machine: plan the units, resume, run them on N cores, record them, join the archive.

The order of events for each unit is: its writer publishes its files (temporary name → final
name), then its line is appended to the manifest. A kill between the two leaves published files of
an unrecorded unit; ``-resume`` removes those (:func:`ccdump.manifest.outputs_of_unfinished`) and
converts the unit again, so every record ends up in the output exactly once.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator

from ccdump.errors import InputError
from ccdump.manifest import (
    Manifest,
    ManifestError,
    fingerprint,
    mode_of,
    outputs_of_unfinished,
    read_manifest,
    remove_temporaries,
)
from ccdump.remote import RemoteOutput, after_unit
from ccdump.run import DumpOptions, DumpStats, Progress
from ccdump.units import RunPlan, Unit, part_path, plan_run, run_unit, worker_options

VERSION = 1


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_local(options: DumpOptions, progress: Progress | None = None, remote: RemoteOutput | None = None) -> DumpStats:
    """Run ``options`` on this machine; ``remote``: the output folder is remote, this one stages it."""
    started = time.time()
    if options.workers is not None and options.workers < 1:
        raise InputError(f"-workers {options.workers}: give at least 1")
    os.makedirs(options.output_dir, exist_ok=True)
    manifest = Manifest(options.output_dir)
    earlier = read_manifest(manifest.path)
    stats = DumpStats()
    done_entries: dict[str, dict] = {}
    if options.resume and earlier.finished:
        stats.notes.append(f"Nothing to resume: the run recorded in {options.output_dir} has finished")
        return stats
    if options.resume and earlier.header is not None:
        plan = _resumed_plan(options, earlier.header)
        done_entries = {u.key: earlier.units[u.key] for u in plan.units if u.key in earlier.units}
    else:
        if earlier.header is not None and not earlier.finished and not options.resume:
            stats.notes.append(
                f"Note: {manifest.path} recorded an unfinished run; it was started afresh (-resume continues one)"
            )
        plan = plan_run(options, started)
        if remote is not None and options.warc:
            from ccdump.writers.warc import serial_after, warc_prefix

            plan.warc_serial_base = max(plan.warc_serial_base, serial_after(remote.names(), warc_prefix(options)))
    todo = [u for u in plan.units if u.key not in done_entries]
    if options.resume:
        stats.resumed_units = len(done_entries)
        stats.removed = _clean_unfinished(options, plan, todo)
        if remote is not None:
            leftovers = outputs_of_unfinished(options, plan, todo, remote.names())
            remote.remove(leftovers)
            stats.removed += len(leftovers)
    manifest.start(_header(options, plan), keep=done_entries.values())
    workers = options.workers or default_workers()
    processes = max(1, min(workers, len(todo)))
    unit_options = worker_options(options, workers, processes)
    per_unit: dict[int, DumpStats] = {i: _stored(e) for i, e in ((int(e["index"]), e) for e in done_entries.values())}
    try:
        for unit, unit_stats in _execute(unit_options, plan, todo, processes, progress, per_unit):
            if plan.parts_dir:
                _write_names(part_path(plan, unit), unit_stats.archive_names)
            per_unit[unit.index] = unit_stats
            manifest.add({"kind": "unit", "unit": unit.key, "index": unit.index, "stats": unit_stats.to_json()})
            after_unit(remote, plan, unit, unit_stats)
        for index in sorted(per_unit):
            stats.merge(per_unit[index])
        if plan.parts_dir:
            _join_archive(options, plan, stats)
        manifest.add({"kind": "done", "outputs": stats.outputs})
    finally:
        manifest.close()
    stats.segments, stats.units, stats.workers = plan.segments, len(plan.units), processes
    stats.seconds = time.time() - started
    return stats


def _execute(
    options: DumpOptions,
    plan: RunPlan,
    todo: list[Unit],
    processes: int,
    progress: Progress | None,
    finished: dict[int, DumpStats],
) -> Iterator[tuple[Unit, DumpStats]]:
    """Run the units in this process (one at a time) or in ``processes`` worker processes."""
    total = plan.total_bytes
    base = {
        "docs": sum(s.documents for s in finished.values()),
        "bytes": sum(u.content_bytes for u in plan.units if u.index in finished),
    }
    in_flight: dict[int, tuple[int, int]] = {}

    def report(index: int, docs: int, done: int) -> None:
        in_flight[index] = (docs, done)
        if progress is not None:
            progress(base["docs"] + sum(d for d, _ in in_flight.values()), base["bytes"] + sum(b for _, b in in_flight.values()), total)

    def finish(unit: Unit, unit_stats: DumpStats) -> None:
        in_flight.pop(unit.index, None)
        base["docs"] += unit_stats.documents
        base["bytes"] += unit.content_bytes
        if progress is not None:
            progress(base["docs"], base["bytes"], total)

    if processes <= 1 or "warc_listeners" in options.extra:
        for unit in todo:
            unit_stats = run_unit(options, plan, unit, lambda docs, done, i=unit.index: report(i, docs, done))
            finish(unit, unit_stats)
            yield unit, unit_stats
        return
    from ccdump.parallel import run_in_processes

    for unit, unit_stats in run_in_processes(options, plan, todo, processes, report):
        finish(unit, unit_stats)
        yield unit, unit_stats


def _header(options: DumpOptions, plan: RunPlan) -> dict:
    return {
        "version": VERSION,
        "started": plan.started,
        "fingerprint": fingerprint(options),
        "mode": mode_of(options),
        "units": [u.key for u in plan.units],
        "segments": plan.segments,
        "warc_serial_base": plan.warc_serial_base,
        "parts_dir": os.path.basename(plan.parts_dir) if plan.parts_dir else "",
    }


def _resumed_plan(options: DumpOptions, header: dict) -> RunPlan:
    """The plan of the interrupted run: same units, same serial base, same archive name."""
    if header.get("version") != VERSION:
        raise ManifestError(f"the manifest in {options.output_dir} was written by another ccdump version; run without -resume")
    if header.get("fingerprint") != fingerprint(options):
        raise ManifestError(
            f"-resume: the run recorded in {options.output_dir} used other segments or options "
            f"(mode {header.get('mode')}); repeat its exact command, or run without -resume into an empty folder"
        )
    plan = plan_run(options, float(header["started"]))
    if [u.key for u in plan.units] != header.get("units"):
        raise ManifestError(f"-resume: the segments' parts changed since the run recorded in {options.output_dir}")
    plan.warc_serial_base = int(header.get("warc_serial_base", 0))
    if header.get("parts_dir"):
        plan.parts_dir = os.path.join(options.output_dir, header["parts_dir"])
    return plan


def _clean_unfinished(options: DumpOptions, plan: RunPlan, todo: list[Unit]) -> int:
    """Remove temporary files and what unfinished units had published; how many files."""
    roots = [options.output_dir] + ([options.derived.parquet_dir] if options.derived.parquet_dir else [])
    removed = remove_temporaries([r for r in roots if os.path.isdir(r)])
    for name in outputs_of_unfinished(options, plan, todo, _listdir(options.output_dir)):
        path = os.path.join(options.output_dir, name)
        if os.path.exists(path):
            os.unlink(path)
            removed.append(path)
    if options.warc and options.derived.parquet_dir:
        from ccdump.writers.parquet import part_file_for

        for name in _stripe_warcs(options, plan, todo):
            path = part_file_for(options.derived.parquet_dir, options.derived.crawl, name)
            if os.path.exists(path):
                os.unlink(path)
                removed.append(path)
    if plan.parts_dir:
        for unit in todo:
            for path in (part_path(plan, unit), part_path(plan, unit) + ".names"):
                if os.path.exists(path):
                    os.unlink(path)
                    removed.append(path)
    return len(removed)


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def _stripe_warcs(options: DumpOptions, plan: RunPlan, todo: list[Unit]) -> list[str]:
    from ccdump.manifest import stripe_warcs

    return stripe_warcs(options, plan, todo, _listdir(options.output_dir))


def _stored(entry: dict) -> DumpStats:
    return DumpStats.from_json(entry["stats"])


def _write_names(piece: str, names: list[str]) -> None:
    tmp = piece + ".names.tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        for name in names:
            f.write(name + "\n")
    os.replace(tmp, piece + ".names")


def _read_names(piece: str) -> list[str]:
    with open(piece + ".names", encoding="utf-8", errors="surrogateescape") as f:
        return f.read().splitlines()


def _join_archive(options: DumpOptions, plan: RunPlan, stats: DumpStats) -> None:
    """``-gzip``: the pieces, in unit order, become ``yyyyMMddHHmm.tar.gz``; then the pieces go."""
    from ccdump.writers.tar import archive_path
    from ccdump.writers.tarparts import join_archive

    pieces = []
    for unit in plan.units:
        path = part_path(plan, unit)
        if not os.path.exists(path):
            print(f"ccdump: internal error: missing archive piece {path}", file=sys.stderr)
            continue
        pieces.append((path, _read_names(path)))
    final = archive_path(os.path.abspath(options.output_dir), plan.started)
    level = options.config.get_int("ccdump.gzip.level", 6)
    dropped = join_archive(pieces, final, level)
    stats.written -= dropped
    stats.collisions += dropped
    stats.outputs = [final]
    shutil.rmtree(plan.parts_dir, ignore_errors=True)
