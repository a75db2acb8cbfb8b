"""SequenceFile/MapFile writer: read-back through our reader, layout rules, and Hadoop's own files.

The strongest check is :func:`test_rewrite_conformance_files_byte_for_byte`: every SequenceFile
and MapFile in the conformance corpus (written by Hadoop 2.4 and 3.5) is read with our reader and
re-written with the same sync marker, compression and codec; NONE and DefaultCodec files must come
out identical byte for byte, ``.crc`` sidecars included.
"""

from __future__ import annotations

import os
import random
import struct
from pathlib import Path

import pytest

from ccdump.hadoop.codecs import get_codec
from ccdump.hadoop.crc import sidecar_path, verify_crc
from ccdump.hadoop.mapfile import MapFileReader
from ccdump.hadoop.sequencefile import LONG, TEXT, UTF8, SequenceFileReader
from ccdump.hadoop.writables import DataInput, DataOutput
from ccdump.hadoop.writer import (
    OLD_SYNC_INTERVAL,
    SYNC_INTERVAL,
    MapFileWriter,
    SequenceFileWriter,
    make_sync,
)

CODECS = ["default", "deflate", "gzip", "bzip2", "snappy", "lz4", "zstd"]
CASES = [("NONE", "default")] + [(c, k) for c in ("RECORD", "BLOCK") for k in CODECS]
VALUE_CLASS = "org.apache.nutch.protocol.Content"


def _records(seed: int = 7) -> list[tuple[str, bytes]]:
    """Keys with non-ASCII text, an empty value, a 300 kB value (several Snappy/LZ4 chunks), small ones."""
    rng = random.Random(seed)
    big = bytes(rng.getrandbits(8) for _ in range(150_000)) + b"compressible " * 12_000
    recs = [
        ("http://a.example/empty", b""),
        ("http://b.example/big", big),
        ("http://ü.example/ключ/😀", b"x"),
    ]
    for i in range(150):
        recs.append(
            (
                f"http://h{i % 5}.example/{i:04d}",
                bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 600))),
            )
        )
    return recs


@pytest.mark.parametrize(("compression", "codec"), CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_round_trip_every_codec_and_compression(tmp_path: Path, compression: str, codec: str) -> None:
    recs = _records()
    path = tmp_path / "part-r-00000"
    sync = make_sync("round-trip")
    with SequenceFileWriter(
        str(path), TEXT, VALUE_CLASS, compression=compression, codec=codec, sync=sync, block_size=20_000
    ) as w:
        for k, v in recs:
            w.append(k, v)
    with SequenceFileReader(str(path)) as r:
        got = [(rec.key.decode("utf-8"), rec.value) for rec in r]
        header, stats = r.header, r.stats
    assert got == recs
    assert header.kind == compression and header.version == 6 and header.sync == sync
    assert (header.key_class, header.value_class) == (TEXT, VALUE_CLASS)
    if compression != "NONE":
        assert header.codec_class == get_codec(codec).name
    assert stats.sync_count == w.sync_count
    if compression == "BLOCK":
        assert stats.blocks == w.sync_count >= 3  # 20 kB blocks: the big value fills one alone


def _escapes(data: bytes, sync: bytes) -> list[int]:
    marker, out, i = b"\xff\xff\xff\xff" + sync, [], data.find(b"\xff\xff\xff\xff" + sync)
    while i >= 0:
        out.append(i)
        i = data.find(marker, i + 1)
    return out


@pytest.mark.parametrize("interval", [OLD_SYNC_INTERVAL, SYNC_INTERVAL])
def test_record_sync_escapes_follow_hadoops_rule(tmp_path: Path, interval: int) -> None:
    """An escape precedes a record exactly when position ≥ end of the previous escape + interval."""
    rng = random.Random(3)
    recs = [(f"k{i:05d}", bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 3000)))) for i in range(300)]
    sync = make_sync("escapes")
    path = tmp_path / "f"
    with SequenceFileWriter(str(path), TEXT, TEXT, sync=sync, sync_interval=interval) as w:
        for k, v in recs:
            w.append(k, v)
    data = path.read_bytes()
    header_len = SequenceFileReader(str(path)).header.length
    expected, pos, last = [], header_len, 0
    for k, v in recs:
        if pos >= last + interval:
            expected.append(pos)
            pos += 20
            last = pos
        pos += 8 + 1 + len(k) + len(v)
    assert _escapes(data, sync) == expected
    assert len(expected) > (2 if interval == SYNC_INTERVAL else 100)
    assert pos == len(data)


