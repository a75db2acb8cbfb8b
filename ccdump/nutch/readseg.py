"""What ``ccdump readseg`` prints: per-segment counts, text dumps and the JSON-lines dump.

The JSON-lines schema is the conformance oracle's (``segment``, ``record``, ``file``, ``totals``
and ``missing`` lines), so a segment's dump can be diffed against an oracle printed by the real
Hadoop/Nutch readers. It is documented and stable for users too.
"""

from __future__ import annotations

import hashlib
import struct
from collections import Counter
from collections.abc import Iterator
from typing import Any

from ccdump.hadoop.mapfile import MapFileReader
from ccdump.hadoop.sequencefile import read_header
from ccdump.nutch.content import Content
from ccdump.nutch.crawldatum import CrawlDatum
from ccdump.nutch.mapwritable import map_to_json
from ccdump.nutch.parse import ParseData, ParseText
from ccdump.nutch.segment import CONTENT, PARSE_DATA, PARSE_TEXT, SUBDIRS, PartFile, Segment
from ccdump.nutch.values import decode_value

#: How many index entries a ``file`` line lists.
FIRST_ENTRIES = 50


def java_float(bits: int) -> str:
    """Java's ``Float.toString`` for the float with these IEEE-754 bits (shortest round-trip digits).

    >>> java_float(0x3F800000), java_float(0), java_float(0x3F27ABC8), java_float(0x38D1B717)
    ('1.0', '0.0', '0.6549649', '1.0E-4')
    """
    value = struct.unpack(">f", struct.pack(">i", bits))[0]
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if bits < 0 else "0.0"
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.unpack(">f", struct.pack(">f", float(text)))[0] == value:
            break
    mantissa, _, exp = f"{float(text):.{digits - 1}e}".partition("e")
    exponent = int(exp)
    sign = "-" if mantissa.startswith("-") else ""
    mantissa = mantissa.lstrip("-").replace(".", "")
    if 1e-3 <= abs(value) < 1e7:
        point = exponent + 1
        if point <= 0:
            whole, frac = "0", "0" * (-point) + mantissa
        else:
            padded = mantissa.ljust(point, "0")
            whole, frac = padded[:point], padded[point:]
        frac = frac.rstrip("0") or "0"
        return f"{sign}{whole}.{frac}"
    frac = mantissa[1:].rstrip("0") or "0"
    return f"{sign}{mantissa[0]}.{frac}E{exponent}"


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


# --- value → JSON ------------------------------------------------------------------------------------


def content_json(c: Content) -> dict[str, Any]:
    return {
        "url": c.url,
        "base": c.base,
        "contentType": c.content_type,
        "metadata": c.metadata.to_dict(),
        "content_len": len(c.content),
        "content_sha1": sha1_hex(c.content),
    }


def datum_json(d: CrawlDatum) -> dict[str, Any]:
    return {
        "status": d.status,
        "statusName": d.status_name,
        "fetchTime": d.fetch_time,
        "retries": d.retries,
        "fetchInterval": d.fetch_interval,
        "score": float(java_float(d.score_bits)) if d.score == d.score else None,
        "scoreBits": d.score_bits,
        "modifiedTime": d.modified_time,
        "signature": d.signature.hex() if d.signature else None,
        "metadata": map_to_json(d.metadata) or {},
    }


def parse_data_json(p: ParseData) -> dict[str, Any]:
    return {
        "status": p.status.to_json(),
        "title": p.title,
        "outlinks": [{"toUrl": o.to_url, "anchor": o.anchor, "metadata": map_to_json(o.metadata)} for o in p.outlinks],
        "contentMeta": p.content_meta.to_dict(),
        "parseMeta": p.parse_meta.to_dict(),
    }


def parse_text_json(t: ParseText) -> dict[str, Any]:
    data = t.text.encode("utf-8", "surrogatepass")
    return {"text_utf8_len": len(data), "text_sha1": sha1_hex(data), "text_head": t.text[:100]}


def value_json(value: Any) -> dict[str, Any]:
    if isinstance(value, Content):
        return content_json(value)
    if isinstance(value, CrawlDatum):
        return datum_json(value)
    if isinstance(value, ParseData):
        return parse_data_json(value)
    if isinstance(value, ParseText):
        return parse_text_json(value)
    raise TypeError(f"no JSON form for {type(value).__name__}")


# --- aggregates -----------------------------------------------------------------------------------


