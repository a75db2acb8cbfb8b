"""``ccdump -segment S -outputDir O …``: Nutch's ``commoncrawldump`` with the same options, done right."""

from __future__ import annotations

import os

import click

from ccdump.cli.runner import run_and_report
from ccdump.config import NutchConfig
from ccdump.run import DumpOptions
from ccdump.writers.commoncrawl import DerivedOptions

#: Options that take several values in Nutch's syntax (``-mimetype text/html application/pdf``).
MULTI_VALUE = ("-segment", "-mimetype")


def expand_multi_values(args: list[str]) -> list[str]:
    """``-mimetype a b -gzip`` → ``-mimetype a -mimetype b -gzip`` (commons-cli ``hasArgs`` style)."""
    out: list[str] = []
    current: str | None = None
    for arg in args:
        if arg.startswith("-") and len(arg) > 1:
            current = arg if arg in MULTI_VALUE else None
            out.append(arg)
            if current:
                out.append("\0first")
            continue
        if current is not None:
            if out[-1] == "\0first":
                out[-1] = arg
            else:
                out += [current, arg]
            continue
        out.append(arg)
    return [a for a in out if a != "\0first"]


class NutchStyleCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, expand_multi_values(args))


@click.command("dump", cls=NutchStyleCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-segment", "segments", multiple=True, required=True, metavar="DIR…",
              help="A segment, or a folder of segments (searched below); several allowed. Local, file://, hdfs://, s3://.")
@click.option("-outputDir", "output_dir", required=True, metavar="DIR", help="Output folder (created if missing).")
@click.option("-gzip", is_flag=True, help="One yyyyMMddHHmm.tar.gz archive instead of files (WARC: .warc.gz).")
@click.option("-extension", default="", metavar="EXT", help="File extension instead of the URL's (default html).")
@click.option("-epochFilename", "epoch_filename", is_flag=True, help="<reversed host>/<sha1(url)>/<epoch>.<ext> layout.")
@click.option("-jsonArray", "json_array", is_flag=True, help="Headers as [name, value] arrays.")
@click.option("-keyPrefix", "key_prefix", default="", metavar="P", help="JSON key = P-<key>.")
@click.option("-mimetype", "mime_types", multiple=True, metavar="TYPE…", help="Keep only these detected MIME types.")
@click.option("-reverseKey", "reverse_key", is_flag=True, help="JSON key = reversed host, sha1 of the URL, timestamp.")
@click.option("-SimpleDateFormat", "simple_date_format", is_flag=True, help="Dates as epoch milliseconds.")
@click.option("-linkdb", metavar="DIR", help="Add each URL's inlinks from this linkdb.")
@click.option("-warc", is_flag=True, help="Write size-rotated WARC files instead of CBOR.")
@click.option("-warcSize", "warc_size", type=click.IntRange(min=0), default=0, metavar="BYTES",
              help="Rotate WARC files before this size (0: 1 GiB, Nutch's default).")
@click.option("-warcPrefix", "warc_prefix", default="WEB", show_default=True, help="WARC file name prefix.")
@click.option("-wat", is_flag=True, help="With -warc: also X.warc.wat.gz per WARC file (Common Crawl's WAT).")
@click.option("-wet", is_flag=True, help="With -warc: also X.warc.wet.gz per WARC file (plain text).")
@click.option("-cdxj", is_flag=True, help="With -warc: also a SURT-sorted X.cdx.gz index per WARC file.")
@click.option("-parquet", "parquet_dir", metavar="DIR", help="With -warc: the columnar index (Parquet) under DIR.")
@click.option("-crawl", "crawl_name", default="CCDUMP", show_default=True, help="Crawl name of the Parquet partition.")
@click.option("-commoncrawl", is_flag=True, help="-warc -gzip -wat -wet -cdxj (and -parquet OUT/index unless given).")
@click.option("-publish", "publish_url", metavar="URL", help="Register each finished WAT file with this job tracker.")
@click.option("-publishToken", "publish_token", metavar="T", help="The tracker's admin token, for -publish.")
@click.option("-cborFormat", "cbor_format", type=click.Choice(["nutch", "native"]), default="nutch", show_default=True,
              help="nutch: tag 55799 + JSON text; native: CBOR map with the raw body as bytes.")
