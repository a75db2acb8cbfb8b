"""Decode a stored value by its Java class name, consuming exactly the stored bytes.

Keys the dispatch on the value class from the SequenceFile header, so the same reader serves
segments, the linkdb and the crawldb.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccdump.hadoop.writables import DataInput, DecodeError
from ccdump.nutch import content, crawldatum, linkdb, parse

_DECODERS: dict[str, Callable[[DataInput], Any]] = {
    content.CLASS: content.read_content,
    crawldatum.CLASS: crawldatum.read_crawl_datum,
    parse.PARSE_TEXT: parse.read_parse_text,
    linkdb.CLASS: linkdb.read_inlinks,
}


def can_decode(value_class: str) -> bool:
    return value_class in _DECODERS or value_class == parse.PARSE_DATA


def decode_value(
    value_class: str, raw: bytes, *, outlink_layout: parse.OutlinkLayout = "flag", legacy_utf8: bool = False
) -> Any:
    """Decode ``raw`` as ``value_class``; raises DecodeError unless every byte is consumed.

    ``legacy_utf8`` (files with ``UTF8`` keys, Nutch 0.8): strings inside CrawlDatum metadata and
    Inlinks are UTF8 too.
    """
    d = DataInput(raw)
    if legacy_utf8 and value_class == crawldatum.CLASS:
        value = crawldatum.read_crawl_datum(d, legacy_utf8=True)
        if not d.at_end():
            raise DecodeError(d.pos, "the end of the CrawlDatum value", f"{d.remaining()} more bytes")
        return value
    if legacy_utf8 and value_class == linkdb.CLASS:
        return linkdb.read_inlinks(d, legacy_utf8=True)
    if value_class == parse.PARSE_DATA:
        return parse.read_parse_data(d, outlink_layout)  # checks exact length itself
    try:
        decoder = _DECODERS[value_class]
    except KeyError:
        raise DecodeError(0, "a Nutch value class ccdump can decode", value_class) from None
    value = decoder(d)
    if not d.at_end():
        raise DecodeError(d.pos, f"the end of the {value_class.rsplit('.', 1)[-1]} value", f"{d.remaining()} more bytes")
    return value