def test_block_escape_before_every_block_and_flush_threshold(tmp_path: Path) -> None:
    recs = [(f"k{i:04d}", b"v" * 994) for i in range(100)]
    sync = make_sync("blocks")
    path = tmp_path / "f"
    with SequenceFileWriter(str(path), TEXT, TEXT, compression="BLOCK", sync=sync, block_size=10_000) as w:
        for k, v in recs:
            w.append(k, v)
    data = path.read_bytes()
    header_len = SequenceFileReader(str(path)).header.length
    escapes = _escapes(data, sync)
    assert escapes[0] == header_len
    counts = []
    for at in escapes:
        d = DataInput(data, at + 20)
        counts.append(d.vint())
    # 6 bytes of key (VInt + 5) + 994 of value = 1 000 per record: the buffers reach the 10 000-byte
    # threshold exactly with the 10th record, which flushes the block (≥, not >).
    assert counts == [10] * 10


def test_header_versions_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "f"
    with SequenceFileWriter(str(path), TEXT, TEXT, metadata={"zeta": "1", "alpha": "2", "Ärger": "3"}) as w:
        w.append("k", "v")
    header = SequenceFileReader(str(path)).header
    assert header.metadata == [("alpha", "2"), ("zeta", "1"), ("Ärger", "3")]  # Text byte order
    assert path.read_bytes()[:4] == b"SEQ\x06"


@pytest.mark.parametrize(
    ("version", "key_class", "compression", "codec"),
    [
        (3, UTF8, "NONE", "default"),
        (3, UTF8, "RECORD", "default"),
        (4, TEXT, "BLOCK", "default"),
        (4, UTF8, "RECORD", "default"),
        (5, TEXT, "RECORD", "gzip"),
        (5, TEXT, "BLOCK", "bzip2"),
    ],
)
def test_old_versions_read_back(
    tmp_path: Path, version: int, key_class: str, compression: str, codec: str
) -> None:
    keys = ["http://a.example/", "http://b.example/\x00nul", "http://c.example/😀", "http://d.example/ü"]
    path = tmp_path / "old"
    with SequenceFileWriter(
        str(path),
        key_class,
        "org.apache.nutch.protocol.Content",
        version=version,
        compression=compression,
        codec=codec,
    ) as w:
        for i, k in enumerate(keys):
            w.append(k, bytes([i]) * 50)
    with SequenceFileReader(str(path)) as r:
        assert r.header.version == version
        assert r.header.key_class == key_class
        assert r.header.kind == compression
        got = [(rec.key_str(key_class), rec.value) for rec in r]
    assert got == [(k, bytes([i]) * 50) for i, k in enumerate(keys)]
    raw = path.read_bytes()
    assert raw[3] == version
    if version < 4:  # class names are UTF8 (u16 length) before version 4
        assert raw[4:6] == len(key_class).to_bytes(2, "big")


def test_old_version_constraints(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SequenceFileWriter(str(tmp_path / "a"), compression="BLOCK", version=3)
    with pytest.raises(ValueError):
        SequenceFileWriter(str(tmp_path / "b"), compression="RECORD", codec="snappy", version=4)
    with pytest.raises(ValueError):
        SequenceFileWriter(str(tmp_path / "c"), metadata={"a": "b"}, version=5)
    assert not any(tmp_path.iterdir())


def test_writes_under_a_temporary_name(tmp_path: Path) -> None:
    path = tmp_path / "part-r-00000"
    w = SequenceFileWriter(str(path), crc=True)
    w.append("k", "v")
    assert not path.exists()
    assert [p.name.startswith(".part-r-00000.") for p in tmp_path.iterdir()] == [True]
    w.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".part-r-00000.crc", "part-r-00000"]
    assert verify_crc(str(path))


def test_exception_inside_with_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), MapFileWriter(str(tmp_path / "m"), crc=True) as w:
        w.append("a", "1")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_target_needs_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        SequenceFileWriter(str(path))
    with SequenceFileWriter(str(path), overwrite=True) as w:
        w.append("k", "v")
    assert path.read_bytes()[:3] == b"SEQ"


