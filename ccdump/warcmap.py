"""Document → WARC records in Common Crawl's layout (spec commoncrawl-formats.md §1, nutch-dumper.md §8.4).

No I/O: this module decides what each record says; :mod:`ccdump.writers.warc` decides where it
goes. A capture is ``request`` (when ``_request_`` was stored), ``response`` (or ``revisit`` for a
304, or ``resource`` when no HTTP header can be rebuilt) and ``metadata`` (when it has a field),
with Common Crawl's header order per record type.

Records are built without the ``WARC-Warcinfo-ID`` value, which belongs to the file a record lands
in; the writer fills it in when it serialises, so rotating to a new file needs no re-mapping and no
new digests. Record ids and the clock are injectable so golden-bytes tests are possible.
"""

from __future__ import annotations

import base64
import calendar
import codecs
import hashlib
import ipaddress
import json
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from http import HTTPStatus
from urllib.parse import urlsplit

from ccdump import __version__
from ccdump.config import NutchConfig
from ccdump.errors import ConfigError
from ccdump.nutch.crawldatum import CrawlDatum
from ccdump.nutch.document import Document
from ccdump.nutch.metadata import Metadata
from ccdump.web import charset, dates

IdFactory = Callable[[], str]
#: Language detector hook: (document, charset codec or None) → (CLD2-style JSON, ISO-639-3 codes) or None.
LanguageDetector = Callable[[Document, "str | None"], "tuple[str, str] | None"]

WARC_1_0 = "WARC/1.0"
WARC_1_1 = "WARC/1.1"
CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
HTTP_REQUEST = "application/http; msgtype=request"
HTTP_RESPONSE = "application/http; msgtype=response"
WARC_FIELDS = "application/warc-fields"
HTML_TYPES = ("text/html", "application/xhtml+xml")
TRUNCATION_REASONS = ("length", "time", "disconnect", "unspecified")
STATUS_FETCH_SUCCESS = 0x21
#: ProtocolStatus code → the status line Common Crawl writes when no verbatim header exists.
PROTOCOL_STATUS_LINES = {
    1: "HTTP/1.1 200 OK",
    12: "HTTP/1.1 301 Moved Permanently",
    13: "HTTP/1.1 302 Found",
    21: "HTTP/1.1 304 Not Modified",
}
#: Content metadata keys Nutch adds itself; never HTTP headers (nutch-writables.md §11).
INTERNAL_KEYS = frozenset({
    "_ip_", "_request_", "_response.headers_", "_protocol_versions_", "_cipher_suites_", "nutch.fetch.time",
    "http.content.truncated", "http.content.truncated.reason", "nutch.segment.name", "nutch.crawl.score",
    "nutch.content.digest", "_fst_", "_ftk_", "_pst_", "_ngt_", "_repr_", "nutch.protocol.code",
})  # fmt: skip

_STATUS_LINE = re.compile(r"^HTTP/1\.[01] [0-9]{3}(?: .*)?$")
_HTTP_1X = re.compile(r"^HTTP/1\.[01]$")
_THREE_DIGITS = re.compile(r"^[0-9]{3}$")
_PROBLEMATIC = re.compile(r"(?i)Content-(?:Encoding|Length)|Transfer-Encoding")
_JAVA_INT = re.compile(r"^[+-]?[0-9]+$")
_TLS_VERSION = re.compile(r"^(?:ssl|tls)v[0-9]", re.I)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: bytes of a URL that RFC 3986 does not allow anywhere (plus '%', handled separately)
_URI_UNSAFE = re.compile(r"[^!#$-;=?-\[\]_a-z~]|%(?![0-9A-Fa-f]{2})")
_WHATWG_NAMES = {
    "utf-8": "UTF-8", "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE", "utf-16": "UTF-16",
    "cp932": "Shift_JIS", "shift_jis": "Shift_JIS", "euc_jp": "EUC-JP", "iso2022_jp": "ISO-2022-JP",
    "gbk": "GBK", "gb18030": "GB18030", "gb2312": "GB2312", "big5hkscs": "Big5", "big5": "Big5",
    "cp949": "EUC-KR", "euc_kr": "EUC-KR", "cp874": "windows-874", "koi8-r": "KOI8-R", "koi8-u": "KOI8-U",
    "mac-roman": "macintosh", "iso8859-1": "ISO-8859-1", "ascii": "US-ASCII",
}  # fmt: skip


