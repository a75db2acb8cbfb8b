"""WAT files: one JSON ``metadata`` record per WARC record, in Common Crawl's layout.

The JSON is built as ia-web-commons builds it (``GZIPResource``, ``WARCResource``, the HTTP,
warcinfo, metadata and HTML resource factories, ``WATExtractorOutput``), including the order in
which keys appear — which depends on *when* the generator's streams reach their end — and its
accumulate semantics (a repeated header becomes an array). Numbers are strings, JSON is compact,
non-ASCII is raw UTF-8 and only ``"``, ``\\``, control characters and ``</`` are escaped, as
openjson does.

Per-record API: ``WatWriter(path, warc_filename).add(record)`` for each
:class:`~ccdump.writers.record.WarcRecord` in file order; ``close()``. On any WARC file:
:func:`generate_wat`. The JSON is encoded by orjson when it is installed (~8x faster than the
standard library's C encoder on these objects, same bytes; see :func:`dump_json_bytes`). Block
and payload digests are read from the record when the WARC writer passes them
(``block_digest``/``payload_digest``), else computed.

Differences from Common Crawl's generator, kept on purpose:

* ``Software-Info: ccdump.<version>`` and this host's ``ip``/``hostname`` in the WAT warcinfo.
* Crawling@Home safety (commoncrawl-formats.md §6): in records without the
  ``HTML-Metadata.Links`` path, ``IMG@`` inside JSON strings is written ``IMG\\u0040`` (same
  parsed value), and ``IMG@`` in WAT header values is written ``IMG%40``, so every line containing
  ``IMG@`` is a WAT JSON line the workers can walk. Common Crawl's own WATs can break workers here.
* ``metadata`` records of type ``application/json`` and DNS responses get the generic payload
  metadata (lengths and digest); Common Crawl's generator fails on the former and adds a
  ``DNS-Metadata`` object for the latter.
* A record without ``WARC-Target-URI`` gets a WAT record without that header; Common Crawl's
  generator gives up on the whole file.
* HTML is parsed by lexbor (HTML5) instead of the htmlparser lexer; see
  :mod:`ccdump.writers.html_extract` for what that changes on malformed pages.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from typing import Any

from ccdump.writers.derived import (
    SOFTWARE_INFO,
    Clock,
    DerivedWriter,
    IdFactory,
    Stats,
    derived_name,
    new_record_id,
    record_member,
    rfc1123,
    utcnow,
    warc_date,
)
from ccdump.writers.httpparse import HttpParseError, parse_fields, parse_request_line
from ccdump.writers.httpview import block_fields, html_of, response_view
from ccdump.writers.record import WarcRecord, sha1_base32
from ccdump.writers.warcreader import read_warc

try:  # optional and ~8x faster on WAT records; the standard library's encoder gives the same bytes
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

ACL, TSL, BD, ACT = "Actual-Content-Length", "Trailing-Slop-Length", "Block-Digest", "Actual-Content-Type"
_EMPTY_SHA1 = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
WAT_FORMAT = "WARC File Format 1.0"
WAT_CONFORMS_TO = "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf"


def _acc(obj: dict[str, Any], key: str, value: Any) -> None:
    """``JSONObject.accumulate``: a second value turns the entry into an array."""
    if key in obj:
        current = obj[key]
        if isinstance(current, list):
            current.append(value)
        else:
            obj[key] = [current, value]
    else:
        obj[key] = value


def _fields_obj(fields: list[tuple[str, str]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for name, value in fields:
        _acc(obj, name, value)
    return obj


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _signed32(value: int) -> int:
    return value - (1 << 32) if value >= (1 << 31) else value


def _block_digest(rec: WarcRecord) -> str:
    digest = rec.block_digest or rec.cache.get("block_digest")
    if digest is None:
        digest = sha1_base32(rec.block)
        rec.cache["block_digest"] = digest
    return digest


def _warc_eof(pm: dict[str, Any], rec: WarcRecord) -> None:
    """``WARCResource.notifyEOF``: the block has been read to its end."""
    slop = rec.trailing_length
    if not rec.compressed and slop == 0:
        return  # the uncompressed branch only reports when newlines follow the block
    count = str(len(rec.block))
    if pm.get(ACL) != count:
        _acc(pm, ACL, count)
    _acc(pm, TSL, str(slop))
    _acc(pm, BD, _block_digest(rec))


def _warcinfo(pm: dict[str, Any], rec: WarcRecord) -> None:
    """``HTTPHeadersResourceFactory(WARC-Info-Metadata, application/warc-fields)``."""
    block = rec.block
    fields = parse_fields(block)
    if not fields.complete:
        _warc_eof(pm, rec)
    if fields.corrupt:
        _acc(pm, "Headers-Corrupt", True)
    consumed = str(fields.consumed)
    if pm.get(ACL) != consumed:
        _acc(pm, ACL, consumed)
    trailing = len(block) - fields.consumed
    if fields.complete:
        _warc_eof(pm, rec)
    if TSL not in pm or trailing > 0:
        _acc(pm, TSL, str(trailing))
    _acc(pm, ACT, "application/warc-fields")
    pm["WARC-Info-Metadata"] = _fields_obj(fields.headers)


def _metadata(pm: dict[str, Any], rec: WarcRecord) -> None:
    """``WARCMetaDataResourceFactory``: ``application/warc-fields`` name/value records."""
    block = rec.block
    _acc(pm, ACT, "application/metadata-fields")
    md: dict[str, Any] = {}
    pm["WARC-Metadata-Metadata"] = md
    fields = block_fields(rec)  # parsed once for WAT, WET and CDXJ
    if not fields.complete:
        _warc_eof(pm, rec)
    if fields.corrupt:
        md["FIELDS_CORRUPT"] = True
    trailing = len(block) - fields.consumed
    if fields.complete:
        _warc_eof(pm, rec)
    if TSL not in pm or trailing > 0:
        _acc(pm, TSL, str(trailing))
    consumed = str(fields.consumed)
    if pm.get(ACL) != consumed:
        _acc(pm, ACL, consumed)
    if fields.headers:
        md["Metadata-Records"] = [{"Name": name, "Value": value} for name, value in fields.headers]


def _request(pm: dict[str, Any], rec: WarcRecord) -> bool:
    """``HTTPRequestResourceFactory``; False where the generator throws and skips the record."""
    block = rec.block
    try:
        line = parse_request_line(block)
    except HttpParseError:
        return False
    fields = parse_fields(block, line.consumed)
    complete = fields.complete
    if not complete:
        _warc_eof(pm, rec)
    _acc(pm, ACT, "application/http; msgtype=request")
    hrm: dict[str, Any] = {}
    pm["HTTP-Request-Metadata"] = hrm
    message: dict[str, Any] = {"Method": line.method}
    if line.path is not None:
        message["Path"] = line.path
    message["Version"] = line.version
    hrm["Request-Message"] = message
    hrm["Headers-Length"] = str(line.counted + fields.consumed)
    if fields.corrupt:
        hrm["Headers-Corrupt"] = True
    hrm["Headers"] = _fields_obj(fields.headers)
    if complete:
        _warc_eof(pm, rec)
    entity = block[line.consumed + fields.consumed :]
    hrm["Entity-Length"] = str(len(entity))
    hrm["Entity-Digest"] = sha1_base32(entity) if entity else _EMPTY_SHA1
    hrm["Entity-Trailing-Slop-Length"] = "0"
    return True


def _response(pm: dict[str, Any], rec: WarcRecord) -> None:
    """``HTTPResponseResourceFactory`` plus ``HTMLResourceFactory`` for HTML pages."""
    block = rec.block
    view = response_view(rec)
    if not view.complete:
        _warc_eof(pm, rec)
    _acc(pm, ACT, "application/http; msgtype=response")
    hrm: dict[str, Any] = {}
    pm["HTTP-Response-Metadata"] = hrm
    message: dict[str, Any] = {"Status": str(view.status.status), "Version": view.status.version}
    if view.status.reason is not None:
        message["Reason"] = view.status.reason
    hrm["Response-Message"] = message
    hrm["Headers-Length"] = str(view.headers_length)
    if view.fields.corrupt:
        hrm["Headers-Corrupt"] = True
    hrm["Headers"] = _fields_obj(view.fields.headers)
    extract = html_of(rec)
    if extract is not None:
        hrm["HTML-Metadata"] = extract.metadata
    if view.complete:
        _warc_eof(pm, rec)
    entity_length = view.entity_end - view.entity_start
    hrm["Entity-Length"] = str(entity_length)
    if (
        rec.payload_digest is not None
        and view.entity_end == len(block)
        and (rec.payload_start is None or rec.payload_start == view.entity_start)
    ):
        hrm["Entity-Digest"] = rec.payload_digest
    else:
        hrm["Entity-Digest"] = sha1_base32(block[view.entity_start : view.entity_end])
    hrm["Entity-Trailing-Slop-Length"] = str(len(block) - view.entity_end)


def wat_json(rec: WarcRecord, warc_filename: str) -> dict[str, Any] | None:
    """The WAT JSON object for one WARC record, or None where the generator skips it."""
    container: dict[str, Any] = {
        "Filename": warc_filename,
        "Compressed": rec.compressed,
        "Offset": str(rec.offset),
    }
    if rec.compressed:
        gz: dict[str, Any] = {}
        info = rec.gzip_header
        if info is not None:
            if info.filename is not None:
                gz["Filename"] = info.filename
            if info.comment_length is not None:
                gz["Comment-Length"] = str(info.comment_length)
            if info.header_crc is not None:
                gz["Header-CRC"] = str(info.header_crc)
            for name, value in info.extra:
                shown: Any = int.from_bytes(value, "little") if name in ("SL", "LX") else value.hex().upper()
                gz.setdefault("F-Extra", []).append({"Name": name, "Value": shown})
        gz["Deflate-Length"] = str(rec.length)
        gz["Header-Length"] = str(info.length if info is not None else 10)
        gz["Footer-Length"] = "8"
        gz["Inflated-CRC"] = str(_signed32(rec.get_inflated_crc()))
        gz["Inflated-Length"] = str(rec.get_inflated_length())
        container["Gzip-Metadata"] = gz
    pm: dict[str, Any] = {}
    cc_fields = rec.cache.get("wat_warc_fields")
    headers = cc_fields.headers if cc_fields is not None else rec.headers
    envelope = {
        "Payload-Metadata": pm,
        "Format": "WARC/1.0",
        "WARC-Header-Length": str(rec.get_header_length()),
        "WARC-Header-Metadata": _fields_obj(headers),
    }
    kind = rec.type
    content_type = rec.content_type
    if kind == "warcinfo":
        _warcinfo(pm, rec)
    elif kind == "request":
        if not _request(pm, rec):
            return None
    elif kind == "metadata" and content_type != "application/json":
        _metadata(pm, rec)
    elif rec.is_http_response():
        _response(pm, rec)
    else:
        _warc_eof(pm, rec)
    return {"Container": container, "Envelope": envelope}


def has_links_path(obj: dict[str, Any]) -> bool:
    """Whether Crawling@Home workers find ``…HTML-Metadata.Links`` in this WAT JSON."""
    try:
        links = obj["Envelope"]["Payload-Metadata"]["HTTP-Response-Metadata"]["HTML-Metadata"]["Links"]
    except (KeyError, TypeError):
        return False
    return isinstance(links, list)


def dump_json(obj: dict[str, Any]) -> str:
    """Compact JSON as openjson writes it (raw UTF-8, ``</`` escaped, lower-case ``\\u00XX``)."""
    return _ENCODER.encode(obj).replace("</", "<\\/")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump_json_bytes(obj: dict[str, Any]) -> bytes:
    """:func:`dump_json` as UTF-8 (lone surrogates become ``?``), by orjson when it is installed.

    orjson writes the same compact form (raw UTF-8, the same escapes, ``\\u00XX`` in lower case);
    it refuses integers beyond 64 bits and lone surrogates, which then take the standard encoder.
    ``tests/writers/test_wat.py`` checks that both give the same bytes.
    """
    if _orjson is not None:
        try:
            return _orjson.dumps(obj).replace(b"</", b"<\\/")
        except TypeError:
            pass
    return dump_json(obj).encode("utf-8", "replace")


def _host_fields() -> list[tuple[str, str]]:
    try:
        hostname = socket.gethostname()
        return [("ip", socket.gethostbyname(hostname)), ("hostname", hostname)]
    except OSError:
        return []


class WatWriter(DerivedWriter):
    """Write a WAT file for one WARC file: ``add()`` every record of the WARC in order.

    ``warc_filename`` is the WARC's file name (``Container.Filename``); the WAT's own
    ``WARC-Filename`` derives from it. ``host`` replaces the ``ip``/``hostname`` fields of the WAT
    warcinfo (``[]`` omits them); ``now`` and ``make_id`` make output reproducible in tests.
    """

    kind = "wat"

    def __init__(
        self,
        path: str | os.PathLike[str],
        warc_filename: str,
        *,
        host: list[tuple[str, str]] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(path, warc_filename, **kw)
        self.host = _host_fields() if host is None else host
        self._started = False

    def _start(self) -> None:
        now = self.now()
        fields = [("Software-Info", SOFTWARE_INFO), ("Extracted-Date", rfc1123(now))]
        fields += self.host
        fields += [("format", WAT_FORMAT), ("conformsTo", WAT_CONFORMS_TO)]
        self.warcinfo(fields)
        self._started = True

    def add(self, rec: WarcRecord) -> None:
        """Describe one WARC record (call in file order, for every record)."""
        self.stats.records_in += 1
        if not self._started:
            self._start()
        prepared = rec.cache.get(PREPARED_KEY)
        if prepared is not None:  # made by prepare_wat_member in another process
            if prepared:
                self.write_prepared(prepared)
            return
        record = wat_record(rec, self.warc_filename, self.now, self.make_id)
        if record is not None:
            self.write_record(*record)


#: ``rec.cache`` key of a WAT record made ahead of the writer (:func:`prepare_wat_member`)
PREPARED_KEY = "wat_member"


def wat_record(
    rec: WarcRecord, warc_filename: str, now: Clock = utcnow, make_id: IdFactory = new_record_id
) -> tuple[list[tuple[str, str]], bytes] | None:
    """The WAT record describing ``rec`` (header fields, JSON block), or None where the generator skips it.

    A pure function of the record: WAT records do not depend on each other, so the WARC writer's
    process can make some of them ahead of the writer (:func:`prepare_wat_member`).
    """
    obj = wat_json(rec, warc_filename)
    if obj is None:
        return None
    data = dump_json_bytes(obj)
    if b"IMG@" in data and not has_links_path(obj):
        data = data.replace(b"IMG@", b"IMG\\u0040")
    headers = obj["Envelope"]["WARC-Header-Metadata"]
    kind = _first(headers.get("WARC-Type"))
    target = _first(headers.get("WARC-Filename" if kind == "warcinfo" else "WARC-Target-URI"))
    refers = _first(headers.get("WARC-Record-ID"))
    fields = [("WARC-Type", "metadata")]
    if target is not None:
        fields.append(("WARC-Target-URI", target.replace("IMG@", "IMG%40")))
    fields.append(("WARC-Date", warc_date(now())))
    fields.append(("WARC-Record-ID", make_id()))
    if refers is not None:
        fields.append(("WARC-Refers-To", refers))
    fields.append(("Content-Type", "application/json"))
    return fields, data


def prepare_wat_member(rec: WarcRecord, warc_filename: str, compress: Callable[[bytes], bytes]) -> None:
    """Make ``rec``'s WAT record, compressed, ahead of the :class:`WatWriter` that will write it.

    Stored in ``rec.cache[PREPARED_KEY]`` (``b""``: no WAT record); the writer then only appends
    it. Used by :class:`~ccdump.writers.commoncrawl.DerivedListeners` to share the WAT's work
    between two processes; the file is the same as when the writer makes the record itself.
    """
    record = wat_record(rec, warc_filename)
    rec.cache[PREPARED_KEY] = b"" if record is None else record_member(*record, compress)


def generate_wat(
    warc_path: str | os.PathLike[str], out_path: str | os.PathLike[str] | None = None, **kw: Any
) -> Stats:
    """Write ``X.warc.wat.gz`` for ``X.warc.gz`` (next to it unless ``out_path`` is given)."""
    warc_path = os.fspath(warc_path)
    if out_path is None:
        out_path = os.path.join(os.path.dirname(warc_path), derived_name(warc_path, "wat"))
    kw.setdefault("background", True)  # reading a WARC leaves the second core idle
    with WatWriter(out_path, os.path.basename(warc_path), **kw) as writer:
        for rec in read_warc(warc_path):
            writer.add(rec)
    return writer.stats
