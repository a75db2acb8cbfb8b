"""Hadoop compression codecs: one *stream* in, its bytes out (and back, for the writer).

A SequenceFile stores each RECORD value, and each of the four buffers of a BLOCK, as one complete,
independent codec stream. Snappy and LZ4 wrap raw blocks in Hadoop's own block framing
(``u32 uncompressedLength`` then ``u32 chunkLength`` + chunk, repeated), which no other tool
writes; zlib, gzip, bzip2 and zstd are their standard formats.

Every decompressor is bounded by ``limit`` so that a corrupt or hostile length can never make the
reader allocate without bound.
"""

from __future__ import annotations

import bz2
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

_U32 = struct.Struct(">I")

#: Default upper bound for one decompressed stream (a record value or a block buffer).
DEFAULT_LIMIT = 1 << 30


class CodecError(Exception):
    """A stream does not decompress; ``offset`` is relative to the compressed stream."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def _inflate(data: bytes, limit: int, wbits: int) -> bytes:
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(data, limit)
    except zlib.error as exc:
        raise CodecError(f"corrupt {'gzip' if wbits > 15 else 'zlib'} stream: {exc}") from None
    if d.unconsumed_tail:
        raise CodecError(f"decompressed size exceeds the limit of {limit} bytes")
    if not d.eof:
        raise CodecError("truncated compressed stream", len(data))
    return out


def _zlib_decompress(data: bytes, limit: int) -> bytes:
    return _inflate(data, limit, 15)


def _zlib_compress(data: bytes) -> bytes:
    # java.util.zip.Deflater at DEFAULT_COMPRESSION: zlib level 6, header 78 9c.
    return zlib.compress(data, 6)


def _gzip_decompress(data: bytes, limit: int) -> bytes:
    return _inflate(data, limit, 31)


def _gzip_compress(data: bytes) -> bytes:
    # Hadoop's native gzip: a zlib gzip header with mtime 0 and OS 3 (Unix).
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def _bzip2_decompress(data: bytes, limit: int) -> bytes:
    d = bz2.BZ2Decompressor()
    try:
        out = d.decompress(data, limit)
    except (OSError, ValueError) as exc:
        raise CodecError(f"corrupt bzip2 stream: {exc}") from None
    if not d.eof:
        if not d.needs_input:
            raise CodecError(f"decompressed size exceeds the limit of {limit} bytes")
        raise CodecError("truncated bzip2 stream", len(data))
    return out


def _bzip2_compress(data: bytes) -> bytes:
    return bz2.compress(data, 9)


def _zstd_decompress(data: bytes, limit: int) -> bytes:
    import zstandard

    d = zstandard.ZstdDecompressor().decompressobj()
    out = bytearray()
    try:
        # Hadoop may write several frames; a decompressobj stops at the end of each.
        rest = data
        while rest:
            piece = d.decompress(rest)
            out += piece
            if len(out) > limit:
                raise CodecError(f"decompressed size exceeds the limit of {limit} bytes")
            if not d.eof:
                break
            rest = d.unused_data
            if rest:
                d = zstandard.ZstdDecompressor().decompressobj()
    except zstandard.ZstdError as exc:
        raise CodecError(f"corrupt zstd stream: {exc}") from None
    if not d.eof and data:
        raise CodecError("truncated zstd stream", len(data))
    return bytes(out)


def _zstd_compress(data: bytes) -> bytes:
    import zstandard

    # Hadoop's ZStandardCompressor streams (ZSTD_compressStream/endStream) without a pledged size,
    # so its frames carry no content size; level 3 is io.compression.codec.zstd.level's default.
    return zstandard.ZstdCompressor(level=3, write_content_size=False).compress(data)


def _block_framed_decompress(
    data: bytes, limit: int, raw_decompress: Callable[[bytes, int], bytes], name: str
) -> bytes:
    """Undo Hadoop's ``BlockCompressorStream`` framing around raw Snappy/LZ4 blocks."""
    out = bytearray()
    pos, n = 0, len(data)
    while pos < n:
        if pos + 4 > n:
            raise CodecError(f"truncated {name} block header", pos)
        (block_len,) = _U32.unpack_from(data, pos)
        pos += 4
        if block_len == 0:
            continue
        if len(out) + block_len > limit:
            raise CodecError(f"{name} block of {block_len} bytes exceeds the limit of {limit} bytes", pos - 4)
        done = 0
        while done < block_len:
            if pos + 4 > n:
                raise CodecError(f"truncated {name} chunk header", pos)
            (chunk_len,) = _U32.unpack_from(data, pos)
            pos += 4
            if chunk_len > n - pos:
                raise CodecError(f"{name} chunk of {chunk_len} bytes runs past the stream", pos - 4)
            try:
                piece = raw_decompress(data[pos : pos + chunk_len], block_len - done)
            except CodecError:
                raise
            except Exception as exc:  # the codec libraries raise their own error types
                raise CodecError(f"corrupt {name} chunk: {exc}", pos) from None
            pos += chunk_len
            done += len(piece)
            if done > block_len or not piece:
                raise CodecError(f"{name} chunk does not fit its block length {block_len}", pos)
            out += piece
    return bytes(out)


