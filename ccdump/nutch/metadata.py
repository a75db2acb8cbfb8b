"""``org.apache.nutch.metadata.Metadata``: names with one or more values, kept in stored order.

Nutch rebuilds this as a Java HashMap, so its iteration order depends on the JVM that wrote the
segment and lookups are case-sensitive. ccdump keeps the stored order (deterministic output) and
looks names up case-insensitively, because HTTP/2 fetchers store lower-case header names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ccdump.hadoop.writables import DataInput, DataOutput, DecodeError


@dataclass
class Metadata:
    """An ordered multi-map of ``name → [values]``."""

    entries: list[tuple[str, list[str]]] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value of ``name``, matched case-insensitively (exact case preferred)."""
        values = self.get_all(name)
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        for key, values in self.entries:
            if key == name:
                return values
        lower = name.lower()
        for key, values in self.entries:
            if key.lower() == lower:
                return values
        return []

    def __contains__(self, name: str) -> bool:
        return bool(self.get_all(name))

    def __iter__(self) -> Iterator[tuple[str, list[str]]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def names(self) -> list[str]:
        return [k for k, _ in self.entries]

    def value_count(self) -> int:
        return sum(len(v) for _, v in self.entries)

    def to_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.entries}

    def add(self, name: str, value: str) -> None:
        for key, values in self.entries:
            if key == name:
                values.append(value)
                return
        self.entries.append((name, [value]))


def read_metadata(d: DataInput, legacy_utf8: bool = False) -> Metadata:
    """Decode Metadata; ``legacy_utf8`` for Nutch 0.8 data (UTF8 strings instead of Text)."""
    string = d.utf8 if legacy_utf8 else d.text
    start = d.pos
    n = d.i32()
    if n < 0 or n > d.remaining():
        raise DecodeError(start, "a Metadata name count that fits the value", str(n))
    entries: list[tuple[str, list[str]]] = []
    i32 = d.i32
    for _ in range(n):
        name = string()
        at = d.pos
        count = i32()
        if count == 1:
            entries.append((name, [string()]))
            continue
        if count < 0 or count > d.end - d.pos:
            raise DecodeError(at, "a Metadata value count that fits the value", str(count))
        entries.append((name, [string() for _ in range(count)]))
    return Metadata(entries)


def write_metadata(out: DataOutput, meta: Metadata, legacy_utf8: bool = False) -> None:
    string = out.utf8 if legacy_utf8 else out.text
    out.i32(len(meta.entries))
    for name, values in meta.entries:
        string(name)
        out.i32(len(values))
        for v in values:
            string(v)