@click.option("-cborNative", "cbor_native", is_flag=True, help="Same as -cborFormat native.")
@click.option("-conf", "conf_files", multiple=True, metavar="FILE", help="A nutch-site.xml (repeatable; later wins).")
@click.option("-D", "overrides", multiple=True, metavar="KEY=VALUE", help="Override one configuration key (repeatable).")
@click.option("-workers", "workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Convert N (segment, part) units at once, each in its own process (default: every core).")
@click.option("-resume", is_flag=True,
              help="Continue an interrupted run into the same -outputDir: skip the units its manifest records as done.")
@click.option("-statsJson", "stats_json", metavar="FILE", help="Also write the statistics as JSON.")
@click.option("-quiet", is_flag=True, help="No progress bar and no report.")
@click.option("-failOnCorrupt", "fail_on_corrupt", is_flag=True,
              help="Stop at the first corrupt record (default: skip it, count it, go on).")
@click.option("-verifyCrc", "verify_crc", is_flag=True, help="Check input files against their .crc sidecars.")
def dump_command(segments, output_dir, mime_types, cbor_format, cbor_native, conf_files, overrides, stats_json,
                 quiet, fail_on_corrupt, wat, wet, cdxj, parquet_dir, crawl_name, commoncrawl, publish_url,
                 publish_token, **rest) -> None:
    """Dump Nutch segments as CBOR files, a tar.gz archive or WARC files (Nutch's commoncrawldump).

    \b
    Examples:
      ccdump -segment crawl/segments -outputDir out
      ccdump -segment crawl/segments/20241121093000 -outputDir out -gzip -mimetype text/html application/pdf
      ccdump -segment hdfs://nn/crawl/segments -outputDir out -warc -gzip -conf nutch-site.xml
      ccdump -segment crawl/segments -outputDir out -commoncrawl -crawl MY-CRAWL-2024
    """
    options = dump_options(segments, output_dir, mime_types, cbor_format, cbor_native, conf_files, overrides,
                           fail_on_corrupt, wat, wet, cdxj, parquet_dir, crawl_name, commoncrawl, publish_url,
                           publish_token, **rest)
    run_and_report(options, stats_json=stats_json, quiet=quiet, done="dumped")


def dump_options(segments, output_dir, mime_types, cbor_format, cbor_native, conf_files, overrides, fail_on_corrupt,
                 wat, wet, cdxj, parquet_dir, crawl_name, commoncrawl, publish_url, publish_token, **rest) -> DumpOptions:
    """The dump command's parameters → :class:`DumpOptions` (shared with ``ccdump spark``)."""
    if commoncrawl:
        rest["warc"] = rest["gzip"] = wat = wet = cdxj = True
        parquet_dir = parquet_dir or os.path.join(output_dir, "index")
    derived = DerivedOptions(wat, wet, cdxj, parquet_dir, crawl_name, publish_url, publish_token)
    if derived.any and not rest["warc"]:
        raise click.UsageError("-wat, -wet, -cdxj and -parquet need -warc (or use -commoncrawl)")
    if publish_url and not wat:
        raise click.UsageError("-publish needs -wat (it publishes WAT shards)")
    return DumpOptions(
        derived=derived,
        output_dir=output_dir,
        segments=list(segments),
        mime_types=list(mime_types) or None,
        cbor_format="native" if cbor_native else cbor_format,
        config=NutchConfig.load(conf_files, overrides),
        on_error="raise" if fail_on_corrupt else "skip",
        **rest,
    )
