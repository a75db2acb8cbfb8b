"""Status codes and status Writables: CrawlDatum status names, ProtocolStatus, ParseStatus."""

from __future__ import annotations

from dataclasses import dataclass

from ccdump.hadoop.writables import DataInput, DataOutput, DecodeError

#: ``CrawlDatum.statNames`` (any other code prints as "unknown").
CRAWL_STATUS_NAMES: dict[int, str] = {
    0x01: "db_unfetched",
    0x02: "db_fetched",
    0x03: "db_gone",
    0x04: "db_redir_temp",
    0x05: "db_redir_perm",
    0x06: "db_notmodified",
    0x07: "db_duplicate",
    0x08: "db_orphan",
    0x09: "db_parse_failed",
    0x21: "fetch_success",
    0x22: "fetch_retry",
    0x23: "fetch_redir_temp",
    0x24: "fetch_redir_perm",
    0x25: "fetch_gone",
    0x26: "fetch_notmodified",
    0x41: "signature",
    0x42: "injected",
    0x43: "linked",
    0x44: "parse_metadata",
    0x45: "parse_failed",
}
STATUS_FETCH_SUCCESS = 0x21

#: CrawlDatum status codes before v5 → current codes.
OLD_STATUS = {0: 0x41, 1: 0x01, 2: 0x02, 3: 0x03, 4: 0x43, 5: 0x21, 6: 0x22, 7: 0x25}


def crawl_status_name(code: int) -> str:
    return CRAWL_STATUS_NAMES.get(code, "unknown")


PROTOCOL_CODE_NAMES: dict[int, str] = {
    1: "success",
    2: "failed",
    10: "proto_not_found",
    11: "gone",
    12: "moved",
    13: "temp_moved",
    14: "notfound",
    15: "retry",
    16: "exception",
    17: "access_denied",
    18: "robots_denied",
    19: "redir_exceeded",
    20: "notfetching",
    21: "notmodified",
    22: "wouldblock",
    23: "blocked",
}


@dataclass
class ProtocolStatus:
    """``org.apache.nutch.protocol.ProtocolStatus`` (stored as ``_pst_`` in fetch datums)."""

    code: int
    last_modified: int = 0
    args: list[str | None] | None = None
    version: int = 2

    @property
    def name(self) -> str:
        return PROTOCOL_CODE_NAMES.get(self.code, "unknown")

    def to_json(self) -> dict:
        return {"code": self.code, "codeName": self.name, "lastModified": self.last_modified, "args": self.args}


def read_protocol_status(d: DataInput) -> ProtocolStatus:
    at = d.pos
    version = d.u8()
    if version not in (1, 2):
        raise DecodeError(at, "ProtocolStatus version 1 or 2", str(version))
    code = d.u8()
    last_modified = d.i64()
    args = d.string_array() if version == 2 else d.compressed_string_array()
    return ProtocolStatus(code, last_modified, args, version)


def write_protocol_status(out: DataOutput, s: ProtocolStatus) -> None:
    out.u8(s.version).u8(s.code).i64(s.last_modified)
    if s.version == 2:
        out.string_array(s.args)
    else:
        out.compressed_string_array(s.args)


PARSE_MAJOR_NAMES = {0: "notparsed", 1: "success", 2: "failed"}


@dataclass
class ParseStatus:
    """``org.apache.nutch.parse.ParseStatus``."""

    major: int = 1
    minor: int = 0
    args: list[str | None] | None = None
    version: int = 2

    @property
    def major_name(self) -> str:
        return PARSE_MAJOR_NAMES.get(self.major, "unknown")

    @property
    def is_success(self) -> bool:
        return self.major == 1

    def to_json(self) -> dict:
        return {"majorCode": self.major, "minorCode": self.minor, "majorName": self.major_name, "args": self.args}


def read_parse_status(d: DataInput) -> ParseStatus:
    at = d.pos
    version = d.u8()
    if version not in (1, 2):
        raise DecodeError(at, "ParseStatus version 1 or 2", str(version))
    major = d.u8()
    minor = d.i16()
    args = d.string_array() if version == 2 else d.compressed_string_array()
    return ParseStatus(major, minor, args, version)


def write_parse_status(out: DataOutput, s: ParseStatus) -> None:
    out.u8(s.version).u8(s.major).i16(s.minor)
    if s.version == 2:
        out.string_array(s.args)
    else:
        out.compressed_string_array(s.args)
