"""One URL of a segment, joined across content, crawl_fetch, parse_data and parse_text."""

from __future__ import annotations

from dataclasses import dataclass, field

from ccdump.nutch.content import Content
from ccdump.nutch.crawldatum import CrawlDatum
from ccdump.nutch.parse import ParseData, ParseText
from ccdump.nutch.status import STATUS_FETCH_SUCCESS

#: CrawlDatum status codes that describe a fetch attempt (fetch_success … fetch_notmodified).
FETCH_STATUSES = range(0x21, 0x27)


def pick_fetch(datums: list[CrawlDatum]) -> CrawlDatum | None:
    """The datum that describes the fetch when crawl_fetch holds a key more than once.

    A redirect target that was also fetched appears twice (a ``linked`` datum and the real fetch):
    prefer a real fetch status, fetch_success first, then the latest fetch time.
    """
    if not datums:
        return None
    if len(datums) == 1:
        return datums[0]

    def rank(d: CrawlDatum) -> tuple[int, int, int]:
        return (d.status in FETCH_STATUSES, d.status == STATUS_FETCH_SUCCESS, d.fetch_time)

    return max(datums, key=rank)


@dataclass
class Document:
    """Everything a segment holds about one URL.

    ``content`` is None for fetches that stored nothing (404, robots-denied, redirects …);
    ``fetch`` is the datum that describes the fetch, ``fetches`` every crawl_fetch datum of the key.
    """

    url: str
    segment: str
    part: str
    content: Content | None = None
    fetches: list[CrawlDatum] = field(default_factory=list)
    parse_data: ParseData | None = None
    parse_text: ParseText | None = None
    #: byte offset of the content record in its data file (-1 without content): drives progress
    offset: int = -1

    @property
    def fetch(self) -> CrawlDatum | None:
        return pick_fetch(self.fetches)

    @property
    def has_content(self) -> bool:
        return self.content is not None

    @property
    def fetch_status_name(self) -> str | None:
        f = self.fetch
        return f.status_name if f is not None else None

    @property
    def fetch_time(self) -> int | None:
        """Fetch time in ms: the content's ``nutch.fetch.time`` when stored, else the datum's."""
        if self.content is not None:
            stored = self.content.metadata.get("nutch.fetch.time")
            if stored and stored.strip().lstrip("-").isdigit():
                return int(stored)
        f = self.fetch
        return f.fetch_time if f is not None else None