# --- MapFile ----------------------------------------------------------------------------------------


def test_mapfile_index_every_128_records(tmp_path: Path) -> None:
    keys = [f"http://example.com/{i:05d}" for i in range(1000)]
    path = tmp_path / "part-r-00000"
    with MapFileWriter(str(path), TEXT, TEXT, compression="RECORD", sync_interval=OLD_SYNC_INTERVAL) as w:
        for k in keys:
            w.append(k, "value of " + k)
    reader = MapFileReader(str(path))
    entries = reader.index.entries()
    assert [k.decode() for k, _ in entries] == keys[::128]
    assert reader.index.header.kind == "BLOCK" and reader.index.header.codec_class.endswith("DefaultCodec")
    assert reader.index.header.value_class == LONG
    # Offsets are where each record starts, before any sync escape (there are many at 2 000 bytes).
    with SequenceFileReader(str(path / "data")) as r:
        starts = {rec.key: rec.offset for rec in r}
        assert r.stats.sync_count > 10
    assert all(starts[k] == off for k, off in entries)
    for k in keys[::37] + [keys[-1]]:
        rec = reader.get(k.encode())
        assert rec is not None and rec.value == _text("value of " + k)
    assert reader.get(b"http://example.com/00000x") is None
    assert reader.get(b"http://a.example/") is None  # sorts before the first key


def _text(s: str) -> bytes:
    return DataOutput().text(s).getvalue()


def test_mapfile_block_index_points_at_block_escapes(tmp_path: Path) -> None:
    keys = [f"k{i:05d}" for i in range(2000)]
    path = tmp_path / "m"
    with MapFileWriter(str(path), TEXT, TEXT, compression="BLOCK", codec="snappy", block_size=5_000) as w:
        for k in keys:
            w.append(k, "v" * 40)
    data = (path / "data").read_bytes()
    sync = SequenceFileReader(str(path / "data")).header.sync
    escapes = set(_escapes(data, sync))
    reader = MapFileReader(str(path))
    entries = reader.index.entries()
    assert len(entries) > 10
    positions = [off for _, off in entries]
    assert positions == sorted(set(positions))  # one entry per position at most
    assert all(off in escapes for off in positions)
    counts = [keys.index(k.decode()) for k, _ in entries]
    assert all(b - a >= 128 for a, b in zip(counts, counts[1:], strict=False))
    for k in keys[::97]:
        assert reader.get(k.encode()) is not None


def test_mapfile_rejects_out_of_order_keys_and_keeps_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "m"
    with MapFileWriter(str(path)) as w:
        w.append("b", "1")
        w.append("b", "2")  # equal keys are fine (crawl_fetch holds redirect targets twice)
        with pytest.raises(ValueError, match="out of order"):
            w.append("a", "3")
        w.append("c", "4")
    assert [r.value for r in MapFileReader(str(path)).get_all(b"b")] == [_text("1"), _text("2")]


def test_mapfile_get_all_finds_duplicates_across_an_index_entry(tmp_path: Path) -> None:
    """Records 127 and 128 share a key and the index entry for record 128 names it: a lookup that
    started at that entry would miss record 127."""
    keys = [f"k{i:04d}" for i in range(127)] + ["k0127"] * 2 + [f"k{i:04d}" for i in range(129, 300)]
    path = tmp_path / "m"
    with MapFileWriter(str(path)) as w:
        for i, k in enumerate(keys):
            w.append(k, str(i))
    reader = MapFileReader(str(path))
    assert reader.index.entries()[1][0] == b"k0127"
    assert [r.value for r in reader.get_all(b"k0127")] == [_text("127"), _text("128")]
    assert reader.get(b"k0127").value == _text("127")


def test_mapfile_orders_by_utf8_bytes_not_utf16(tmp_path: Path) -> None:
    """Hadoop orders Text keys by UTF-8 bytes: U+FF5E (ef bd 9e) before U+1F600 (f0 9f 98 80),
    although Java's String order (UTF-16: ff5e vs d83d de00) says the opposite."""
    with MapFileWriter(str(tmp_path / "m")) as w:
        w.append("\uff5e", "1")
        w.append("\U0001f600", "2")
    with MapFileWriter(str(tmp_path / "n")) as w:
        w.append("\U0001f600", "1")
        with pytest.raises(ValueError, match="out of order"):
            w.append("\uff5e", "2")