def _block_framed_compress(
    data: bytes, buffer_size: int, overhead: Callable[[int], int], raw_compress: Callable[[bytes], bytes]
) -> bytes:
    """Hadoop's ``BlockCompressorStream`` given the whole stream in one ``write`` call, then ``finish``.

    That is what ``SequenceFile`` does for each BLOCK buffer. Byte for byte as Hadoop writes it:
    an empty stream is a lone ``00 00 00 00`` (``finish`` writes the zero length, the compressor
    emits nothing); input of at most ``max_input`` bytes is one block of one chunk; longer input is
    one block of several chunks, followed by an empty block ``00 00 00 00`` because ``finish``
    runs once more on the freshly reset compressor (seen in Hadoop-written Snappy files).
    """
    if not data:
        return _U32.pack(0)
    max_input = buffer_size - overhead(buffer_size)
    out = bytearray(_U32.pack(len(data)))
    for i in range(0, len(data), max_input):
        chunk = raw_compress(data[i : i + max_input])
        out += _U32.pack(len(chunk))
        out += chunk
    if len(data) > max_input:
        out += _U32.pack(0)
    return bytes(out)


def _snappy_raw_decompress(chunk: bytes, _room: int) -> bytes:
    import cramjam

    return bytes(cramjam.snappy.decompress_raw(chunk))


def _snappy_raw_compress(data: bytes) -> bytes:
    import cramjam

    return bytes(cramjam.snappy.compress_raw(data))


def _lz4_raw_decompress(chunk: bytes, room: int) -> bytes:
    import cramjam

    # A raw LZ4 block does not store its size; the framing tells how much room is left in the
    # block. ``decompress_block(output_len=room)`` would return exactly ``room`` bytes, zero-padded,
    # which corrupts blocks of several chunks (values > ~255 KiB); decompressing into a buffer
    # of ``room`` bytes returns the real size of this chunk.
    # An LZ4 sequence expands at most ~255:1, which bounds the buffer for a corrupt block length.
    room = min(room, len(chunk) * 255 + 64)
    buf = bytearray(room)
    try:
        n = cramjam.lz4.decompress_block_into(chunk, buf, output_len=room)
    except TypeError:  # older cramjam lacks output_len here; then right only if the chunk ends the block
        return bytes(cramjam.lz4.decompress_block(chunk, output_len=room))
    return bytes(memoryview(buf)[:n])


def _lz4_raw_compress(data: bytes) -> bytes:
    import cramjam

    return bytes(cramjam.lz4.compress_block(data, store_size=False))


_SNAPPY_BUFFER = 256 * 1024
_LZ4_BUFFER = 256 * 1024


@dataclass(frozen=True)
class Codec:
    """A Hadoop codec: its Java class name and one-stream compress/decompress functions."""

    name: str
    decompress: Callable[[bytes, int], bytes]
    compress: Callable[[bytes], bytes]

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


DEFAULT_CODEC = "org.apache.hadoop.io.compress.DefaultCodec"

CODECS: dict[str, Codec] = {}


def _register(codec: Codec, *aliases: str) -> None:
    CODECS[codec.name] = codec
    for alias in aliases:
        CODECS[alias] = codec


_register(Codec(DEFAULT_CODEC, _zlib_decompress, _zlib_compress))
_register(Codec("org.apache.hadoop.io.compress.DeflateCodec", _zlib_decompress, _zlib_compress))
_register(Codec("org.apache.hadoop.io.compress.GzipCodec", _gzip_decompress, _gzip_compress))
_register(Codec("org.apache.hadoop.io.compress.BZip2Codec", _bzip2_decompress, _bzip2_compress))
_register(
    Codec(
        "org.apache.hadoop.io.compress.SnappyCodec",
        lambda d, limit: _block_framed_decompress(d, limit, _snappy_raw_decompress, "Snappy"),
        lambda d: _block_framed_compress(d, _SNAPPY_BUFFER, lambda b: b // 6 + 32, _snappy_raw_compress),
    )
)
_register(
    Codec(
        "org.apache.hadoop.io.compress.Lz4Codec",
        lambda d, limit: _block_framed_decompress(d, limit, _lz4_raw_decompress, "LZ4"),
        lambda d: _block_framed_compress(d, _LZ4_BUFFER, lambda b: b // 255 + 16, _lz4_raw_compress),
    )
)
_register(Codec("org.apache.hadoop.io.compress.ZStandardCodec", _zstd_decompress, _zstd_compress))

#: Short names accepted by the writer and the command line (``-codec snappy``).
SHORT_NAMES = {
    "default": DEFAULT_CODEC,
    "zlib": DEFAULT_CODEC,
    "deflate": "org.apache.hadoop.io.compress.DeflateCodec",
    "gzip": "org.apache.hadoop.io.compress.GzipCodec",
    "bzip2": "org.apache.hadoop.io.compress.BZip2Codec",
    "snappy": "org.apache.hadoop.io.compress.SnappyCodec",
    "lz4": "org.apache.hadoop.io.compress.Lz4Codec",
    "zstd": "org.apache.hadoop.io.compress.ZStandardCodec",
}


def get_codec(name: str) -> Codec | None:
    """The codec for a Java class name or a short name; ``None`` if unknown."""
    return CODECS.get(SHORT_NAMES.get(name.lower(), name) if "." not in name else name)
