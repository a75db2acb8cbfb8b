"""``ccdump spark -segment S -outputDir O …``: the dumper on Spark, one task per (segment, part) unit.

The options are the dump command's own (:data:`ccdump.cli.dump.dump_command`'s parameters, so the two
never drift apart; ``-workers``/``-resume`` are hidden and refused, as Spark schedules and retries tasks
itself), plus ``-master`` and ``-appName``. ``python -m ccdump.spark …`` and ``spark-submit ccdump/spark.py …`` parse
the same options (:func:`main`). pyspark is imported only when the command runs, so ``-h`` works
without it.
"""

from __future__ import annotations

import copy
import inspect
import sys

import click

from ccdump.cli.dump import NutchStyleCommand, dump_command, dump_options
from ccdump.cli.runner import report
from ccdump.errors import CcdumpError

#: Dump options that have no meaning on Spark.
NOT_ON_SPARK = ("workers", "resume")


def _params() -> list[click.Parameter]:
    params = []
    for param in dump_command.params:
        if param.name in NOT_ON_SPARK:  # still parsed, so using one gets a clear message
            param = copy.copy(param)
            param.hidden = True  # type: ignore[attr-defined]
        params.append(param)
    params.append(click.Option(
        ["-master", "master"], metavar="URL", default=None,
        help="Spark master (default: spark-submit's --master / spark.master, else local[*]).",
    ))
    params.append(click.Option(["-appName", "app_name"], default="ccdump", show_default=True, help="Spark application name."))
    return params


def _spark(segments, output_dir, mime_types, cbor_format, cbor_native, conf_files, overrides, stats_json, quiet,
           fail_on_corrupt, wat, wet, cdxj, parquet_dir, crawl_name, commoncrawl, publish_url, publish_token,
           master, app_name, **rest) -> None:
    """Dump Nutch segments on Spark: one task per (segment, part), output to any file system.

    Same output as `ccdump -segment … -outputDir …` with the same options; the output folder may be
    a local path (seen by every executor), file://, hdfs://, s3:// …. A manifest of every file written
    is left in OUTPUT/_ccdump_spark_manifest.json. Needs pip install 'ccdump[spark]' (and ccdump on
    the executors).

    \b
    Examples:
      ccdump spark -segment hdfs://nn/crawl/segments -outputDir hdfs://nn/out -warc -gzip -master yarn
      ccdump spark -segment crawl/segments -outputDir s3://bucket/cc -commoncrawl -master local[4]
      spark-submit --master yarn ccdump/spark.py -segment hdfs://nn/crawl/segments -outputDir hdfs://nn/out -warc
      python -m ccdump.spark -segment crawl/segments -outputDir out -warc -gzip -wat
    """
    if rest.pop("workers", None) is not None:
        raise click.UsageError("-workers is not used on Spark: the master decides how many tasks run at once (local[N], executors)")
    if rest.pop("resume", False):
        raise click.UsageError("-resume is not supported on Spark: Spark re-runs failed tasks itself")
    if publish_url:
        raise click.UsageError("-publish is not supported on Spark (run `ccdump jobs` registration after the run)")
    options = dump_options(segments, output_dir, mime_types, cbor_format, cbor_native, conf_files, overrides,
                           fail_on_corrupt, wat, wet, cdxj, parquet_dir, crawl_name, commoncrawl, publish_url,
                           publish_token, **rest)
    from ccdump.spark import run_spark

    stats = run_spark(options, master=master, app_name=app_name)
    report(stats, stats_json=stats_json, quiet=quiet, done="dumped")


spark_command = NutchStyleCommand(
    "spark",
    callback=_spark,
    params=_params(),
    help=inspect.getdoc(_spark),
    short_help="Dump Nutch segments on Spark (one task per segment part).",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m ccdump.spark`` and ``spark-submit ccdump/spark.py``."""
    try:
        spark_command.main(args=argv if argv is not None else sys.argv[1:], prog_name="ccdump spark")
    except CcdumpError as exc:
        click.echo(f"ccdump: error: {exc}", err=True)
        sys.exit(1)
