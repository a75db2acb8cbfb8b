"""``.crc`` sidecars: what Hadoop's ChecksumFileSystem writes, and detecting damage with them."""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import pytest

from ccdump.errors import SegmentFormatError
from ccdump.hadoop.crc import ChunkedCrc, compute_crc, sidecar_path, verify_crc, write_crc


def _make(tmp_path: Path, size: int, seed: int = 1) -> Path:
    path = tmp_path / "data"
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, 5000])
def test_layout_matches_hadoop(tmp_path: Path, size: int) -> None:
    path = _make(tmp_path, size)
    crc_path = write_crc(str(path))
    assert crc_path == str(tmp_path / ".data.crc")
    data = path.read_bytes()
    expected = b"crc\x00" + struct.pack(">i", 512)
    expected += b"".join(struct.pack(">I", zlib.crc32(data[i : i + 512])) for i in range(0, size, 512))
    assert Path(crc_path).read_bytes() == expected
    assert verify_crc(str(path)) is True


def test_no_sidecar_means_nothing_to_verify(tmp_path: Path) -> None:
    assert verify_crc(str(_make(tmp_path, 100))) is False


def test_flipped_byte_reports_its_chunk(tmp_path: Path) -> None:
    path = _make(tmp_path, 2000)
    write_crc(str(path))
    data = bytearray(path.read_bytes())
    data[700] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(SegmentFormatError) as info:
        verify_crc(str(path))
    err = info.value
    assert err.path == str(path) and err.offset == 512
    assert "CRC-32" in err.expected and err.found


def test_truncated_and_extended_files(tmp_path: Path) -> None:
    path = _make(tmp_path, 2000)
    write_crc(str(path))
    original = path.read_bytes()
    path.write_bytes(original[:1000])
    with pytest.raises(SegmentFormatError) as info:
        verify_crc(str(path))
    assert info.value.offset == 512  # the short last chunk no longer matches
    path.write_bytes(original[:1024])  # cut at a chunk boundary: chunks are missing
    with pytest.raises(SegmentFormatError, match="truncated") as info:
        verify_crc(str(path))
    assert info.value.offset == 1024
    path.write_bytes(original + b"more")
    with pytest.raises(SegmentFormatError) as info:
        verify_crc(str(path))
    assert info.value.offset == 1536  # the last chunk no longer matches
    path.write_bytes(original + b"x" * 100)  # a whole chunk past what the sidecar covers
    Path(sidecar_path(str(path))).write_bytes(Path(sidecar_path(str(path))).read_bytes()[:-4])
    with pytest.raises(SegmentFormatError) as info:
        verify_crc(str(path))
    assert info.value.offset == 1536


def test_malformed_sidecar_names_the_sidecar(tmp_path: Path) -> None:
    path = _make(tmp_path, 10)
    crc_path = Path(sidecar_path(str(path)))
    crc_path.write_bytes(b"xyz\x00\x00\x00\x02\x00")
    with pytest.raises(SegmentFormatError) as info:
        verify_crc(str(path))
    assert info.value.path == str(crc_path) and info.value.offset == 0
    crc_path.write_bytes(b"crc\x00\x00\x00\x02\x00\x01\x02")
    with pytest.raises(SegmentFormatError) as info:
        verify_crc(str(path))
    assert info.value.path == str(crc_path)


def test_other_chunk_sizes(tmp_path: Path) -> None:
    path = _make(tmp_path, 3000)
    write_crc(str(path), bytes_per_checksum=1024)
    assert Path(sidecar_path(str(path))).read_bytes()[4:8] == struct.pack(">i", 1024)
    assert verify_crc(str(path))


def test_incremental_equals_whole_file(tmp_path: Path) -> None:
    path = _make(tmp_path, 10_000, seed=5)
    data = path.read_bytes()
    rng = random.Random(9)
    acc = ChunkedCrc()
    pos = 0
    while pos < len(data):
        n = rng.choice([0, 1, 7, 511, 512, 513, 1500])
        acc.update(data[pos : pos + n])
        pos += n
    assert acc.sidecar() == compute_crc(str(path))


def test_hadoop_written_sidecars_verify(conformance: Path) -> None:
    checked = 0
    for crc in conformance.rglob(".*.crc"):
        data = crc.with_name(crc.name[1:-4])
        assert verify_crc(str(data)) is True
        assert compute_crc(str(data)) == crc.read_bytes()
        checked += 1
    assert checked >= 70