def new_record_id() -> str:
    """``<urn:uuid:…>`` with a random (version 4) UUID, as Common Crawl's 2024 files have."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def sha1_base32(*parts: bytes) -> str:
    """``sha1:`` + RFC 4648 Base32 of the parts' concatenation (no copy of the parts)."""
    h = hashlib.sha1()
    for part in parts:
        h.update(part)
    return "sha1:" + base64.b32encode(h.digest()).decode("ascii")


def warc_date(ms: int) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss'Z'`` in UTC, whole seconds, as Common Crawl writes it.

    >>> warc_date(1715997490000)
    '2024-05-18T01:58:10Z'
    """
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def file_timestamp(ms: int) -> str:
    """The 17-digit ``yyyyMMddHHmmssSSS`` UTC stamp of WARC file names.

    >>> file_timestamp(1715997490123)
    '20240518015810123'
    """
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(ms // 1000)) + f"{ms % 1000:03d}"


def _field(value: str) -> str:
    """A header value on one line: CR and LF would end the field early."""
    if "\r" in value or "\n" in value:
        return value.replace("\r", " ").replace("\n", " ")
    return value


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "replace")


# --- field values ----------------------------------------------------------------------------------


def target_uri(url: str) -> str:
    """The key URL as a valid URI: host through IDNA, disallowed bytes as UTF-8 ``%XX``, never skipped.

    >>> target_uri("https://bücher.example/a b?q=\\"x\\"|y#f")
    'https://xn--bcher-kva.example/a%20b?q=%22x%22%7Cy#f'
    >>> target_uri("http://a.org/100%/%41")
    'http://a.org/100%25/%41'
    """
    if not url.isascii():
        url = _idna_host(url)
    if _URI_UNSAFE.search(url) is None:
        return url
    return _URI_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in _utf8(m.group())), url)


def _idna_host(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return url
    if not host or host.isascii():
        return url
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return url  # left to percent-encoding
    netloc = parts.netloc
    at = netloc.rfind("@") + 1
    start = netloc.lower().find(host, at)
    if start < 0:
        return url
    netloc = netloc[:start] + ascii_host + netloc[start + len(host) :]
    head = f"{parts.scheme}://" if parts.scheme else "//"
    return head + netloc + url[len(head) + len(parts.netloc) :] if url.startswith(head) else url


@lru_cache(maxsize=1024)  # a crawl revisits the same few hosts: parse each address once
def canonical_ip(value: str | None) -> str | None:
    """``_ip_`` in canonical form (IPv6 compressed, lower case); None when absent or not an address.

    >>> canonical_ip("2001:0DB8:0:0:0:0:1:5"), canonical_ip("::ffff:192.0.2.1"), canonical_ip("IP")
    ('2001:db8::1:5', '192.0.2.1', None)
    """
    if not value or not value.strip():
        return None
    try:
        addr = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)  # Guava's InetAddresses gives the IPv4 form too
    return addr.compressed


def protocol_names(value: str | None) -> list[str]:
    """``_protocol_versions_`` as WARC-Protocol values.

    >>> protocol_names("h2,TLSv1.3"), protocol_names("HTTP/1.1, SSLv3")
    (['h2', 'tls/1.3'], ['http/1.1', 'ssl/3'])
    """
    out = []
    for item in (value or "").split(","):
        name = item.strip().lower()
        if _TLS_VERSION.match(name):
            name = name[:3] + "/" + name[4:]
        if name:
            out.append(_field(name))
    return out


def java_charset_name(codec: str) -> str:
    """The charset name readers expect (``UTF-8``, ``windows-1252``) for a Python codec name.

    >>> java_charset_name("cp1252"), java_charset_name("iso8859-15"), java_charset_name("cp932")
    ('windows-1252', 'ISO-8859-15', 'Shift_JIS')
    """
    name = codecs.lookup(codec).name
    if name in _WHATWG_NAMES:
        return _WHATWG_NAMES[name]
    m = re.fullmatch(r"cp(125[0-8])", name)
    if m:
        return f"windows-{m.group(1)}"
    m = re.fullmatch(r"iso8859-(\d+)", name)
    if m:
        return f"ISO-8859-{m.group(1)}"
    return name.upper().replace("_", "-")


# --- HTTP headers ----------------------------------------------------------------------------------


def normalise_head(text: str) -> str:
    """Line ends as CRLF and exactly one terminating blank line, before ``fix_http_headers``."""
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip("\r"):
        lines.pop()
    return "\r\n".join(line.rstrip("\r") for line in lines) + "\r\n\r\n"


def fix_status_line(line: str) -> str:
    """Common Crawl's status-line repair: ``HTTP/2 200`` → ``HTTP/1.1 200 `` (reason kept, maybe empty).

    >>> fix_status_line("HTTP/2 200 "), fix_status_line("HTTP/1.0 404 Not Found"), fix_status_line("junk")
    ('HTTP/1.1 200 ', 'HTTP/1.0 404 Not Found', 'junk')
    """
    if _STATUS_LINE.match(line):
        return line
    parts = re.split(r"\s+", line, maxsplit=2)
    if len(parts) < 2 or not _THREE_DIGITS.match(parts[1]):
        return line
    version = parts[0] if _HTTP_1X.match(parts[0]) else "HTTP/1.1"
    return f"{version} {parts[1]} {parts[2] if len(parts) == 3 else ''}"


def _java_int(value: str) -> int | None:
    value = value.strip()
    if not _JAVA_INT.match(value):
        return None
    n = int(value)
    return n if -(2**31) <= n < 2**31 else None


def fix_http_headers(head: str, payload_length: int) -> str:
    """Common Crawl's ``fixHttpHeaders`` on a normalised header (status line first, CRLF, blank line last).

    ``Content-Encoding``/``Transfer-Encoding`` lines and a ``Content-Length`` that is not the
    stored (decoded) payload length get ``X-Crawler-`` before the whole original line; the wrong
    length is followed by the true one, and a missing one is appended, because WARC readers trust
    these headers to decode a payload that is already decoded. Colon-less lines after the status
    line are dropped (Common Crawl keeps one directly before the blank line; ccdump does not, since
    readers choke on it).

    >>> fix_http_headers("HTTP/2 200 \\r\\ncontent-encoding: gzip\\r\\ncontent-length: 3\\r\\n\\r\\n", 9)
    'HTTP/1.1 200 \\r\\nX-Crawler-content-encoding: gzip\\r\\nX-Crawler-content-length: 3\\r\\nContent-Length: 9\\r\\n\\r\\n'
    """
    lines = head.split("\r\n")[:-2]
    out = [fix_status_line(lines[0])] if lines else []
    has_length = False
    for line in lines[1:]:
        colon = line.find(":")
        if colon < 0:
            continue
        name = line[:colon]
        if _PROBLEMATIC.fullmatch(name):
            is_length = name.lower() == "content-length"
            if is_length:
                has_length = True
                if _java_int(line[colon + 1 :]) == payload_length:
                    out.append(line)
                    continue
            out.append("X-Crawler-" + line)
            if is_length:
                out.append(f"Content-Length: {payload_length}")
            continue
        out.append(line)
    if not has_length:
        out.append(f"Content-Length: {payload_length}")
    return "\r\n".join(out) + "\r\n\r\n"


def rebuild_http_headers(status_line: str, meta: Metadata, payload_length: int) -> str:
    """An HTTP header from the content metadata when Nutch did not store the verbatim one.

    Names in stored order, one line per value, internal keys left out; the same renaming as
    :func:`fix_http_headers` with canonical names (``X-Crawler-Content-Encoding``), and the true
    ``Content-Length`` always present (Common Crawl's reconstruction, spec §8.4).
    """
    out = [status_line]
    has_length = False
    for name, values in meta:
        if name in INTERNAL_KEYS or not _TOKEN.match(name):
            continue
        lname = name.lower()
        for raw in values:
            value = _field(raw)
            if lname == "content-length":
                if has_length:
                    out.append(f"X-Crawler-Content-Length: {value}")
                elif _java_int(value) == payload_length:
                    out.append(f"{name}: {value}")
                else:
                    out += [f"Content-Length: {payload_length}", f"X-Crawler-Content-Length: {value}"]
                has_length = True
            elif lname in ("content-encoding", "transfer-encoding") and value.strip().lower() != "identity":
                canonical = "Content-Encoding" if lname == "content-encoding" else "Transfer-Encoding"
                out.append(f"X-Crawler-{canonical}: {value}")
            else:
                out.append(f"{name}: {value}")
    if not has_length:
        out.append(f"Content-Length: {payload_length}")
    return "\r\n".join(out) + "\r\n\r\n"


def fix_request(text: str) -> bytes:
    """The stored request header with an ``HTTP/2`` request line as ``HTTP/1.1`` and CRLF line ends."""
    head = normalise_head(text)
    first, sep, rest = head.partition("\r\n")
    if first.endswith(" HTTP/2"):
        first = first[: -len("HTTP/2")] + "HTTP/1.1"
    return _utf8(first + sep + rest)


def _status_code(status_line: str) -> int | None:
    parts = status_line.split(" ", 2)
    return int(parts[1]) if len(parts) > 1 and _THREE_DIGITS.match(parts[1]) else None


def _meta_text(datum: CrawlDatum | None, key: str) -> str | None:
    if datum is None:
        return None
    w = datum.meta(key)
    return None if w is None or w.value is None else str(w.value)


def status_line_from_fetch(doc: Document) -> str | None:
    """The status line Common Crawl rebuilds from the fetch status (spec §8.4), or None."""
    datum = doc.fetch
    if datum is not None:
        pst = datum.protocol_status
        if pst is not None and pst.code in PROTOCOL_STATUS_LINES:
            return PROTOCOL_STATUS_LINES[pst.code]
        code = _java_int(_meta_text(datum, "nutch.protocol.code") or "")
        if code is not None and 100 <= code <= 999:
            try:
                reason = HTTPStatus(code).phrase
            except ValueError:
                reason = ""
            return f"HTTP/1.1 {code} {reason}"
    assert doc.content is not None
    if doc.content.metadata.get("_fst_") == str(STATUS_FETCH_SUCCESS):
        return "HTTP/1.1 200 OK"
    return None


def truncation(doc: Document, server_headers: list[tuple[str, str]], limit: int) -> str | None:
    """``WARC-Truncated`` value: the stored reason, else a reason inferred from the server's length.

    Inferred only when the server's ``Content-Length`` exceeds the stored bytes of an unencoded
    body: ``length`` when the stored size reached ``http.content.limit`` (that limit cut it),
    ``unspecified`` otherwise (a dropped connection looks the same).
    """
    assert doc.content is not None
    meta = doc.content.metadata
    reason = meta.get("http.content.truncated.reason")
    if reason is not None and reason.strip():
        reason = reason.strip().lower()
        return reason if reason in TRUNCATION_REASONS else "unspecified"
    flag = meta.get("http.content.truncated")
    if flag is not None:
        return "unspecified" if flag.strip().lower() == "true" else None
    stored = len(doc.content.content)
    declared = None
    for name, value in server_headers:
        lname = name.lower()
        if lname == "content-encoding" and value.strip().lower() not in ("", "identity"):
            return None
        if lname == "content-length" and declared is None:
            declared = _java_int(value)
    if declared is None or declared <= stored:
        return None
    return "length" if 0 < limit <= stored else "unspecified"


def _header_pairs(head: str) -> list[tuple[str, str]]:
    pairs = []
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            pairs.append((name.strip(), value.strip()))
    return pairs


def detect_charset(doc: Document, parser_charsets: tuple[str | None, ...]) -> str | None:
    """Charset of an HTML page from BOM, Content-Type, the parser or a declaration (§3.3 steps 1–4)."""
    assert doc.content is not None
    body = doc.content.content
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16-le" if body.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    found = charset.charset_from_content_type(doc.content.metadata.get("Content-Type") or doc.content.content_type)
    for candidate in (found, *(charset.normalise(c) for c in parser_charsets)):
        if candidate:
            return candidate
    return charset.sniff_declared(body)


# --- records ---------------------------------------------------------------------------------------

#: placeholder value of ``WARC-Warcinfo-ID`` until the record's file is known
WARCINFO_ID = "\0warcinfo"


@dataclass(slots=True, eq=False)
class Record:
    """One WARC record before it has a file: ordered header fields and a block of two parts.

    ``fields`` include ``Content-Length``; ``WARC-Warcinfo-ID`` holds :data:`WARCINFO_ID` until
    :meth:`header_bytes` is given the id of the file's warcinfo record. ``head`` is the HTTP
    header (empty for non-HTTP blocks), ``payload`` the rest of the block.
    """

    type: str
    record_id: str
    fields: list[tuple[str, str]]
    head: bytes = b""
    payload: bytes = b""
    version: str = WARC_1_0

    @property
    def block_length(self) -> int:
        return len(self.head) + len(self.payload)

    def headers(self, warcinfo_id: str | None) -> list[tuple[str, str]]:
        """The header fields with the warcinfo id filled in (dropped when there is none)."""
        out = []
        for name, value in self.fields:
            if value == WARCINFO_ID:
                if warcinfo_id is None:
                    continue
                value = warcinfo_id
            out.append((name, value))
        return out

    def header_bytes(self, warcinfo_id: str | None) -> bytes:
        """Version line, fields, blank line: everything before the block."""
        lines = "".join(f"{name}: {value}\r\n" for name, value in self.headers(warcinfo_id))
        return _utf8(f"{self.version}\r\n{lines}\r\n")

    def chunks(self, warcinfo_id: str | None) -> tuple[bytes, ...]:
        """The whole serialised record as chunks (no copy of the payload)."""
        return (self.header_bytes(warcinfo_id), self.head, self.payload, b"\r\n\r\n")


@dataclass(slots=True)
class _Shared:
    """What every record of a capture repeats: target URI, date, IP address, protocol fields."""

    uri: str
    date: str
    ip: str | None
    tls: list[tuple[str, str]]


@dataclass(slots=True, eq=False)
class Capture:
    """The records of one fetched document, in file order, plus what derived outputs reuse."""

    url: str
    target_uri: str
    date_ms: int
    records: list[Record]
    main: Record  # the response, revisit or resource record
    status: int | None = None
    segment: str | None = None
    charset: str | None = None  # name as written to charset-detected
    languages: str | None = None  # ISO-639-3 codes joined by ','
    text: str | None = None  # Nutch's parse text, when joined


@dataclass
class WarcMapper:
    """Builds records from documents; the configuration supplies warcinfo fields and limits.

    ``make_id`` and ``now_ms`` are injectable so tests can compare bytes. ``detect_language``
    fills ``languages-cld2`` (none is bundled: no CLD2 binding is installed with ccdump).
    ``rebuild_request`` writes a request record from the configured agent when ``_request_`` was
    not stored (off by default: Common Crawl writes none, and an invented request misleads).
    """

    config: NutchConfig = field(default_factory=NutchConfig)
    make_id: IdFactory = new_record_id
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)  # noqa: E731
    version: str = WARC_1_0
    detect_language: LanguageDetector | None = None
    rebuild_request: bool = False

    def __post_init__(self) -> None:
        if self.version not in (WARC_1_0, WARC_1_1):
            raise ValueError(f"WARC version must be {WARC_1_0} or {WARC_1_1}, not {self.version!r}")
        self.content_limit = self.config.get_int("http.content.limit", 1_048_576)

    # --- warcinfo -----------------------------------------------------------------------------------

    def warcinfo_date_ms(self, default_ms: int | None = None) -> int:
        """``warc.export.date`` (yyyyMMddHHmmss, UTC) when set, else ``default_ms`` (the file's creation), else now."""
        stamp = self.config.get_str("warc.export.date").strip()
        if stamp:
            try:
                return calendar.timegm(time.strptime(stamp, "%Y%m%d%H%M%S")) * 1000
            except ValueError:
                raise ConfigError(f"warc.export.date: expected yyyyMMddHHmmss, found {stamp!r}") from None
        return self.now_ms() if default_ms is None else default_ms

    def warcinfo_fields(self, is_part_of: str | None) -> list[tuple[str, str]]:
        """Block fields in Common Crawl's order, each only when known (spec §8.4, issue #4)."""
        get = self.config.get_str
        agent = user_agent(self.config)
        values = [
            ("isPartOf", get("warc.export.isPartOf") or is_part_of or ""),
            ("publisher", get("warc.export.publisher")),
            ("description", get("warc.export.description")),
            ("operator", get("warc.export.operator") or get("http.agent.email")),
            ("hostname", get("warc.export.hostname") or local_hostname()),
            ("software", get("warc.export.software") or f"ccdump {__version__}"),
            ("robots", get("warc.export.robots") or "classic"),
            ("http-header-user-agent", agent),
            ("format", "WARC File Format 1.1"),
            ("conformsTo", CONFORMS_TO),
        ]
        return [(k, _field(v)) for k, v in values if v]

    def warcinfo(self, filename: str, date_ms: int, is_part_of: str | None = None) -> Record:
        """The first record of a file; its block ends without a blank line, as Common Crawl's does."""
        block = _utf8("".join(f"{k}: {v}\r\n" for k, v in self.warcinfo_fields(is_part_of)))
        fields = [
            ("WARC-Type", "warcinfo"),
            ("WARC-Date", warc_date(date_ms)),
            ("WARC-Record-ID", self.make_id()),
            ("Content-Length", str(len(block))),
            ("Content-Type", WARC_FIELDS),
            ("WARC-Filename", _field(filename)),
        ]
        return Record("warcinfo", fields[2][1], fields, b"", block, self.version)

    # --- captures -----------------------------------------------------------------------------------

    def capture_date_ms(self, doc: Document, fallback_ms: int) -> int:
        """crawl_fetch fetchTime → ``nutch.fetch.time`` → ``_ftk_`` → HTTP ``Date`` → ``fallback_ms``."""
        datum = doc.fetch
        if datum is not None and datum.fetch_time > 0:
            return datum.fetch_time
        meta = doc.content.metadata if doc.content is not None else Metadata()
        sources = [meta.get("nutch.fetch.time")]
        if doc.parse_data is not None:
            sources.append(doc.parse_data.content_meta.get("_ftk_"))
        for value in sources:
            if value and value.strip().isascii() and value.strip().isdigit() and int(value) > 0:
                return int(value)
        ms = dates.parse_http_date(meta.get("Date"))
        return ms if ms is not None and ms > 0 else fallback_ms

    def capture(self, doc: Document, fallback_ms: int | None = None) -> Capture | None:
        """The records of one document; None when it has no content (nothing was stored)."""
        if doc.content is None:
            return None
        meta = doc.content.metadata
        date_ms = self.capture_date_ms(doc, self.now_ms() if fallback_ms is None else fallback_ms)
        ctx = _Shared(
            uri=target_uri(doc.url),
            date=warc_date(date_ms),
            ip=canonical_ip(meta.get("_ip_")),
            tls=[("WARC-Protocol", p) for p in protocol_names(meta.get("_protocol_versions_"))]
            + [("WARC-Cipher-Suite", _field(c.strip())) for c in (meta.get("_cipher_suites_") or "").split(",") if c.strip()],
        )
        records = []
        request = self._request_record(doc, ctx)
        if request is not None:
            records.append(request)
        main, status = self._main_record(doc, ctx, request.record_id if request is not None else None)
        records.append(main)
        capture = Capture(doc.url, ctx.uri, date_ms, records, main, status, doc.segment)
        if doc.parse_text is not None:
            capture.text = doc.parse_text.text
        block = self._metadata_block(doc, capture)
        if block:
            fields = self._common("metadata", ctx.date, self.make_id(), len(block), WARC_FIELDS)
            fields += [("WARC-Warcinfo-ID", WARCINFO_ID), ("WARC-Concurrent-To", main.record_id), ("WARC-Target-URI", ctx.uri)]
            records.append(Record("metadata", fields[2][1], fields, b"", block, self.version))
        return capture

    def _request_record(self, doc: Document, ctx: _Shared) -> Record | None:
        """The stored request (HTTP/2 request line as HTTP/1.1), or a rebuilt one when asked for."""
        assert doc.content is not None
        text = doc.content.metadata.get("_request_")
        if text and text.strip():
            block = fix_request(text)
        elif self.rebuild_request:
            block = rebuild_request(doc.url, self.config)
        else:
            return None
        record_id = self.make_id()
        fields = self._common("request", ctx.date, record_id, len(block), HTTP_REQUEST)
        fields += [("WARC-Warcinfo-ID", WARCINFO_ID), *self._ip_uri(ctx), *ctx.tls]
        return Record("request", record_id, fields, block, b"", self.version)

    def _main_record(self, doc: Document, ctx: _Shared, request_id: str | None) -> tuple[Record, int | None]:
        """(response, revisit or resource record, HTTP status) in Common Crawl's field order."""
        assert doc.content is not None
        content, payload, record_id = doc.content, doc.content.content, self.make_id()
        identified = _field(content.content_type.strip())
        head_text, status = self._response_head(doc)
        if head_text is None:  # no status line to be found: the bytes alone, as a resource
            digest = sha1_base32(payload)
            fields = self._common("resource", ctx.date, record_id, len(payload), identified or "application/octet-stream")
            fields += self._links("WARC-Concurrent-To", request_id) + self._ip_uri(ctx)
            fields += [("WARC-Payload-Digest", digest), ("WARC-Block-Digest", digest)]
            server = [(k, v[0]) for k, v in content.metadata if v]
            fields += self._tail(truncation(doc, server, self.content_limit), identified)
            return Record("resource", record_id, fields, b"", payload, self.version), None
        head = _utf8(head_text)
        if status == 304:  # not modified: a revisit holding the HTTP header only
            fields = self._common("revisit", ctx.date, record_id, len(head), HTTP_RESPONSE)
            fields += self._links("WARC-Refers-To", request_id) + self._ip_uri(ctx) + ctx.tls
            fields.append(("WARC-Refers-To-Target-URI", ctx.uri))
            modified = doc.fetch.modified_time if doc.fetch is not None else 0
            if modified > 0:
                fields.append(("WARC-Refers-To-Date", warc_date(modified)))
            fields += [("WARC-Profile", PROFILE_NOT_MODIFIED), ("WARC-Block-Digest", sha1_base32(head))]
            return Record("revisit", record_id, fields, head, b"", self.version), status
        fields = self._common("response", ctx.date, record_id, len(head) + len(payload), HTTP_RESPONSE)
        fields += self._links("WARC-Concurrent-To", request_id) + self._ip_uri(ctx) + ctx.tls
        fields += [("WARC-Payload-Digest", sha1_base32(payload)), ("WARC-Block-Digest", sha1_base32(head, payload))]
        truncated = truncation(doc, self._server_headers(doc), self.content_limit)
        fields += self._tail(truncated, identified)
        return Record("response", record_id, fields, head, payload, self.version), status

    def parse_records(self, doc: Document, capture: Capture, *, data: bool, text: bool) -> list[Record]:
        """WARCExporter's ``-includeParseData`` / ``-includeParseText`` records, referring to the response."""
        out: list[Record] = []
        date, uri, refers = warc_date(capture.date_ms), capture.target_uri, capture.main.record_id
        if data and doc.parse_data is not None:
            pd = doc.parse_data
            payload = _utf8(json.dumps({"contentMeta": _meta_json(pd.content_meta), "parseMeta": _meta_json(pd.parse_meta)},
                                       ensure_ascii=False, separators=(",", ":")))
            fields = self._common("metadata", date, self.make_id(), len(payload), "application/json")
            fields += [("WARC-Warcinfo-ID", WARCINFO_ID), ("WARC-Refers-To", refers), ("WARC-Target-URI", uri)]
            out.append(Record("metadata", fields[2][1], fields, b"", payload, self.version))
        if text and doc.parse_text is not None:
            payload = _utf8(doc.parse_text.text)
            fields = self._common("conversion", date, self.make_id(), len(payload), "text/plain")
            fields += [("WARC-Warcinfo-ID", WARCINFO_ID), ("WARC-Refers-To", refers), ("WARC-Target-URI", uri),
                       ("WARC-Block-Digest", sha1_base32(payload))]
            out.append(Record("conversion", fields[2][1], fields, b"", payload, self.version))
        return out

    # --- pieces ---------------------------------------------------------------------------------------

    @staticmethod
    def _common(kind: str, date: str, record_id: str, length: int, content_type: str) -> list[tuple[str, str]]:
        return [("WARC-Type", kind), ("WARC-Date", date), ("WARC-Record-ID", record_id),
                ("Content-Length", str(length)), ("Content-Type", content_type)]

    @staticmethod
    def _links(name: str, request_id: str | None) -> list[tuple[str, str]]:
        """``WARC-Warcinfo-ID`` (filled per file), then the link to the request record if one was written."""
        return [("WARC-Warcinfo-ID", WARCINFO_ID)] + ([(name, request_id)] if request_id else [])

    @staticmethod
    def _ip_uri(ctx: _Shared) -> list[tuple[str, str]]:
        return ([("WARC-IP-Address", ctx.ip)] if ctx.ip else []) + [("WARC-Target-URI", ctx.uri)]

    @staticmethod
    def _tail(truncated: str | None, identified: str) -> list[tuple[str, str]]:
        return ([("WARC-Truncated", truncated)] if truncated else []) + (
            [("WARC-Identified-Payload-Type", identified)] if identified else []
        )

    def _response_head(self, doc: Document) -> tuple[str | None, int | None]:
        """(HTTP header text, status code): verbatim and fixed when stored, else rebuilt, else (None, None)."""
        assert doc.content is not None
        meta, length = doc.content.metadata, len(doc.content.content)
        verbatim = meta.get("_response.headers_")
        if verbatim and verbatim.strip():
            if "\n" in verbatim.strip():
                head = fix_http_headers(normalise_head(verbatim), length)
                status = _status_code(head[: head.index("\r\n")])
                if status is not None and _STATUS_LINE.match(head[: head.index("\r\n")]):
                    return head, status
            else:
                line = fix_status_line(verbatim.strip())
                if _STATUS_LINE.match(line):
                    return rebuild_http_headers(line, meta, length), _status_code(line)
        line = status_line_from_fetch(doc)
        if line is None:
            return None, None
        return rebuild_http_headers(line, meta, length), _status_code(line)

    @staticmethod
    def _server_headers(doc: Document) -> list[tuple[str, str]]:
        """The server's own headers: the verbatim ones when stored, else the metadata."""
        assert doc.content is not None
        meta = doc.content.metadata
        verbatim = meta.get("_response.headers_")
        if verbatim and "\n" in verbatim.strip():
            return _header_pairs(normalise_head(verbatim))
        return [(k, v[0]) for k, v in meta if v and k not in INTERNAL_KEYS]

    def _metadata_block(self, doc: Document, capture: Capture) -> bytes:
        """``fetchTimeMs``, ``charset-detected`` (HTML), ``languages-cld2`` (with a detector), then a blank line."""
        assert doc.content is not None
        fields = []
        rs = _meta_text(doc.fetch, "_rs_")
        if rs is not None and rs.strip():
            fields.append(("fetchTimeMs", rs.strip()))
        codec = None
        if doc.content.content_type.split(";")[0].strip().lower() in HTML_TYPES:
            pm = doc.parse_data.parse_meta if doc.parse_data is not None else None
            parser = (pm.get("CharEncodingForConversion"), pm.get("OriginalCharEncoding")) if pm else ()
            codec = detect_charset(doc, parser)
            if codec:
                capture.charset = java_charset_name(codec)
                fields.append(("charset-detected", capture.charset))
        if self.detect_language is not None:
            found = self.detect_language(doc, codec)
            if found:
                result, capture.languages = found
                fields.append(("languages-cld2", _field(result)))
        if not fields:
            return b""
        return _utf8("".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n")


def _meta_json(meta: Metadata) -> dict[str, object]:
    return {k: (v[0] if len(v) == 1 else list(v)) for k, v in meta}


def user_agent(config: NutchConfig) -> str:
    """Nutch's agent string: ``name/version (description; url; email)``; empty without ``http.agent.name``."""
    get = config.get_str
    name = get("http.agent.name").strip()
    if not name:
        return ""
    agent = name
    version = get("http.agent.version").strip()
    if version:
        agent += "/" + version
    extras = [v for v in (get("http.agent.description"), get("http.agent.url"), get("http.agent.email")) if v.strip()]
    if extras:
        agent += " (" + "; ".join(v.strip() for v in extras) + ")"
    return _field(agent)


def rebuild_request(url: str, config: NutchConfig) -> bytes:
    """A GET request as Nutch's HTTP plugins send it, from the configuration (opt-in)."""
    parts = urlsplit(target_uri(url))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {path} HTTP/1.1"]
    agent = user_agent(config)
    if agent:
        lines.append(f"User-Agent: {agent}")
    for header, key in (("Accept", "http.accept"), ("Accept-Language", "http.accept.language")):
        if config.get_str(key):
            lines.append(f"{header}: {_field(config.get_str(key))}")
    lines.append(f"Host: {parts.netloc}")
    return _utf8("\r\n".join(lines) + "\r\n\r\n")


_HOSTNAME: list[str] = []


def local_hostname() -> str:
    """This machine's name (looked up once), for the warcinfo ``hostname`` field."""
    if not _HOSTNAME:
        try:
            _HOSTNAME.append(socket.gethostname())
        except OSError:
            _HOSTNAME.append("localhost")
    return _HOSTNAME[0]