# --- against Hadoop's own files ---------------------------------------------------------------------


def _conformance_files(root: Path) -> list[tuple[Path, bool]]:
    """(part path, is MapFile) for every part in the corpus."""
    out = []
    for seg in sorted(root.glob("**/segments/*")):
        for sub in sorted(p for p in seg.iterdir() if p.is_dir()):
            for part in sorted(sub.glob("part-*")):
                out.append((part, part.is_dir()))
    return out


def _rewrite(src: Path, dst: Path, interval: int, mapfile: bool) -> None:
    data_path = src / "data" if mapfile else src
    with SequenceFileReader(str(data_path)) as r:
        h = r.header
        recs = [(rec.key, rec.value) for rec in r]
    options = dict(
        compression=h.kind, codec=h.codec_class or "default", sync=h.sync, sync_interval=interval, crc=True
    )
    if mapfile:
        index_sync = SequenceFileReader(str(src / "index")).header.sync
        w: MapFileWriter | SequenceFileWriter = MapFileWriter(
            str(dst), h.key_class, h.value_class, index_sync=index_sync, **options
        )
    else:
        w = SequenceFileWriter(str(dst), h.key_class, h.value_class, **options)
    for k, v in recs:
        w.append(k, v)
    w.close()


def test_rewrite_conformance_files_byte_for_byte(conformance: Path, tmp_path: Path) -> None:
    """Re-write every Hadoop-written file of the corpus and compare the bytes.

    NONE and DefaultCodec (RECORD and BLOCK) files, their MapFile indexes and all ``.crc`` sidecars
    must be identical: Python's zlib at level 6 emits exactly what java.util.zip / Hadoop's native
    zlib emit, and header, sync escapes (2 000-byte interval for the Hadoop 2.4 files, 102 400 for
    Hadoop 3.5), block boundaries and index entries follow Hadoop's logic. Snappy files are checked
    in :func:`test_rewrite_conformance_snappy_structure`.
    """
    checked, mismatches = 0, []
    for part, mapfile in _conformance_files(conformance):
        header = SequenceFileReader(str(part / "data" if mapfile else part)).header
        if header.codec_class and not header.codec_class.endswith("DefaultCodec"):
            continue
        interval = OLD_SYNC_INTERVAL if "2015" in str(part) else SYNC_INTERVAL
        dst = tmp_path / part.relative_to(conformance)
        _rewrite(part, dst, interval, mapfile)
        names = ["data", "index"] if mapfile else [part.name]
        for name in names:
            a = part / name if mapfile else part
            b = dst / name if mapfile else dst
            for x, y in ((a, b), (Path(sidecar_path(str(a))), Path(sidecar_path(str(b))))):
                checked += 1
                if x.read_bytes() != y.read_bytes():
                    mismatches.append(str(x.relative_to(conformance)))
    assert checked >= 100
    assert mismatches == []


def _snappy_frames(stream: bytes) -> list[tuple[int, list[int]]]:
    """(uncompressed block length, [uncompressed chunk lengths]) of a Hadoop block-framed stream."""
    import cramjam

    out, pos = [], 0
    while pos < len(stream):
        (block_len,) = struct.unpack_from(">I", stream, pos)
        pos += 4
        chunks, done = [], 0
        while done < block_len:
            (n,) = struct.unpack_from(">I", stream, pos)
            piece = bytes(cramjam.snappy.decompress_raw(stream[pos + 4 : pos + 4 + n]))
            pos += 4 + n
            chunks.append(len(piece))
            done += len(piece)
        out.append((block_len, chunks))
    return out


def _blocks(path: Path) -> tuple[bytes, list[tuple[int, list[bytes]]]]:
    header = SequenceFileReader(str(path)).header
    data = path.read_bytes()
    d = DataInput(data, header.length)
    blocks = []
    while not d.at_end():
        assert d.i32() == -1 and d.raw(16) == header.sync
        n = d.vint()
        blocks.append((n, [d.raw(d.vint()) for _ in range(4)]))
    return data[: header.length], blocks


