"""Bad input: only SegmentFormatError escapes, it names file and offset, and skip mode recovers.

The mutation test damages real conformance files (byte flips, zeroed runs, truncation) and checks,
against the undamaged file, that skip mode returns every record outside the damaged sync region
(a block, for BLOCK files) and never returns an altered copy of any other record.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from ccdump.errors import SegmentFormatError
from ccdump.hadoop.sequencefile import SequenceFileReader
from ccdump.nutch.segment import PartFile, Segment
from tests.conftest import conformance_segments


def _data(segment: Path, subdir: str) -> Path:
    part = sorted((segment / subdir).glob("part-*"))[0]
    return part / "data" if part.is_dir() else part


def _cases() -> list[tuple[str, Path]]:
    segs = {s.parent.parent.name + "/" + s.name: s for s in conformance_segments()}
    cases = []
    for name, seg in segs.items():
        if "i_two_parts" in name or "20150309101625" in name:
            continue
        for subdir in ("content", "crawl_fetch", "crawl_generate", "parse_data", "parse_text"):
            cases.append((f"{name}/{subdir}", _data(seg, subdir)))
    return cases


CASES = _cases()


def _read(path: Path, on_error: str, subdir: str):
    """(offset, key, value) triples through the full decode path, as the segment join uses it."""
    seg = Segment(str(path.parent), on_error=on_error)
    part = PartFile(subdir, path.name, str(path), False)
    return [(rec.offset, rec.key, rec.value) for rec, _ in seg.values(part)], seg


def _regions(data: bytes, sync: bytes, header_len: int) -> list[int]:
    """Start offsets of the sync regions: the header end, then every sync escape."""
    marks, at = [header_len], data.find(b"\xff\xff\xff\xff" + sync, header_len)
    while at >= 0:
        marks.append(at)
        at = data.find(b"\xff\xff\xff\xff" + sync, at + 1)
    return sorted(set(marks))


def _region_of(marks: list[int], pos: int) -> int:
    import bisect

    return bisect.bisect_right(marks, pos) - 1


@pytest.mark.parametrize(("name", "path"), CASES, ids=[c[0] for c in CASES])
def test_mutations_raise_one_error_type_and_skip_recovers(name, path, tmp_path):
    subdir = name.rsplit("/", 1)[1]
    original = path.read_bytes()
    with SequenceFileReader(str(path)) as r:
        header_len, sync = r.header.length, r.header.sync
    good, _ = _read(path, "raise", subdir)
    marks = _regions(original, sync, header_len)
    rng = random.Random(hash(name) & 0xFFFF)
    target = tmp_path / "data"
    for trial in range(12):
        data = bytearray(original)
        kind = ("flip", "zero", "truncate")[trial % 3]
        pos = rng.randrange(header_len, len(data))
        if kind == "flip":
            data[pos] ^= 1 << rng.randrange(8)
            damaged = (pos, pos + 1)
        elif kind == "zero":
            end = min(len(data), pos + rng.randrange(1, 64))
            data[pos:end] = bytes(end - pos)
            damaged = (pos, end)
        else:
            del data[pos:]
            damaged = (pos, len(original))
        target.write_bytes(bytes(data))
        try:
            _read(target, "raise", subdir)
        except SegmentFormatError as exc:
            assert str(target) in str(exc) and exc.offset is not None
        got, seg = _read(target, "skip", subdir)
        lost_regions = {_region_of(marks, p) for p in range(damaged[0], min(damaged[1], damaged[0] + 64))}
        if kind == "truncate":
            lost_regions |= set(range(_region_of(marks, pos), len(marks)))
        got_set = {(o, k, v) for o, k, v in got}
        for rec in good:
            if _region_of(marks, rec[0]) not in lost_regions:
                assert rec in got_set, f"{kind}@{pos}: lost a record at {rec[0]} outside the damage"
        good_set = set(good)
        for rec in got:
            if rec not in good_set:
                assert _region_of(marks, rec[0]) in lost_regions, f"{kind}@{pos}: altered record at {rec[0]}"


def _copy_segment(conformance: Path, tmp_path: Path) -> Path:
    seg = next(s for s in conformance_segments() if "n_nutch_defaults" in str(s))
    dst = tmp_path / "seg" / seg.name
    shutil.copytree(seg, dst)
    for p in dst.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def test_bad_magic_names_file_and_offset(conformance, tmp_path):
    seg = _copy_segment(conformance, tmp_path)
    data = seg / "content/part-r-00000/data"
    data.write_bytes(b"XYZ" + data.read_bytes()[3:])
    with pytest.raises(SegmentFormatError) as err:
        list(Segment(str(seg)).documents())
    assert err.value.path == str(data) and err.value.offset == 0 and "SEQ" in err.value.expected


def test_empty_file_and_truncated_header(conformance, tmp_path):
    seg = _copy_segment(conformance, tmp_path)
    data = seg / "parse_text/part-r-00000/data"
    for content in (b"", data.read_bytes()[:40]):
        data.write_bytes(content)
        with pytest.raises(SegmentFormatError) as err:
            list(Segment(str(seg)).documents())
        assert str(data) in str(err.value)


def test_unknown_codec_and_value_class(conformance, tmp_path):
    seg = _copy_segment(conformance, tmp_path)
    data = seg / "content/part-r-00000/data"
    raw = data.read_bytes()
    data.write_bytes(raw.replace(b"DefaultCodec", b"DefaultCodex", 1))
    with pytest.raises(SegmentFormatError, match="codec"):
        list(Segment(str(seg)).documents())
    data.write_bytes(raw.replace(b"protocol.Content", b"protocol.Contant", 1))
    with pytest.raises(SegmentFormatError, match="Contant"):
        list(Segment(str(seg)).documents())
    # skip mode: the part is counted as unreadable, the other folders still join
    docs = list(Segment(str(seg), on_error="skip").documents())
    assert docs and all(d.content is None for d in docs)


def test_impossible_record_length(conformance, tmp_path):
    seg = _copy_segment(conformance, tmp_path)
    data = seg / "crawl_fetch/part-r-00000/data"
    raw = bytearray(data.read_bytes())
    with SequenceFileReader(str(data)) as r:
        start = r.header.length
    raw[start : start + 4] = (0x7FFFFFF0).to_bytes(4, "big")
    data.write_bytes(bytes(raw))
    with pytest.raises(SegmentFormatError) as err:
        list(SequenceFileReader(str(data)))
    assert err.value.offset == start and "record length" in err.value.expected


def test_corrupt_block_vint(conformance, tmp_path):
    seg = next(s for s in conformance_segments() if "c_block_default" in str(s))
    src = seg / "crawl_generate/part-r-00000"
    data = bytearray(src.read_bytes())
    with SequenceFileReader(str(src)) as r:
        at = r.header.length + 20  # the block's record-count VInt
    data[at : at + 9] = bytes.fromhex("887fffffffffffffff")
    target = tmp_path / "part-r-00000"
    target.write_bytes(bytes(data))
    with pytest.raises(SegmentFormatError) as err:
        list(SequenceFileReader(str(target)))
    assert err.value.offset == at
    reader = SequenceFileReader(str(target), on_error="skip")
    assert list(reader) == [] and reader.stats.skipped_regions == 1