class Aggregate:
    """The ``agg`` object of a ``totals`` line, accumulated record by record."""

    def __init__(self, subdir: str) -> None:
        self.subdir = subdir
        self.keys = hashlib.sha1()
        self.chain = hashlib.sha1()
        self.status_counts: Counter[str] = Counter()
        self.sums: Counter[str] = Counter()

    def add(self, key: str, value: Any) -> None:
        self.keys.update(key.encode("utf-8", "surrogatepass") + b"\n")
        s = self.sums
        if isinstance(value, Content):
            s["content_len_sum"] += len(value.content)
            self.chain.update(sha1_hex(value.content).encode())
            s["metadata_values_sum"] += value.metadata.value_count()
        elif isinstance(value, CrawlDatum):
            self.status_counts[value.status_name] += 1
            s["fetchTime_sum"] += value.fetch_time
            s["scoreBits_sum"] += value.score_bits
            s["signature_count"] += value.signature is not None
            s["metadata_entries_sum"] += len(value.metadata)
        elif isinstance(value, ParseData):
            self.status_counts[value.status.major_name] += 1
            s["outlinks_sum"] += len(value.outlinks)
            self.chain.update(value.title.encode("utf-8", "surrogatepass") + b"\n")
            s["meta_values_sum"] += value.content_meta.value_count() + value.parse_meta.value_count()
        elif isinstance(value, ParseText):
            data = value.text.encode("utf-8", "surrogatepass")
            s["text_utf8_len_sum"] += len(data)
            self.chain.update(sha1_hex(data).encode())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"keys_sha1": self.keys.hexdigest()}
        s = self.sums
        if self.subdir == CONTENT:
            out |= {
                "content_len_sum": s["content_len_sum"],
                "content_sha1_chain": self.chain.hexdigest(),
                "metadata_values_sum": s["metadata_values_sum"],
            }
        elif self.subdir == PARSE_DATA:
            out |= {
                "status_counts": dict(sorted(self.status_counts.items())),
                "outlinks_sum": s["outlinks_sum"],
                "title_sha1_chain": self.chain.hexdigest(),
                "meta_values_sum": s["meta_values_sum"],
            }
        elif self.subdir == PARSE_TEXT:
            out |= {"text_utf8_len_sum": s["text_utf8_len_sum"], "text_sha1_chain": self.chain.hexdigest()}
        else:
            out |= {
                "status_counts": dict(sorted(self.status_counts.items())),
                "fetchTime_sum": s["fetchTime_sum"],
                "scoreBits_sum": s["scoreBits_sum"],
                "signature_count": s["signature_count"],
                "metadata_entries_sum": s["metadata_entries_sum"],
            }
        return out


# --- the JSON-lines dump --------------------------------------------------------------------------


def _file_facts(segment: Segment, part: PartFile, reader, records: int) -> dict[str, Any]:
    h = reader.header
    facts: dict[str, Any] = {
        "type": "file",
        "dir": part.subdir,
        "part": part.name,
        "kind": "MapFile" if part.is_mapfile else "SequenceFile",
        "key_class": h.key_class,
        "value_class": h.value_class,
        "compressed": h.compressed,
        "block_compressed": h.block_compressed,
        "codec": h.codec_class if h.compressed else None,
        "version": h.version,
        "file_len": reader.file_len,
        "sync_hex": h.sync.hex() if h.sync else None,
        "sync_count": reader.stats.sync_count,
        "seq_metadata": dict(h.metadata),
        "records": records,
    }
    if part.is_mapfile:
        mf = MapFileReader(part.path, on_error=segment.on_error)
        index = mf.index
        ih = index.header
        facts["index"] = {
            "key_class": ih.key_class,
            "value_class": ih.value_class,
            "compressed": ih.compressed,
            "block_compressed": ih.block_compressed,
            "codec": ih.codec_class if ih.compressed else None,
            "entries": len(index),
            "first_entries": [[k.decode("utf-8", "replace"), off] for k, off in index.entries()[:FIRST_ENTRIES]],
        }
        facts["mapfile_get_ok"] = sum(1 for k in index.keys if mf.get(k) is not None)
    return facts


def dump_json_lines(
    segment: Segment, subdirs: tuple[str, ...] = SUBDIRS, *, records: bool = True
) -> Iterator[dict[str, Any]]:
    """The oracle-format lines for one segment, streaming."""
    yield {"type": "segment", "segment": segment.name}
    for subdir in subdirs:
        if not segment.has(subdir):
            yield {"type": "missing", "dir": subdir}
            continue
        agg = Aggregate(subdir)
        total = emitted = 0
        parts = segment.parts(subdir)
        for part in parts:
            reader = segment.open(part)
            count = 0
            with reader:
                for i, (rec, value) in enumerate(segment.values(part, reader)):
                    key = rec.key_str(reader.header.key_class)
                    agg.add(key, value)
                    count += 1
                    if records:
                        yield {"type": "record", "dir": subdir, "part": part.name, "i": i, "key": key, "value": value_json(value)}
                facts = _file_facts(segment, part, reader, count)
            total += reader.stats.records
            emitted += count
            yield facts
        yield {
            "type": "totals",
            "dir": subdir,
            "parts": len(parts),
            "records": total,
            "records_emitted": emitted,
            "agg": agg.to_json(),
        }


