"""Hadoop ``.crc`` sidecars, as the local ``ChecksumFileSystem`` writes them next to every file.

Layout (spec hadoop-sequencefile.md §5.3): ``63 72 63 00`` ("crc\\0"), int32 bytesPerChecksum (512),
then one CRC-32 (zlib polynomial, 4 bytes big-endian) per chunk of the data file, the last chunk
possibly short. An empty file has an 8-byte sidecar (header only).

Segments copied off a Hadoop local file system carry these files; verifying them is the only way to
tell bit rot from a format problem, so the reader can call :func:`verify_crc` on request, and the
writer produces the sidecars so that Hadoop itself accepts the files we write.
"""

from __future__ import annotations

import os
import struct
import zlib

from ccdump.errors import SegmentFormatError

MAGIC = b"crc\x00"
BYTES_PER_CHECKSUM = 512
_HEADER = struct.Struct(">4si")
_U32 = struct.Struct(">I")


def sidecar_path(path: str) -> str:
    """``dir/name`` → ``dir/.name.crc`` (Hadoop's ``ChecksumFileSystem.getChecksumFile``)."""
    head, tail = os.path.split(path)
    return os.path.join(head, f".{tail}.crc")


class ChunkedCrc:
    """Incremental CRC-32 per fixed-size chunk, so a writer can stream without re-reading its file."""

    __slots__ = ("bytes_per_checksum", "_pending", "_crcs")

    def __init__(self, bytes_per_checksum: int = BYTES_PER_CHECKSUM) -> None:
        if bytes_per_checksum <= 0:
            raise ValueError("bytes_per_checksum must be positive")
        self.bytes_per_checksum = bytes_per_checksum
        self._pending = bytearray()
        self._crcs = bytearray()

    def update(self, data: bytes | bytearray | memoryview) -> None:
        bpc = self.bytes_per_checksum
        view = memoryview(data)
        if self._pending:
            take = min(bpc - len(self._pending), len(view))
            self._pending += view[:take]
            view = view[take:]
            if len(self._pending) == bpc:
                self._crcs += _U32.pack(zlib.crc32(self._pending))
                self._pending.clear()
        full = len(view) - len(view) % bpc
        crc32 = zlib.crc32
        pack = _U32.pack
        self._crcs += b"".join(pack(crc32(view[i : i + bpc])) for i in range(0, full, bpc))
        if full < len(view):
            self._pending += view[full:]

    def sidecar(self) -> bytes:
        """The complete ``.crc`` file content for everything passed to :meth:`update`."""
        tail = _U32.pack(zlib.crc32(self._pending)) if self._pending else b""
        return _HEADER.pack(MAGIC, self.bytes_per_checksum) + bytes(self._crcs) + tail


def compute_crc(path: str, bytes_per_checksum: int = BYTES_PER_CHECKSUM) -> bytes:
    """The sidecar content Hadoop would write for the file at ``path``."""
    acc = ChunkedCrc(bytes_per_checksum)
    with open(path, "rb") as f:
        while True:
            block = f.read(bytes_per_checksum * 2048)
            if not block:
                break
            acc.update(block)
    return acc.sidecar()


def write_crc(path: str, bytes_per_checksum: int = BYTES_PER_CHECKSUM) -> str:
    """Write ``.name.crc`` next to ``path`` (atomically, via a temporary name); return its path."""
    target = sidecar_path(path)
    tmp = target + f".{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(compute_crc(path, bytes_per_checksum))
    os.replace(tmp, target)
    return target


def verify_crc(path: str) -> bool:
    """Check ``path`` against its ``.crc`` sidecar.

    Returns False when there is no sidecar (nothing to verify), True when every chunk matches.
    Raises :class:`SegmentFormatError` naming the data file and the offset of the first bad chunk
    (or, for a malformed sidecar, the sidecar and the offset inside it).
    """
    crc_path = sidecar_path(path)
    if not os.path.exists(crc_path):
        return False
    with open(crc_path, "rb") as f:
        sidecar = f.read()
    if len(sidecar) < _HEADER.size:
        raise SegmentFormatError(
            crc_path, 0, "a checksum header 'crc\\0' + bytesPerChecksum", f"{len(sidecar)} bytes"
        )
    magic, bpc = _HEADER.unpack_from(sidecar)
    if magic != MAGIC:
        raise SegmentFormatError(crc_path, 0, "the checksum magic 63 72 63 00", magic.hex())
    if bpc <= 0:
        raise SegmentFormatError(crc_path, 4, "a positive bytesPerChecksum", str(bpc))
    body = sidecar[_HEADER.size :]
    if len(body) % 4:
        raise SegmentFormatError(
            crc_path, len(sidecar), "a whole number of 4-byte checksums", f"{len(body)} bytes"
        )
    stored = [v for (v,) in _U32.iter_unpack(body)]
    size = os.path.getsize(path)
    expected_chunks = -(-size // bpc)
    with open(path, "rb") as f:
        for i, want in enumerate(stored):
            chunk = f.read(bpc)
            if not chunk:
                raise SegmentFormatError(
                    path,
                    size,
                    f"data for all {len(stored)} chunks the CRC-32 sidecar covers",
                    "end of file (truncated)",
                )
            got = zlib.crc32(chunk)
            if got != want:
                raise SegmentFormatError(
                    path, i * bpc, f"CRC-32 {want:08x} for the {bpc}-byte chunk", f"{got:08x}"
                )
    if expected_chunks > len(stored):
        raise SegmentFormatError(
            path,
            len(stored) * bpc,
            f"end of file (CRC-32 sidecar covers {len(stored) * bpc} bytes)",
            f"{size} bytes",
        )
    return True
