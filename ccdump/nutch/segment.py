"""Nutch segments: find their parts and join them into one :class:`Document` per URL, streaming.

content, crawl_fetch, parse_data and parse_text are MapFiles sorted by URL within each part, and
parts with the same name hold the same URLs when the fetch and parse jobs ran with the same number
of reducers (Hadoop's hash partitioner). So one merge-join per part needs one record of each
folder in memory at a time. When part names disagree (parse ran with another reducer count), each
folder's parts are first merged into one sorted stream, and the join runs over the whole segment.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ccdump.errors import InputError, SegmentFormatError
from ccdump.hadoop import fs
from ccdump.hadoop.sequencefile import UTF8, OnError, RawRecord, SequenceFileReader
from ccdump.hadoop.writables import DecodeError
from ccdump.nutch import parse
from ccdump.nutch.document import Document
from ccdump.nutch.values import can_decode, decode_value

CONTENT, CRAWL_FETCH, CRAWL_GENERATE, CRAWL_PARSE, PARSE_DATA, PARSE_TEXT = (
    "content",
    "crawl_fetch",
    "crawl_generate",
    "crawl_parse",
    "parse_data",
    "parse_text",
)
SUBDIRS = (CONTENT, CRAWL_FETCH, CRAWL_GENERATE, CRAWL_PARSE, PARSE_DATA, PARSE_TEXT)
#: The sorted MapFile folders that make up a document.
JOINED = (CONTENT, CRAWL_FETCH, PARSE_DATA, PARSE_TEXT)

PART_RE = re.compile(r"^part-(?:[rm]-)?\d{5,}$")
WHOLE_SEGMENT = "*"


@dataclass(frozen=True)
class PartFile:
    """One part of one segment folder: a MapFile directory or a plain SequenceFile."""

    subdir: str
    name: str
    path: str
    is_mapfile: bool

    @property
    def data_path(self) -> str:
        return fs.join(self.path, "data") if self.is_mapfile else self.path


@dataclass
class SegmentStats:
    """What reading skipped, by reason; filled only in skip mode."""

    skipped: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def note(self, reason: str, error: Exception, count: int = 1) -> None:
        self.skipped[reason] += count
        if len(self.errors) < 100:
            self.errors.append(str(error))


def is_segment(path: str) -> bool:
    return fs.isdir(path) and any(name in SUBDIRS for name in fs.listdir(path))


def find_segments(paths: str | Iterable[str], *, max_depth: int = 3) -> list[str]:
    """Segment folders under each path: the path itself if it is a segment, else a search below it."""
    if isinstance(paths, str):
        paths = [paths]
    found: list[str] = []
    for path in paths:
        if not fs.exists(path):
            raise InputError(f"{path}: no such file or directory")
        if not fs.isdir(path):
            raise InputError(f"{path}: not a directory (give a segment folder or a folder of segments)")
        found.extend(_search(path, max_depth))
    return found


def _search(path: str, depth: int) -> list[str]:
    if is_segment(path):
        return [path]
    if depth == 0:
        return []
    out: list[str] = []
    for name in fs.listdir(path):
        if name.startswith((".", "_")):
            continue
        child = fs.join(path, name)
        if fs.isdir(child):
            out.extend(_search(child, depth - 1))
    return out


class Segment:
    """One Nutch segment folder (e.g. ``crawl/segments/20241121093000``)."""

    def __init__(self, path: str, *, on_error: OnError = "raise", verify_crc: bool = False) -> None:
        self.path = path
        self.name = fs.basename(path)
        self.on_error = on_error
        self.verify_crc = verify_crc
        self.stats = SegmentStats()
        self._parts: dict[str, list[PartFile]] = {}

    def __repr__(self) -> str:
        return f"Segment({self.path!r})"

    # --- discovery --------------------------------------------------------------------------------

    def has(self, subdir: str) -> bool:
        return fs.isdir(fs.join(self.path, subdir))

    def parts(self, subdir: str) -> list[PartFile]:
        """Parts of one folder in name order; ignores ``_SUCCESS``, ``.crc`` and hidden files."""
        if subdir not in self._parts:
            folder = fs.join(self.path, subdir)
            found: list[PartFile] = []
            if fs.isdir(folder):
                for name in fs.listdir(folder):
                    if not PART_RE.match(name):
                        continue
                    path = fs.join(folder, name)
                    found.append(PartFile(subdir, name, path, fs.isdir(path)))
            self._parts[subdir] = found
        return self._parts[subdir]

    def part_names(self) -> list[str]:
        """Join units: part names when every joined folder has the same ones, else ``["*"]``."""
        names = [tuple(p.name for p in self.parts(d)) for d in JOINED if self.has(d)]
        if not names:
            return []
        if all(n == names[0] for n in names):
            return list(names[0])
        return [WHOLE_SEGMENT]

    # --- raw and decoded records -----------------------------------------------------------------

    def open(self, part: PartFile) -> SequenceFileReader:
        if self.verify_crc:
            from ccdump.hadoop.crc import verify_crc

            verify_crc(part.data_path)
        return SequenceFileReader(part.data_path, on_error=self.on_error)

    def values(self, part: PartFile, reader: SequenceFileReader | None = None) -> Iterator[tuple[RawRecord, Any]]:
        """(raw record, decoded value) pairs of one part, in file order.

        Undecodable values raise :class:`SegmentFormatError` (or are counted and skipped).
        """
        own = reader is None
        if reader is None:
            try:
                reader = self.open(part)
            except SegmentFormatError as exc:
                if self.on_error == "raise":
                    raise
                self.stats.note(f"{part.subdir}: unreadable part", exc)
                return
        value_class = reader.header.value_class
        if not can_decode(value_class):
            error = SegmentFormatError(reader.path, 4, "a Nutch value class ccdump can decode", value_class)
            if own:
                reader.close()
            if self.on_error == "raise":
                raise error
            self.stats.note(f"{part.subdir}: unreadable part", error)
            return
        layout: parse.OutlinkLayout = "flag"
        legacy = reader.header.key_class == UTF8
        try:
            for rec in reader:
                try:
                    value = decode_value(value_class, rec.value, outlink_layout=layout, legacy_utf8=legacy)
                except DecodeError as exc:
                    error = SegmentFormatError(
                        reader.path,
                        rec.offset,
                        f"a {value_class.rsplit('.', 1)[-1]} value for key {rec.key_str()!r} "
                        f"({exc.expected} at byte {exc.offset} of the value)",
                        exc.found,
                    )
                    if self.on_error == "raise":
                        raise error from None
                    self.stats.note(f"{part.subdir}: undecodable value", error)
                    continue
                if isinstance(value, parse.ParseData) and value.outlink_layout != "utf8":
                    layout = value.outlink_layout
                yield rec, value
        finally:
            if reader.stats.skipped_records or reader.stats.skipped_regions:
                self.stats.skipped[f"{part.subdir}: corrupt records"] += reader.stats.skipped_records
                self.stats.skipped[f"{part.subdir}: corrupt regions"] += reader.stats.skipped_regions
                self.stats.errors.extend(reader.stats.errors[: max(0, 100 - len(self.stats.errors))])
            if own:
                reader.close()

    def _sorted_values(self, part: PartFile) -> Iterator[tuple[bytes, Any, int]]:
        previous: bytes | None = None
        for rec, value in self.values(part):
            if previous is not None and rec.key < previous:
                error = SegmentFormatError(
                    part.data_path, rec.offset, f"keys in sorted order (after {previous.decode('utf-8', 'replace')!r})",
                    repr(rec.key_str()),
                )
                if self.on_error == "raise":
                    raise error
                self.stats.note(f"{part.subdir}: key out of order", error)
                continue
            previous = rec.key
            yield rec.key, value, rec.offset

    def _stream(self, subdir: str, part: str) -> Iterator[tuple[bytes, Any, int]]:
        files = [p for p in self.parts(subdir) if part == WHOLE_SEGMENT or p.name == part]
        if len(files) == 1:
            return self._sorted_values(files[0])
        return heapq.merge(*(self._sorted_values(p) for p in files), key=lambda kv: kv[0])

    def content_bytes(self, part: str | None = None) -> int:
        """Size on disk of the content data files of one part (or all): the progress total."""
        return sum(fs.size(p.data_path) for p in self.parts(CONTENT) if part in (None, WHOLE_SEGMENT, p.name))

    # --- documents ----------------------------------------------------------------------------------

    def documents(self, part: str | None = None, *, folders: tuple[str, ...] = JOINED) -> Iterator[Document]:
        """One Document per URL found in content or crawl_fetch, in key order within each part.

        ``folders`` limits the join (e.g. leave out parse_text when it is not needed: faster).
        """
        units = [part] if part is not None else self.part_names()
        for unit in units:
            yield from self._join(unit, [d for d in JOINED if d in folders and self.has(d)])

    def _join(self, unit: str, folders: list[str]) -> Iterator[Document]:
        streams = {d: self._stream(d, unit) for d in folders}
        heads: dict[str, tuple[bytes, Any, int]] = {}
        for d, it in streams.items():
            head = next(it, None)
            if head is not None:
                heads[d] = head
        while heads:
            key = min(h[0] for h in heads.values())
            values: dict[str, list[Any]] = {}
            offset = -1
            for d in list(heads):
                while d in heads and heads[d][0] == key:
                    values.setdefault(d, []).append(heads[d][1])
                    if d == CONTENT:
                        offset = heads[d][2]
                    head = next(streams[d], None)
                    if head is None:
                        del heads[d]
                    else:
                        heads[d] = head
            if CONTENT not in values and CRAWL_FETCH not in values:
                continue  # parse output for a URL neither fetched nor stored here
            yield Document(
                url=key.decode("utf-8", "replace"),
                segment=self.name,
                part=unit,
                content=_first(values.get(CONTENT)),
                fetches=values.get(CRAWL_FETCH, []),
                parse_data=_first(values.get(PARSE_DATA)),
                parse_text=_first(values.get(PARSE_TEXT)),
                offset=offset,
            )


def _first(items: list[Any] | None) -> Any:
    return items[0] if items else None


def iter_segments(paths: str | Iterable[str], *, on_error: OnError = "raise", verify_crc: bool = False) -> list[Segment]:
    """Segments found under ``paths``; raises :class:`InputError` when there are none."""
    found = find_segments(paths)
    if not found:
        shown = paths if isinstance(paths, str) else ", ".join(paths)
        raise InputError(f"{shown}: no Nutch segment found (expected folders such as content/ or crawl_fetch/)")
    return [Segment(p, on_error=on_error, verify_crc=verify_crc) for p in found]