# --- readseg -list and -get ----------------------------------------------------------------------------


def list_counts(segment: Segment) -> dict[str, Any]:
    """Per-segment counts as ``bin/nutch readseg -list`` shows them, plus fetch statuses."""
    counts: dict[str, Any] = {"name": segment.name, "generated": None, "fetched": None, "parsed": None}
    fetch_status: Counter[str] = Counter()
    times: list[int] = []
    for subdir, field_name in (("crawl_generate", "generated"), ("crawl_fetch", "fetched"), ("parse_data", "parsed")):
        if not segment.has(subdir):
            continue
        n = 0
        for part in segment.parts(subdir):
            for _, value in segment.values(part):
                n += 1
                if isinstance(value, CrawlDatum) and subdir == "crawl_fetch":
                    fetch_status[value.status_name] += 1
                    times.append(value.fetch_time)
        counts[field_name] = n
    counts["started"] = min(times) if times else None
    counts["finished"] = max(times) if times else None
    counts["fetch_status"] = dict(sorted(fetch_status.items()))
    return counts


def get_records(segment: Segment, url: str, subdirs: tuple[str, ...] = SUBDIRS) -> dict[str, list[Any]]:
    """Every value stored under ``url`` in each folder, through the MapFile index where there is one."""
    key = url.encode("utf-8")
    found: dict[str, list[Any]] = {}
    for subdir in subdirs:
        for part in segment.parts(subdir):
            if part.is_mapfile:
                raws = MapFileReader(part.path, on_error=segment.on_error).get_all(key)
                if not raws:
                    continue
                value_class = read_header(part.data_path).value_class
                found.setdefault(subdir, []).extend(decode_value(value_class, r.value) for r in raws)
            else:
                for rec, value in segment.values(part):
                    if rec.key == key:
                        found.setdefault(subdir, []).append(value)
    return found


# --- the text dump ---------------------------------------------------------------------------------


def _format_time(ms: int) -> str:
    import datetime as dt

    try:
        return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%a %b %d %H:%M:%S UTC %Y")
    except (OverflowError, OSError, ValueError):
        return str(ms)


def format_text(subdir: str, index: int, key: str, value: Any) -> str:
    """One record in the spirit of ``bin/nutch readseg -dump`` (human-readable, not a stable format)."""
    lines = [f"Recno:: {index}", f"URL:: {key}", ""]
    if isinstance(value, CrawlDatum):
        lines += [
            f"CrawlDatum:: ({subdir})",
            f"Version: {value.version}",
            f"Status: {value.status} ({value.status_name})",
            f"Fetch time: {_format_time(value.fetch_time)}",
            f"Modified time: {_format_time(value.modified_time)}",
            f"Retries since fetch: {value.retries}",
            f"Retry interval: {value.fetch_interval} seconds",
            f"Score: {java_float(value.score_bits)}",
            f"Signature: {value.signature.hex() if value.signature else 'null'}",
            "Metadata: ",
        ]
        for k, v in value.metadata:
            shown = v.value.to_json() if hasattr(v.value, "to_json") else v.value
            lines.append(f" \t{k.value}={shown}")
    elif isinstance(value, Content):
        lines += [
            "Content::",
            f"Version: {value.version}",
            f"url: {value.url}",
            f"base: {value.base}",
            f"contentType: {value.content_type}",
            "metadata: " + " ".join(f"{k}={v}" for k, vs in value.metadata for v in vs),
            "Content:",
            value.content.decode("utf-8", "replace"),
        ]
    elif isinstance(value, ParseData):
        lines += [
            "ParseData::",
            f"Version: {value.version}",
            f"Status: {value.status.major_name}({value.status.major},{value.status.minor})",
            f"Title: {value.title}",
            f"Outlinks: {len(value.outlinks)}",
        ]
        lines += [f"  outlink: toUrl: {o.to_url} anchor: {o.anchor}" for o in value.outlinks]
        lines.append("Content Metadata: " + " ".join(f"{k}={v}" for k, vs in value.content_meta for v in vs))
        lines.append("Parse Metadata: " + " ".join(f"{k}={v}" for k, vs in value.parse_meta for v in vs))
    elif isinstance(value, ParseText):
        lines += ["ParseText::", value.text]
    return "\n".join(lines) + "\n\n"


def dump_text(segment: Segment, subdirs: tuple[str, ...] = SUBDIRS) -> Iterator[str]:
    for subdir in subdirs:
        if not segment.has(subdir):
            continue
        i = 0
        for part in segment.parts(subdir):
            for rec, value in segment.values(part):
                yield format_text(subdir, i, rec.key_str(), value)
                i += 1
