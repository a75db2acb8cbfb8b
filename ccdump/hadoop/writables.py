"""Java ``DataInput``/``DataOutput`` primitives as Hadoop writes them (big-endian).

Reading works on an in-memory buffer (one record value, one decompressed block buffer), so every
read is bounds-checked against the end of that buffer: a corrupt length can never make us read
past it or allocate more than the buffer holds. Problems raise :class:`DecodeError`, which carries
the offset inside the buffer; the container layer adds the file name and absolute offset.
"""

from __future__ import annotations

import struct
import zlib

_I16 = struct.Struct(">h")
_U16 = struct.Struct(">H")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_F32 = struct.Struct(">f")

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class DecodeError(Exception):
    """A value does not decode; ``offset`` is relative to the buffer being decoded."""

    def __init__(self, offset: int, expected: str, found: str | None = None) -> None:
        self.offset = offset
        self.expected = expected
        self.found = found
        super().__init__(f"at byte {offset}: expected {expected}" + (f", found {found}" if found else ""))


def vint_size(first: int) -> int:
    """Total encoded size of a VLong/VInt from its first byte (signed)."""
    if first >= -112:
        return 1
    if first < -120:
        return -119 - first
    return -111 - first


class DataInput:
    """A cursor over one buffer with Java's primitive readers."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf: bytes | bytearray | memoryview, pos: int = 0, end: int | None = None) -> None:
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end

    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos == self.end

    def _need(self, n: int, what: str) -> int:
        p = self.pos
        if n < 0 or p + n > self.end:
            raise DecodeError(p, f"{what} ({n} bytes)", f"{self.end - p} bytes left")
        self.pos = p + n
        return p

    def raw(self, n: int, what: str = "bytes") -> bytes:
        p = self._need(n, what)
        return bytes(self.buf[p : p + n])

    def u8(self) -> int:
        p = self.pos
        if p >= self.end:
            raise DecodeError(p, "a byte (1 bytes)", "0 bytes left")
        self.pos = p + 1
        return self.buf[p]

    def i8(self) -> int:
        p = self.pos
        if p >= self.end:
            raise DecodeError(p, "a byte (1 bytes)", "0 bytes left")
        self.pos = p + 1
        b = self.buf[p]
        return b - 256 if b > 127 else b

    def boolean(self) -> bool:
        return self.u8() != 0

    def flag(self, what: str = "a boolean") -> bool:
        """A boolean that must be exactly 0 or 1 (used to tell ambiguous layouts apart)."""
        p = self.pos
        b = self.u8()
        if b > 1:
            raise DecodeError(p, what, f"byte {b:#04x}")
        return b == 1

    def i16(self) -> int:
        return _I16.unpack_from(self.buf, self._need(2, "a short"))[0]

    def u16(self) -> int:
        return _U16.unpack_from(self.buf, self._need(2, "an unsigned short"))[0]

    def i32(self) -> int:
        p = self.pos
        if p + 4 > self.end:
            raise DecodeError(p, "an int (4 bytes)", f"{self.end - p} bytes left")
        self.pos = p + 4
        return _I32.unpack_from(self.buf, p)[0]

    def i64(self) -> int:
        return _I64.unpack_from(self.buf, self._need(8, "a long"))[0]

    def f32(self) -> float:
        return _F32.unpack_from(self.buf, self._need(4, "a float"))[0]

    def f32_bits(self) -> int:
        """The raw IEEE-754 bits of a float as a signed int32 (exact, unlike a Python float)."""
        return self.i32()

    def vlong(self) -> int:
        start = self.pos
        first = self.i8()
        if first >= -112:
            return first
        negative = first < -120
        n = (-120 - first) if negative else (-112 - first)
        p = self._need(n, "VLong bytes")
        value = int.from_bytes(self.buf[p : p + n], "big")
        if negative:
            value = ~value
        if not -(2**63) <= value < 2**63:
            raise DecodeError(start, "a VLong in the int64 range")
        return value

    def vint(self) -> int:
        start = self.pos
        value = self.vlong()
        if not INT32_MIN <= value <= INT32_MAX:
            raise DecodeError(start, "a VInt in the int32 range", str(value))
        return value

    def length(self, value: int, what: str) -> int:
        """Check a decoded length against what is left in the buffer."""
        if value < 0 or value > self.end - self.pos:
            raise DecodeError(self.pos, f"{what} length within the {self.end - self.pos} bytes left", str(value))
        return value

    # --- strings -------------------------------------------------------------------------------

    def text(self) -> str:
        """``org.apache.hadoop.io.Text``: VInt length + UTF-8 (malformed bytes → U+FFFD)."""
        p, buf = self.pos, self.buf
        if p < self.end and buf[p] < 0x80:  # fast path: a one-byte length (0–127)
            q = p + 1 + buf[p]
            if q <= self.end:
                self.pos = q
                return str(buf[p + 1 : q], "utf-8", "replace")
        start = self.pos
        n = self.vint()
        if n < 0:
            raise DecodeError(start, "a non-negative Text length", str(n))
        p = self._need(n, "Text bytes")
        return str(self.buf[p : p + n], "utf-8", "replace")

    def text_bytes(self) -> bytes:
        start = self.pos
        n = self.vint()
        if n < 0:
            raise DecodeError(start, "a non-negative Text length", str(n))
        return self.raw(n, "Text bytes")

    def utf8(self) -> str:
        """Deprecated ``org.apache.hadoop.io.UTF8``: u16 length + Java's UTF-16-unit encoding."""
        n = self.u16()
        return decode_java_utf(self.raw(n, "UTF8 bytes"))

    def write_utf(self) -> str:
        """``DataOutput.writeUTF`` (modified UTF-8): same decoding as UTF8 (``C0 80`` is NUL)."""
        return self.utf8()

    def string(self) -> str | None:
        """``WritableUtils.writeString``: int32 length (-1 = null) + UTF-8."""
        start = self.pos
        n = self.i32()
        if n == -1:
            return None
        if n < 0:
            raise DecodeError(start, "a string length ≥ -1", str(n))
        p = self._need(n, "string bytes")
        return str(self.buf[p : p + n], "utf-8", "replace")

    def string_array(self) -> list[str | None] | None:
        start = self.pos
        n = self.i32()
        if n == -1:
            return None
        if n < 0 or n * 4 > self.remaining():
            raise DecodeError(start, "a string-array count that fits the buffer", str(n))
        return [self.string() for _ in range(n)]

    def compressed_string(self) -> str | None:
        """``WritableUtils.writeCompressedString``: int32 length (-1 = null) + one gzip member."""
        start = self.pos
        n = self.i32()
        if n == -1:
            return None
        blob = self.raw(self.length(n, "compressed string"), "compressed string")
        try:
            return gunzip_bounded(blob).decode("utf-8", "replace")
        except zlib.error as exc:
            raise DecodeError(start, "a gzip member", str(exc)) from None

    def compressed_string_array(self) -> list[str | None] | None:
        start = self.pos
        n = self.i32()
        if n == -1:
            return None
        if n < 0 or n * 4 > self.remaining():
            raise DecodeError(start, "a compressed-string-array count that fits the buffer", str(n))
        return [self.compressed_string() for _ in range(n)]