def test_rewrite_conformance_snappy_structure(conformance: Path, tmp_path: Path) -> None:
    """Snappy files: identical except inside the raw Snappy chunks.

    Hadoop compresses with the C++ libsnappy (via snappy-java), we with the Rust ``snap``
    implementation in cramjam; both are valid raw Snappy but can pick different matches, so the
    compressed chunk bytes (and thus file lengths and ``.crc`` files) may differ. Everything else
    must be equal: header bytes, the number of blocks and records per block, Hadoop's block framing
    (block and chunk lengths, the trailing empty block after an oversized write), the decompressed
    buffers, and the MapFile index files (always DefaultCodec) byte for byte.
    """
    snappy_parts = []
    for part, mapfile in _conformance_files(conformance):
        data = part / "data" if mapfile else part
        if (SequenceFileReader(str(data)).header.codec_class or "").endswith("SnappyCodec"):
            snappy_parts.append((part, mapfile, data))
    assert snappy_parts, "the corpus has a Snappy variant (generated/f_block_snappy)"
    codec = get_codec("snappy")
    identical_chunks = 0
    for part, mapfile, data in snappy_parts:
        dst = tmp_path / part.relative_to(conformance)
        _rewrite(part, dst, SYNC_INTERVAL, mapfile)
        ours = dst / "data" if mapfile else dst
        header_a, blocks_a = _blocks(data)
        header_b, blocks_b = _blocks(ours)
        assert header_a == header_b
        assert [n for n, _ in blocks_a] == [n for n, _ in blocks_b]
        for (_, bufs_a), (_, bufs_b) in zip(blocks_a, blocks_b, strict=True):
            for a, b in zip(bufs_a, bufs_b, strict=True):
                assert _snappy_frames(a) == _snappy_frames(b)
                assert codec.decompress(a, 1 << 30) == codec.decompress(b, 1 << 30)
                identical_chunks += a == b
        if mapfile:
            assert (part / "index").read_bytes() == (dst / "index").read_bytes()
    assert identical_chunks > 0  # large buffers do come out identical


def test_writer_output_passes_crc_verification(tmp_path: Path) -> None:
    path = tmp_path / "m"
    with MapFileWriter(str(path), compression="BLOCK", codec="zstd", crc=True) as w:
        for i in range(500):
            w.append(f"k{i:04d}", os.urandom(100))
    assert verify_crc(str(path / "data")) and verify_crc(str(path / "index"))


@pytest.mark.parametrize(
    ("name", "max_input"),
    [("snappy", 262_144 - (262_144 // 6 + 32)), ("lz4", 262_144 - (262_144 // 255 + 16))],
)
def test_block_framing_like_hadoop(name: str, max_input: int) -> None:
    """Hadoop's BlockCompressorStream: an empty stream is ``00000000``; up to max_input bytes make
    one block of one chunk; more make one block of several chunks plus an empty block."""
    codec = get_codec(name)
    assert codec.compress(b"") == b"\x00\x00\x00\x00"
    rng = random.Random(11)
    exact = rng.randbytes(max_input)
    framed = codec.compress(exact)
    assert struct.unpack_from(">II", framed) == (max_input, len(framed) - 8)
    big = rng.randbytes(2 * max_input + 5)
    framed = codec.compress(big)
    (block_len,) = struct.unpack_from(">I", framed)
    pos, chunks = 4, 0
    while pos < len(framed) - 4:
        (n,) = struct.unpack_from(">I", framed, pos)
        pos += 4 + n
        chunks += 1
    assert (block_len, chunks, framed[pos:]) == (len(big), 3, b"\x00\x00\x00\x00")
    assert codec.decompress(framed, 1 << 30) == big


def test_append_python_objects(tmp_path: Path) -> None:
    from ccdump.nutch.content import CLASS, Content
    from ccdump.nutch.values import decode_value

    c = Content("http://x.example/", "http://x.example/", b"<p>body</p>", "text/html")
    with SequenceFileWriter(str(tmp_path / "c"), TEXT, CLASS, compression="RECORD") as w:
        w.append("http://x.example/", c)
    with SequenceFileWriter(str(tmp_path / "l"), TEXT, LONG) as w:
        w.append("n", -5)
    (rec,) = list(SequenceFileReader(str(tmp_path / "c")))
    assert decode_value(CLASS, rec.value) == c
    (rec,) = list(SequenceFileReader(str(tmp_path / "l")))
    assert rec.value == struct.pack(">q", -5)
    with pytest.raises(TypeError):
        SequenceFileWriter(str(tmp_path / "x"), TEXT, TEXT).append("k", object())
