"""``ccdump warc OUTPUT (SEGMENT… | -dir SEGMENTS)``: Nutch's WARCExporter (``bin/nutch warc``), done right.

Same selection as WARCExporter — a URL needs both its content and its crawl_fetch datum,
``-onlySuccessfulResponses`` keeps fetch_success/fetch_notmodified, ``-includeParseData`` and
``-includeParseText`` add metadata/conversion records — written in Common Crawl's layout with the
real IP address, UTC dates and one gzip member per record (spec nutch-dumper.md §8.3–§8.4).
"""

from __future__ import annotations

import os

import click

from ccdump.cli.runner import run_and_report
from ccdump.config import NutchConfig
from ccdump.errors import InputError
from ccdump.nutch.segment import is_segment
from ccdump.run import DumpOptions
from ccdump.writers.commoncrawl import DerivedOptions
from ccdump.writers.warc import CaptureFilter


def segments_in(folder: str) -> list[str]:
    """``-dir``: every segment directly below ``folder``, in name order (as WARCExporter lists them)."""
    if not os.path.isdir(folder):
        raise InputError(f"{folder}: not a directory")
    found = [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if not n.startswith((".", "_"))]
    found = [p for p in found if is_segment(p)]
    if not found:
        raise InputError(f"{folder}: no Nutch segment below it")
    return found


@click.command("warc", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("output", metavar="OUTPUT")
@click.argument("segments", nargs=-1, metavar="[SEGMENT]...")
@click.option("-dir", "segment_dirs", multiple=True, metavar="SEGMENTS", help="Add every segment in this folder.")
@click.option("-onlySuccessfulResponses", "only_successful", is_flag=True,
              help="Only fetch_success and fetch_notmodified captures (warc.exporter.only.successful.responses).")
@click.option("-includeParseData", "include_parse_data", is_flag=True,
              help="Add a metadata record with the parse metadata (JSON) after each response.")
@click.option("-includeParseText", "include_parse_text", is_flag=True,
              help="Add a conversion record with the parse text after each response.")
@click.option("-warcSize", "warc_size", type=click.IntRange(min=0), default=0, metavar="BYTES",
              help="Rotate files before this size (0: warc.output.segment.size, 1 000 000 000).")
@click.option("-warcPrefix", "warc_prefix", default="", metavar="P", help="File name prefix (default warc.export.prefix or WEB).")
@click.option("-warcVersion", "warc_version", type=click.Choice(["1.0", "1.1"]), default=None,
              help="WARC version line (default 1.0, as Common Crawl writes).")
@click.option("-gzip/-noGzip", "gzip", default=True, show_default=True, help="One gzip member per record (.warc.gz).")
@click.option("-conf", "conf_files", multiple=True, metavar="FILE", help="A nutch-site.xml (repeatable; later wins).")
@click.option("-D", "overrides", multiple=True, metavar="KEY=VALUE", help="Override one configuration key (repeatable).")
@click.option("-workers", "workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Convert N (segment, part) units at once, each in its own process (default: every core).")
@click.option("-resume", is_flag=True,
              help="Continue an interrupted run into the same -outputDir: skip the units its manifest records as done.")
@click.option("-statsJson", "stats_json", metavar="FILE", help="Also write the statistics as JSON.")
@click.option("-quiet", is_flag=True, help="No progress bar and no report.")
@click.option("-failOnCorrupt", "fail_on_corrupt", is_flag=True, help="Stop at the first corrupt record.")
@click.option("-wat", is_flag=True, help="Also X.warc.wat.gz per WARC file (Common Crawl's WAT).")
@click.option("-wet", is_flag=True, help="Also X.warc.wet.gz per WARC file.")
@click.option("-cdxj", is_flag=True, help="Also a SURT-sorted X.cdx.gz index per WARC file.")
@click.option("-parquet", "parquet_dir", metavar="DIR", help="Also the columnar index (Parquet) under DIR.")
@click.option("-crawl", "crawl_name", default="CCDUMP", show_default=True, help="Crawl name of the Parquet partition.")
@click.option("-commoncrawl", is_flag=True, help="-wat -wet -cdxj and -parquet OUTPUT/index.")
@click.option("-publish", "publish_url", metavar="URL", help="Register each finished WAT file with this job tracker.")
@click.option("-publishToken", "publish_token", metavar="T", help="The tracker's admin token, for -publish.")
def warc_command(output, segments, segment_dirs, only_successful, include_parse_data, include_parse_text, warc_size,
                 warc_prefix, warc_version, gzip, conf_files, overrides, stats_json, quiet, fail_on_corrupt,
                 wat, wet, cdxj, parquet_dir, crawl_name, commoncrawl, publish_url, publish_token, workers, resume) -> None:
    """Export segments as WARC files, like Nutch's WARCExporter (bin/nutch warc).

    \b
    Examples:
      ccdump warc out crawl/segments/20241121093000
      ccdump warc out -dir crawl/segments -onlySuccessfulResponses -includeParseText
      ccdump warc out -dir crawl/segments -warcSize 100000000 -D warc.export.isPartOf=MY-CRAWL-2024
    """
    paths = list(segments) + [p for d in segment_dirs for p in segments_in(d)]
    if not paths:
        raise click.UsageError("give at least one SEGMENT or -dir SEGMENTS")
    config = NutchConfig.load(conf_files, overrides)
    capture_filter = CaptureFilter(
        only_successful=only_successful or config.get_bool("warc.exporter.only.successful.responses"),
        require_fetch=True,
    )
    if commoncrawl:
        wat = wet = cdxj = True
        parquet_dir = parquet_dir or os.path.join(output, "index")
    if publish_url and not wat:
        raise click.UsageError("-publish needs -wat (it publishes WAT shards)")
    options = DumpOptions(
        derived=DerivedOptions(wat, wet, cdxj, parquet_dir, crawl_name, publish_url, publish_token),
        output_dir=output,
        segments=paths,
        gzip=gzip,
        warc=True,
        warc_size=warc_size or config.get_int("warc.output.segment.size", 1_000_000_000),
        warc_prefix=warc_prefix,
        config=config,
        on_error="raise" if fail_on_corrupt else "skip",
        workers=workers,
        resume=resume,
        extra={
            "warc_filter": capture_filter,
            "warc_version": warc_version,
            "include_parse_data": include_parse_data,
            "include_parse_text": include_parse_text,
        },
    )
    run_and_report(options, stats_json=stats_json, quiet=quiet, done="exported")
