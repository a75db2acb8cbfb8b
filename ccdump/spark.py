"""The dumper on Spark: one Spark task per (segment, part) unit, output to any fsspec file system.

The driver plans the run once (:func:`ccdump.units.plan_run`), exactly as the local run does, and
hands every :class:`~ccdump.units.Unit` to its own Spark partition. Each task converts its unit with
:func:`ccdump.units.run_unit` into a fresh local temporary folder (writers need a local file system),
uploads the finished files with :class:`ccdump.remote.RemoteOutput` to the output folder
(``hdfs://``, ``s3://``, ``file://`` or a local path), deletes the temporary folder and returns its
statistics and the files it wrote. The driver merges the statistics in unit order and writes
``<output>/_ccdump_spark_manifest.json``: every file the run wrote, per unit.

* WARC: unit ``i`` of ``n`` writes the serials ``base + i``, ``base + i + n`` …; ``base`` follows the
  highest serial already in the (remote) output folder, so tasks never clash on names. A retried task
  first removes what an earlier attempt of the same unit published (its serials and their derived
  files), so a retry leaves no duplicates. ``-wat``/``-wet``/``-cdxj`` files go beside the WARC files,
  ``-parquet DIR`` part files below DIR (any file system too).
* CBOR files: names come from the URL, so they are the same whoever writes them; a name that exists
  in the output folder keeps the existing file (Nutch's rule) and counts as a collision.
* ``-gzip`` (tar.gz): each task uploads its piece of the archive into a hidden folder of the output;
  the driver streams the pieces in unit order into one ``yyyyMMddHHmm.tar.gz`` with the rule of
  :mod:`ccdump.writers.tarparts` (a name taken by an earlier unit keeps the earlier entry), then
  removes the pieces.

Each task has one core: ``-D ccdump.warc.parallel`` and ``-D ccdump.derived.parallel`` default to
``false`` inside tasks (an explicit ``true`` is kept, e.g. with ``spark.task.cpus=2``).

Run it as ``ccdump spark -segment S -outputDir O …`` (the dumper's options plus ``-master URL``),
``python -m ccdump.spark …`` or ``spark-submit [--master URL] ccdump/spark.py …``; ccdump must be
installed on the executors (``pip install 'ccdump[spark]'``).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # spark-submit ccdump/spark.py: do not let ccdump/*.py shadow top-level modules
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import contextlib
import json
import shutil
import tempfile
import time
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from ccdump.config import NutchConfig
from ccdump.errors import CcdumpError, InputError
from ccdump.manifest import mode_of
from ccdump.remote import RemoteFolder
from ccdump.run import DumpOptions, DumpStats
from ccdump.units import RunPlan, Unit, part_path, plan_run, run_unit

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The run's manifest in the output folder (not hidden, like Hadoop's ``_SUCCESS``).
SPARK_MANIFEST = "_ccdump_spark_manifest.json"
MANIFEST_VERSION = 1
#: Keys a task runs with one core unless the user chose otherwise.
ONE_CORE_KEYS = ("ccdump.warc.parallel", "ccdump.derived.parallel")
#: Object stores publish an object when its upload completes: no temporary name is needed there.


class PySparkMissing(CcdumpError):
    """``pyspark`` is not installed."""


def require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "pyspark":
            raise
        raise PySparkMissing("Spark support needs pyspark: pip install 'ccdump[spark]'") from None


def _absolute(path: str | None) -> str | None:
    """Local paths made absolute on the driver, so every executor reads and writes the same place."""
    if path is None or "://" in path:
        return path
    return os.path.abspath(path)


def _task_options(options: DumpOptions) -> DumpOptions:
    """One core per task: helper processes off unless explicitly asked for."""
    values: dict[str, str] = dict(options.config)
    for key in ONE_CORE_KEYS:
        if values.get(key, "").strip().lower() in ("", "auto"):
            values[key] = "false"
    return replace(options, config=NutchConfig(values))


def _check(options: DumpOptions) -> None:
    if options.resume:
        raise InputError("-resume is not supported on Spark: Spark re-runs failed tasks itself (run again into an empty folder)")
    if options.derived.publish_url:
        raise InputError("-publish is not supported on Spark (it would register the executors' temporary files)")
    if "warc_listeners" in options.extra:
        raise InputError("warc_listeners cannot be shipped to Spark executors")


# --- one task: one unit -----------------------------------------------------------------------------


def _attempt() -> int:
    try:
        from pyspark import TaskContext

        context = TaskContext.get()
        return context.attemptNumber() if context is not None else 0
    except Exception:  # noqa: BLE001 - outside Spark (tests call run_task directly)
        return 0


def _remove_earlier_attempt(options: DumpOptions, plan: RunPlan, unit: Unit, remote: Any) -> None:
    """A retried WARC task: remove what a failed attempt of this unit published (its serials)."""
    from ccdump.manifest import outputs_of_unfinished, stripe_warcs

    names = remote.names()
    remote.remove(outputs_of_unfinished(options, plan, [unit], names))
    if options.derived.parquet_dir:
        from ccdump.writers.parquet import part_file_for

        parquet = RemoteFolder(options.derived.parquet_dir)
        for name in stripe_warcs(options, plan, [unit], names):
            with contextlib.suppress(FileNotFoundError):
                parquet.fs.rm_file(part_file_for(parquet.root, options.derived.crawl, name))


def run_task(options: DumpOptions, plan: RunPlan, parts_name: str, unit: Unit) -> dict[str, Any]:
    """Convert ``unit`` into a local temporary folder and upload it; runs on an executor.

    Returns a picklable dict: ``index``, ``unit`` (its key), ``stats`` (:meth:`DumpStats.to_json`),
    ``files`` (the paths written on the output's file system) and, for ``-gzip``, ``piece`` and
    ``archive_names``.
    """
    from ccdump.remote import RemoteOutput

    base = options.config.get_str("ccdump.staging.dir") or None
    staging = tempfile.mkdtemp(prefix=f"ccdump-spark-{unit.index:06d}-", dir=base)
    try:
        out = os.path.join(staging, "out")
        os.makedirs(out)
        derived, parquet_staging = options.derived, None
        if derived.parquet_dir:
            parquet_staging = os.path.join(staging, "parquet")
            derived = replace(derived, parquet_dir=parquet_staging)
        remote = RemoteOutput(options.output_dir, out, options.derived.parquet_dir, parquet_staging)
        if options.warc and _attempt() > 0:
            _remove_earlier_attempt(options, plan, unit, remote)
        local = replace(options, output_dir=out, derived=derived)
        unit_plan = replace(plan, parts_dir=os.path.join(out, parts_name)) if parts_name else plan
        stats = run_unit(local, unit_plan, unit)
        result: dict[str, Any] = {"index": unit.index, "unit": unit.key}
        if parts_name:
            local_piece = part_path(unit_plan, unit)
            piece = RemoteFolder(options.output_dir).put(local_piece, f"{parts_name}/{os.path.basename(local_piece)}")
            result.update(piece=piece, archive_names=stats.archive_names)
            files: list[str] = []
        else:
            remote.sync()
            files = list(remote.uploaded)
            stats.collisions += remote.collisions
            if not options.warc:
                stats.written -= remote.collisions
        stats.outputs = files
        result.update(stats=stats.to_json(), files=files)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --- the driver ---------------------------------------------------------------------------------------


def spark_session(master: str | None = None, app_name: str = "ccdump") -> SparkSession:
    """The active session if there is one, else a new one (``master``: else spark-submit's, else local[*])."""
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    launched_by_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if (master or "").startswith("local") or (master is None and not launched_by_submit):
        # local executors: run this interpreter (which has ccdump), not whatever "python3" is on PATH
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    return builder.getOrCreate()


def run_spark(options: DumpOptions, master: str | None = None, app_name: str = "ccdump") -> DumpStats:
    """Convert ``options.segments`` on Spark, one task per (segment, part) unit; the merged statistics.

    Segments and the output folder may be local paths (visible to every executor) or fsspec URLs.
    ``options.workers`` is not used (Spark decides how many tasks run at once).
    """
    started = time.time()
    require_pyspark()
    options, target, plan, parts_name = prepare_run(options, started)
    session = spark_session(master, app_name)
    sc = session.sparkContext
    units = plan.units
    task = partial(run_task, _task_options(options), plan, parts_name)
    results = sc.parallelize(units, len(units)).map(task).collect()
    results.sort(key=lambda r: r["index"])

    stats = DumpStats()
    for result in results:
        stats.merge(DumpStats.from_json(result["stats"]))
    stats.outputs = [target.show(p) for r in results for p in r["files"]]
    if parts_name:
        archive = _join_archive(target, options, plan, parts_name, results, stats)
        for result in results:
            result["files"] = [archive] if result["index"] == 0 else []
        stats.outputs = [target.show(archive)]
    stats.segments, stats.units = plan.segments, len(units)
    stats.workers = max(1, min(sc.defaultParallelism, len(units)))
    stats.seconds = time.time() - started
    manifest = _write_manifest(target, options, plan, sc.master, results, stats)
    stats.notes.append(f"Spark: {len(units)} task(s) on {sc.master}; manifest {target.show(manifest)}")
    return stats


def prepare_run(options: DumpOptions, started: float) -> tuple[DumpOptions, RemoteFolder, RunPlan, str]:
    """The driver's part before any task: options with absolute local paths, the output folder, the
    plan (WARC serial base after the output's existing files) and the hidden folder of -gzip pieces."""
    _check(options)
    options = replace(
        options,
        output_dir=_absolute(options.output_dir) or options.output_dir,
        segments=[_absolute(s) or s for s in options.segments],
        linkdb=_absolute(options.linkdb),
        derived=replace(options.derived, parquet_dir=_absolute(options.derived.parquet_dir)),
    )
    target = RemoteFolder(options.output_dir)
    target.fs.makedirs(target.root, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="ccdump-spark-plan-")
    try:  # plan against an empty local folder: the real one may be remote
        plan = plan_run(replace(options, output_dir=scratch), started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    plan.parts_dir = ""
    if options.warc:
        from ccdump.writers.warc import serial_after, warc_prefix

        plan.warc_serial_base = serial_after(target.names(), warc_prefix(options))
    parts_name = f".ccdump-parts-{int(started * 1000)}" if options.gzip and not options.warc else ""
    return options, target, plan, parts_name


def _join_archive(
    target: RemoteFolder, options: DumpOptions, plan: RunPlan, parts_name: str, results: list[dict], stats: DumpStats
) -> str:
    """``-gzip``: the pieces, in unit order, streamed into ``yyyyMMddHHmm.tar.gz``; then the pieces go.

    The same rule as :func:`ccdump.writers.tarparts.join_archive`: pieces are gzip members without the
    tar end blocks, copied as they are unless they hold a name an earlier unit took.
    """
    from ccdump.writers.tar import archive_path
    from ccdump.writers.tarparts import write_joined

    stamp = os.path.basename(archive_path("/nonexistent-ccdump-folder", plan.started))[: -len(".tar.gz")]
    taken_names = set(target.names())
    name, n = f"{stamp}.tar.gz", 0
    while name in taken_names:
        n += 1
        name = f"{stamp}-{n}.tar.gz"
    final = target.path(name)
    tmp = final if target.object_store else target.path(f".{name}.ccdump-tmp-{os.getpid()}")
    fs = target.fs
    pieces = [(result["piece"], result["archive_names"]) for result in results]
    try:
        with fs.open(tmp, "wb") as out:
            dropped = write_joined(pieces, out, options.config.get_int("ccdump.gzip.level", 6), fs.open)
        if tmp != final:
            fs.mv(tmp, final)
    except BaseException:
        with contextlib.suppress(Exception):
            fs.rm_file(tmp)
        raise
    with contextlib.suppress(FileNotFoundError):
        fs.rm(target.path(parts_name), recursive=True)
    stats.written -= dropped
    stats.collisions += dropped
    return final


def _write_manifest(
    target: RemoteFolder, options: DumpOptions, plan: RunPlan, master: str, results: list[dict], stats: DumpStats
) -> str:
    files = sorted(target.relative(p) for r in results for p in r["files"])
    document = {
        "kind": "ccdump-spark-run",
        "version": MANIFEST_VERSION,
        "output": options.output_dir,
        "parquet": options.derived.parquet_dir,
        "mode": mode_of(options),
        "master": master,
        "started": plan.started,
        "finished": time.time(),
        "segments": options.segments,
        "warc_serial_base": plan.warc_serial_base,
        "files": files,
        "units": [
            {
                "unit": r["unit"],
                "index": r["index"],
                "files": sorted(target.relative(p) for p in r["files"]),
                "stats": r["stats"],
            }
            for r in results
        ],
        "stats": stats.to_json(),
    }
    return target.write_bytes(SPARK_MANIFEST, json.dumps(document, indent=1).encode("utf-8"))


def read_manifest(output: str) -> dict[str, Any]:
    """The manifest a Spark run left in ``output`` (a local path or URL)."""
    target = RemoteFolder(_absolute(output) or output)
    return json.loads(target.fs.cat_file(target.path(SPARK_MANIFEST)))


def main(argv: list[str] | None = None) -> None:
    """``python -m ccdump.spark …`` / ``spark-submit ccdump/spark.py …``: the options of ``ccdump spark``."""
    from ccdump.cli.spark import main as cli_main

    cli_main(argv)


if __name__ == "__main__":
    import ccdump.spark as _module  # the importable module, so tasks pickle by reference

    _module.main()
