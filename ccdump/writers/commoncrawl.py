"""``-wat``, ``-wet``, ``-cdxj``, ``-parquet`` (``-commoncrawl`` for all four) on the WARC modes.

Each derived format listens to the WARC writer and receives every record as it is written (its
headers, block and gzip-member position), so nothing is read back from disk. Per WARC file ``X.warc.gz``
the listeners write ``X.warc.wat.gz``, ``X.warc.wet.gz`` and ``X.cdx.gz`` beside it, and one Parquet file
of the columnar index under ``DIR/crawl=<name>/subset=warc/``. ``-publish URL -publishToken T``
registers each finished WAT file with a job tracker, so CPU workers can start on it at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ccdump.writers.cdxj import CdxjWriter, cdxj_name
from ccdump.writers.derived import derived_name
from ccdump.writers.parquet import ParquetIndexWriter
from ccdump.writers.warc import PerFileListener
from ccdump.writers.wat import WatWriter
from ccdump.writers.wet import WetWriter


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


def derived_listeners(options: DerivedOptions) -> list[PerFileListener]:
    """The listeners to hand to :class:`~ccdump.writers.warc.WarcWriter` (``warc_listeners``)."""
    listeners: list[PerFileListener] = []
    if options.wat:

        def wat(warc: str) -> WatWriter:
            return WatWriter(_beside(warc, derived_name(os.path.basename(warc), "wat")), os.path.basename(warc))

        if options.publish_url:
            if not options.publish_token:
                from ccdump.errors import ConfigError

                raise ConfigError("-publish needs -publishToken (the tracker's admin token)")
            listeners.append(PublishingListener(wat, options.publish_url, options.publish_token))
        else:
            listeners.append(PerFileListener(wat))
    if options.wet:
        listeners.append(
            PerFileListener(lambda warc: WetWriter(_beside(warc, derived_name(os.path.basename(warc), "wet")), os.path.basename(warc)))
        )
    if options.cdxj:
        listeners.append(
            PerFileListener(lambda warc: CdxjWriter(_beside(warc, cdxj_name(os.path.basename(warc))), os.path.basename(warc)))
        )
    if options.parquet_dir is not None:
        root = options.parquet_dir
        listeners.append(
            PerFileListener(lambda warc: ParquetIndexWriter(root, options.crawl, "warc", filename=os.path.basename(warc)))
        )
    return listeners
