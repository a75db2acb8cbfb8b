"""``ccdump wat | wet | cdxj``: Common Crawl's derived files from existing WARC files.

Each command: options → one library call per WARC file → a summary line. The library does the
work (:mod:`ccdump.writers.wat`, :mod:`~ccdump.writers.wet`, :mod:`~ccdump.writers.cdxj`,
:mod:`~ccdump.writers.parquet`); errors are :class:`~ccdump.errors.CcdumpError` and the
top-level group prints them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import click
from tqdm import tqdm

from ccdump.fastzlib import DERIVED_DEFLATE, parse_deflate
from ccdump.writers.cdxj import cdxj_name, generate_cdxj
from ccdump.writers.derived import Stats, derived_name
from ccdump.writers.parquet import SUBSETS, ParquetIndexWriter
from ccdump.writers.wat import generate_wat
from ccdump.writers.wet import generate_wet

_files = click.argument("warc_files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
_output_dir = click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for the output files (default: next to each WARC file).",
)


_deflate = click.option(
    "--deflate",
    default=None,
    metavar="ENGINE[:LEVEL]",
    help=f"How to deflate the records: isal[:0-3] or zlib[:0-9] (default {DERIVED_DEFLATE}; "
    "zlib:6 is what Common Crawl's files use: 2-3 % smaller, 2-3x slower).",
)


def _out(warc: str, output_dir: str | None, name: str) -> str:
    return os.path.join(output_dir if output_dir is not None else os.path.dirname(warc), name)


_workers = click.option(
    "-workers",
    "--workers",
    "workers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Convert N files at once, each in its own process (default: every core).",
)


def _in_order(files: tuple[str, ...], one: Callable[[str], Stats], workers: int | None) -> Iterator[Stats]:
    """``one(file)`` for each file, in file order; in ``workers`` processes when there are several files."""
    workers = min(workers or len(os.sched_getaffinity(0)), len(files))
    if workers <= 1:
        yield from map(one, files)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from pool.map(one, files)


def _run(files: tuple[str, ...], one: Callable[[str], Stats], what: str, workers: int | None = 1) -> None:
    total_in = total_out = 0
    results = _in_order(files, one, workers)
    for stats in tqdm(results, total=len(files), desc=what, unit="file", disable=None, leave=False):
        total_in += stats.records_in
        total_out += stats.records_out
        click.echo(f"{stats.path}: {stats.records_out} records", err=True)
    click.echo(f"{what}: {len(files)} file(s), {total_in} WARC records in, {total_out} out", err=True)


def _wat_one(output_dir: str | None, deflate: str | None, path: str) -> Stats:
    return generate_wat(path, _out(path, output_dir, derived_name(path, "wat")), deflate=deflate)


def _wet_one(output_dir: str | None, deflate: str | None, path: str) -> Stats:
    return generate_wet(path, _out(path, output_dir, derived_name(path, "wet")), deflate=deflate)


@click.command("wat")
@_files
@_output_dir
@_workers
@_deflate
def wat_command(warc_files: tuple[str, ...], output_dir: str | None, workers: int | None, deflate: str | None) -> None:
    """Write a WAT file (``X.warc.wat.gz``) for each WARC file ``X.warc.gz``.

    \b
    Example:
      ccdump wat crawl/warc/*.warc.gz -o crawl/wat
    """
    if deflate is not None:
        parse_deflate(deflate)  # a bad value is said once, before any file
    _run(warc_files, partial(_wat_one, output_dir, deflate), "wat", workers)


@click.command("wet")
@_files
@_output_dir
@_workers
@_deflate
def wet_command(warc_files: tuple[str, ...], output_dir: str | None, workers: int | None, deflate: str | None) -> None:
    """Write a WET file (``X.warc.wet.gz``) for each WARC file ``X.warc.gz``.

    \b
    Example:
      ccdump wet crawl/warc/*.warc.gz -o crawl/wet
    """
    if deflate is not None:
        parse_deflate(deflate)  # a bad value is said once, before any file
    _run(warc_files, partial(_wet_one, output_dir, deflate), "wet", workers)


@click.command("cdxj")
@_files
@_output_dir
@click.option(
    "--filename-prefix",
    default="",
    help="Prepended to the WARC file name in each line's filename field, e.g. "
    "crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc/",
)
@click.option("--unsorted", is_flag=True, help="Keep WARC order instead of sorting by SURT key.")
@click.option(
    "--parquet",
    "parquet_root",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write the Parquet columnar index under this directory (crawl=NAME/subset=SUBSET/).",
)
@click.option("--crawl", default=None, help="Crawl name for the Parquet partition, e.g. CC-MAIN-2024-22.")
@click.option(
    "--subset",
    type=click.Choice(SUBSETS),
    default="warc",
    show_default=True,
    help="Parquet subset partition.",
)
@click.option("--segment", default=None, help="warc_segment value (default: parsed from the filename field).")
@click.option("--int96", is_flag=True, help="Write fetch_time as legacy INT96 instead of INT64 microseconds.")
def cdxj_command(
    warc_files: tuple[str, ...],
    output_dir: str | None,
    filename_prefix: str,
    unsorted: bool,
    parquet_root: str | None,
    crawl: str | None,
    subset: str,
    segment: str | None,
    int96: bool,
) -> None:
    """Index each WARC file ``X.warc.gz`` into ``X.cdx.gz`` (SURT-sorted CDXJ, Common Crawl's fields).

    With --parquet, also write one part file of the columnar index for all the given WARC files.

    \b
    Examples:
      ccdump cdxj crawl/warc/*.warc.gz -o crawl/cdx
      ccdump cdxj crawl/warc/*.warc.gz --parquet crawl/table --crawl CC-MAIN-2024-22
    """
    if parquet_root is not None and not crawl:
        raise click.UsageError("--parquet needs --crawl NAME")
    parquet = (
        ParquetIndexWriter(parquet_root, crawl, subset, segment=segment, int96=int96)
        if parquet_root
        else None
    )
    try:
        _run(
            warc_files,
            lambda p: generate_cdxj(
                p,
                _out(p, output_dir, cdxj_name(p)),
                filename=filename_prefix + os.path.basename(p),
                parquet=parquet,
                segment=segment,
                sort=not unsorted,
            ),
            "cdxj",
        )
    except BaseException:
        if parquet is not None:
            parquet.abort()
        raise
    if parquet is not None:
        stats = parquet.close()
        click.echo(f"{stats.path}: {stats.records_out} rows", err=True)