#: Upper bound for a single inflated helper blob (compressed strings, zlib-wrapped Content).
MAX_INFLATED = 1 << 30


def gunzip_bounded(blob: bytes, limit: int = MAX_INFLATED) -> bytes:
    d = zlib.decompressobj(31)
    out = d.decompress(blob, limit)
    if d.unconsumed_tail:
        raise zlib.error(f"inflated size exceeds {limit} bytes")
    return out


def decode_java_utf(data: bytes) -> str:
    """Decode Java's per-UTF-16-unit encoding (UTF8 class, writeUTF, CESU-8), never failing.

    Fast path: plain UTF-8 without surrogates or ``C0 80`` decodes identically.
    """
    if b"\xed" not in data and b"\xc0" not in data:
        return data.decode("utf-8", "replace")
    units: list[int] = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            units.append(b)
            i += 1
        elif b & 0xE0 == 0xC0 and i + 1 < n and data[i + 1] & 0xC0 == 0x80:
            units.append(((b & 0x1F) << 6) | (data[i + 1] & 0x3F))
            i += 2
        elif b & 0xF0 == 0xE0 and i + 2 < n and data[i + 1] & 0xC0 == 0x80 and data[i + 2] & 0xC0 == 0x80:
            units.append(((b & 0x0F) << 12) | ((data[i + 1] & 0x3F) << 6) | (data[i + 2] & 0x3F))
            i += 3
        else:
            units.append(0xFFFD)
            i += 1
    raw = b"".join(u.to_bytes(2, "big") for u in units)
    return raw.decode("utf-16-be", "replace")


