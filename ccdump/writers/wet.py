"""WET files: the plain text of each HTML response as a ``conversion`` record.

Layout as ia-web-commons' ``WETExtractorOutput`` with ia-hadoop-tools' ``WEATGenerator``: a
warcinfo record that copies ``robots``, ``isPartOf``, ``operator``, ``description`` and
``publisher`` from the WARC's own warcinfo, then one conversion record per HTML response whose text
is not empty, dated with the capture date and pointing back at the response. The language header
comes from the capture's ``metadata`` record when it directly follows its response, as in
Common Crawl's files.

Per-record API: ``WetWriter(path, warc_filename).add(record)`` for each record in file order;
``close()``. A record's precomputed ``text`` (Nutch's parse text) and ``languages`` win over the
generator's own extraction and the metadata record. On any WARC file: :func:`generate_wet`.

Differences from Common Crawl, kept on purpose: ``Software-Info: ccdump.<version>``; text comes
from a lexbor DOM (see :mod:`ccdump.writers.html_extract`); a ``WARC-Date`` that does not parse
is copied as it is (Common Crawl's generator fails on the file); payloads still declaring chunked
or gzip coding are decoded before extraction.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ccdump.writers.derived import (
    SOFTWARE_INFO,
    DerivedWriter,
    Stats,
    derived_name,
    parse_warc_date,
    rfc1123,
    warc_date,
)
from ccdump.writers.httpparse import parse_fields
from ccdump.writers.httpview import capture_languages, describes, html_of, is_html
from ccdump.writers.record import WarcRecord, sha1_base32
from ccdump.writers.warcreader import read_warc

#: warcinfo fields copied into the WET's warcinfo, in this order
COPIED_WARCINFO_FIELDS = ("robots", "isPartOf", "operator", "description", "publisher")

# A WARC-Date already in the form the conversion record gets (``yyyy-MM-ddTHH:mm:ssZ``, year >= 1000,
# fields in range but for the day): parsing and formatting it again gives it back unchanged, and a
# day the calendar lacks does not parse, so the date is copied as it is all the same.
_PLAIN_WARC_DATE = re.compile(
    r"[1-9]\d\d\d-(?:0[1-9]|1[0-2])-[0-3]\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ\Z", re.ASCII
)


def conversion_date(date: str) -> str:
    """The conversion record's ``WARC-Date`` for the response's: normalised to UTC seconds when it
    parses, else as it is (Common Crawl's generator would fail on the file)."""
    if _PLAIN_WARC_DATE.match(date):
        return date  # the common case, without a datetime round trip
    parsed = parse_warc_date(date)
    if parsed is None:
        return date
    try:
        return warc_date(parsed)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+02:00: no UTC year to write
        return date


class WetWriter(DerivedWriter):
    """Write a WET file for one WARC file: ``add()`` every record of the WARC in order.

    ``html_only=False`` also writes conversion records for non-HTML responses that carry
    precomputed ``text`` (e.g. PDFs parsed by Nutch); Common Crawl's WETs hold HTML only.
    """

    kind = "wet"

    def __init__(
        self, path: str | os.PathLike[str], warc_filename: str, *, html_only: bool = True, **kw: Any
    ) -> None:
        super().__init__(path, warc_filename, **kw)
        self.html_only = html_only
        self._started = False
        self._pending: WarcRecord | None = None
        self._pending_text: str | None = None

    def _start(self, first: WarcRecord) -> None:
        fields = [("Software-Info", SOFTWARE_INFO), ("Extracted-Date", rfc1123(self.now()))]
        if first.type == "warcinfo":
            info: dict[str, str] = {}
            for name, value in parse_fields(first.block).headers:
                info.setdefault(name, value)
            fields += [(name, info[name]) for name in COPIED_WARCINFO_FIELDS if name in info]
        self.warcinfo(fields)
        self._started = True

    def _text_of(self, rec: WarcRecord) -> str | None:
        if rec.type != "response":
            return None
        html = is_html(rec)
        if rec.text is not None:
            return rec.text if (html or not self.html_only) else None
        extract = html_of(rec) if html else None
        return extract.text if extract is not None else None

    def add(self, rec: WarcRecord) -> None:
        """Take one WARC record (call in file order, for every record)."""
        self.stats.records_in += 1
        if not self._started:
            self._start(rec)
        pending = self._pending
        if pending is not None:
            languages = pending.languages
            if languages is None and describes(rec, pending.target_uri, pending.record_id):
                languages = capture_languages(rec)[1]
            self._emit(pending, self._pending_text or "", languages)
            self._pending = None
        text = self._text_of(rec)
        if text:
            self._pending, self._pending_text = rec, text

    def _emit(self, rec: WarcRecord, text: str, languages: str | None) -> None:
        target, date, record_id = rec.target_uri, rec.date, rec.record_id
        if target is None or date is None or record_id is None:
            return
        block = text.encode("utf-8", "replace")
        fields = [
            ("WARC-Type", "conversion"),
            ("WARC-Target-URI", target),
            ("WARC-Date", conversion_date(date)),
            ("WARC-Record-ID", self.make_id()),
            ("WARC-Refers-To", record_id),
            ("WARC-Block-Digest", sha1_base32(block)),
        ]
        if languages:
            fields.append(("WARC-Identified-Content-Language", languages))
        fields.append(("Content-Type", "text/plain"))
        self.write_record(fields, block)

    def finish(self) -> None:
        if self._pending is not None:
            rec = self._pending
            self._emit(rec, self._pending_text or "", rec.languages)
            self._pending = None


def generate_wet(
    warc_path: str | os.PathLike[str], out_path: str | os.PathLike[str] | None = None, **kw: Any
) -> Stats:
    """Write ``X.warc.wet.gz`` for ``X.warc.gz`` (next to it unless ``out_path`` is given)."""
    warc_path = os.fspath(warc_path)
    if out_path is None:
        out_path = os.path.join(os.path.dirname(warc_path), derived_name(warc_path, "wet"))
    kw.setdefault("background", True)  # reading a WARC leaves the second core idle
    with WetWriter(out_path, os.path.basename(warc_path), **kw) as writer:
        for rec in read_warc(warc_path):
            writer.add(rec)
    return writer.stats