# --- writing ---------------------------------------------------------------------------------------


def encode_vlong(value: int) -> bytes:
    """``WritableUtils.writeVLong``.

    >>> encode_vlong(128).hex(), encode_vlong(-129).hex(), encode_vlong(-112).hex()
    ('8f80', '8780', '90')
    """
    if -112 <= value <= 127:
        return bytes((value & 0xFF,))
    marker = -112
    if value < 0:
        value = ~value
        marker = -120
    n = (value.bit_length() + 7) // 8
    return bytes(((marker - n) & 0xFF,)) + value.to_bytes(n, "big")


def encode_java_utf(text: str, nul_as_c080: bool = False) -> bytes:
    """Java's per-UTF-16-unit encoding (UTF8 class; writeUTF when ``nul_as_c080``)."""
    raw = text.encode("utf-16-be", "surrogatepass")
    out = bytearray()
    for i in range(0, len(raw), 2):
        u = (raw[i] << 8) | raw[i + 1]
        if 0 < u < 0x80 or (u == 0 and not nul_as_c080):
            out.append(u)
        elif u < 0x800:
            out += bytes((0xC0 | (u >> 6), 0x80 | (u & 0x3F)))
        else:
            out += bytes((0xE0 | (u >> 12), 0x80 | ((u >> 6) & 0x3F), 0x80 | (u & 0x3F)))
    return bytes(out)


class DataOutput:
    """A growing buffer with Java's primitive writers."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def raw(self, data: bytes) -> DataOutput:
        self.buf += data
        return self

    def u8(self, v: int) -> DataOutput:
        self.buf.append(v & 0xFF)
        return self

    def boolean(self, v: bool) -> DataOutput:
        return self.u8(1 if v else 0)

    def i16(self, v: int) -> DataOutput:
        self.buf += _I16.pack(v)
        return self

    def u16(self, v: int) -> DataOutput:
        self.buf += _U16.pack(v)
        return self

    def i32(self, v: int) -> DataOutput:
        self.buf += _I32.pack(v)
        return self

    def i64(self, v: int) -> DataOutput:
        self.buf += _I64.pack(v)
        return self

    def f32(self, v: float) -> DataOutput:
        self.buf += _F32.pack(v)
        return self

    def f32_bits(self, bits: int) -> DataOutput:
        return self.i32(bits)

    def vlong(self, v: int) -> DataOutput:
        self.buf += encode_vlong(v)
        return self

    vint = vlong

    def text(self, s: str) -> DataOutput:
        data = s.encode("utf-8", "surrogatepass")
        return self.vlong(len(data)).raw(data)

    def utf8(self, s: str) -> DataOutput:
        data = encode_java_utf(s)
        return self.u16(len(data)).raw(data)

    def write_utf(self, s: str) -> DataOutput:
        data = encode_java_utf(s, nul_as_c080=True)
        return self.u16(len(data)).raw(data)

    def string(self, s: str | None) -> DataOutput:
        if s is None:
            return self.i32(-1)
        data = s.encode("utf-8")
        return self.i32(len(data)).raw(data)

    def string_array(self, items: list[str | None] | None) -> DataOutput:
        if items is None:
            return self.i32(-1)
        self.i32(len(items))
        for s in items:
            self.string(s)
        return self

    def compressed_string(self, s: str | None) -> DataOutput:
        if s is None:
            return self.i32(-1)
        c = zlib.compressobj(6, zlib.DEFLATED, 31)
        blob = c.compress(s.encode("utf-8")) + c.flush()
        return self.i32(len(blob)).raw(blob)

    def compressed_string_array(self, items: list[str | None] | None) -> DataOutput:
        if items is None:
            return self.i32(-1)
        self.i32(len(items))
        for s in items:
            self.compressed_string(s)
        return self
