"""Java DataOutput primitives: VInt/VLong (with the spec's worked examples), Text, UTF8, writeUTF.

Round trips run our encoder into our decoder; the fixed tables pin both to Hadoop's actual bytes,
so a symmetric mistake in both directions cannot pass.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccdump.hadoop.writables import (
    DataInput,
    DataOutput,
    DecodeError,
    decode_java_utf,
    encode_java_utf,
    encode_vlong,
    vint_size,
)
from ccdump.hadoop.writer import hash_partition, text_hash
from ccdump.nutch.segment_writer import generate_sort_hash, java_string_hash

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)

# spec hadoop-sequencefile.md §1.1, "Worked examples (hex)"
VLONG_EXAMPLES = [
    (0, "00"),
    (1, "01"),
    (127, "7f"),
    (-1, "ff"),
    (-112, "90"),
    (-113, "87 70"),
    (-128, "87 7f"),
    (-129, "87 80"),
    (-1000, "86 03 e7"),
    (128, "8f 80"),
    (255, "8f ff"),
    (256, "8e 01 00"),
    (1000, "8e 03 e8"),
    (65535, "8e ff ff"),
    (65536, "8d 01 00 00"),
    (2147483647, "8c 7f ff ff ff"),
    (-2147483648, "84 7f ff ff ff"),
    (2**63 - 1, "88 7f ff ff ff ff ff ff ff"),
    (-(2**63), "80 7f ff ff ff ff ff ff ff"),
]


@pytest.mark.parametrize(("value", "hexbytes"), VLONG_EXAMPLES)
def test_vlong_worked_examples(value: int, hexbytes: str) -> None:
    raw = bytes.fromhex(hexbytes)
    assert encode_vlong(value) == raw
    d = DataInput(raw)
    assert d.vlong() == value
    assert d.at_end()
    first = raw[0] - 256 if raw[0] > 127 else raw[0]
    assert vint_size(first) == len(raw)


@given(INT64)
def test_vlong_round_trip(value: int) -> None:
    raw = encode_vlong(value)
    first = raw[0] - 256 if raw[0] > 127 else raw[0]
    assert vint_size(first) == len(raw) <= 9
    d = DataInput(raw)
    assert d.vlong() == value and d.at_end()


@given(INT32)
def test_vint_round_trip(value: int) -> None:
    assert DataInput(encode_vlong(value)).vint() == value


@given(
    st.one_of(
        st.integers(min_value=2**31, max_value=2**63 - 1),
        st.integers(min_value=-(2**63), max_value=-(2**31) - 1),
    )
)
def test_vint_rejects_values_outside_int32(value: int) -> None:
    with pytest.raises(DecodeError):
        DataInput(encode_vlong(value)).vint()


def test_vlong_truncated_raises() -> None:
    with pytest.raises(DecodeError):
        DataInput(bytes.fromhex("8c 7f ff")).vlong()


@given(st.text())
def test_text_round_trip(s: str) -> None:
    raw = DataOutput().text(s).getvalue()
    payload = s.encode("utf-8")
    assert raw == encode_vlong(len(payload)) + payload
    d = DataInput(raw)
    assert d.text() == s and d.at_end()


@given(st.text(max_size=2000))
def test_utf8_class_round_trip(s: str) -> None:
    raw = DataOutput().utf8(s).getvalue()
    assert int.from_bytes(raw[:2], "big") == len(raw) - 2
    d = DataInput(raw)
    assert d.utf8() == s and d.at_end()


@given(st.text(max_size=2000))
def test_write_utf_round_trip(s: str) -> None:
    raw = DataOutput().write_utf(s).getvalue()
    assert b"\x00" not in raw[2:]  # modified UTF-8 never stores a NUL byte
    d = DataInput(raw)
    assert d.write_utf() == s and d.at_end()


def test_java_utf_encodings_of_nul_and_supplementary() -> None:
    # UTF8 class: NUL as 00; writeUTF: NUL as C0 80; both: U+1F600 as two 3-byte surrogates (CESU-8).
    assert encode_java_utf("a\x00b") == b"a\x00b"
    assert encode_java_utf("a\x00b", nul_as_c080=True) == b"a\xc0\x80b"
    assert encode_java_utf("\U0001f600") == bytes.fromhex("eda0bd edb880")
    assert decode_java_utf(bytes.fromhex("eda0bd edb880")) == "\U0001f600"
    assert decode_java_utf(b"\xc0\x80") == "\x00"
    assert decode_java_utf(bytes.fromhex("eda0bd")) == "\ufffd"  # lone surrogate


@given(st.lists(st.one_of(st.none(), st.text(max_size=50)), max_size=8) | st.none())
def test_string_arrays_round_trip(items: list[str | None] | None) -> None:
    d = DataInput(DataOutput().string_array(items).getvalue())
    assert d.string_array() == items and d.at_end()


@settings(max_examples=30)
@given(st.lists(st.one_of(st.none(), st.text(max_size=200)), max_size=4) | st.none())
def test_compressed_string_arrays_round_trip(items: list[str | None] | None) -> None:
    raw = DataOutput().compressed_string_array(items).getvalue()
    d = DataInput(raw)
    assert d.compressed_string_array() == items and d.at_end()


def test_hash_functions_match_java() -> None:
    # "hello".hashCode() == 99162322 in Java; Text.hashCode seeds with 1 instead of 0, so it adds 31^5.
    assert java_string_hash("hello") == 99162322
    assert text_hash(b"hello") == 99162322 + 31**5
    # Overflow wraps like a Java int; signed bytes matter (0xC3 is -61).
    assert java_string_hash("polygenelubricants") == -(2**31)  # a well-known Java overflow case
    assert java_string_hash("Aa") == java_string_hash("BB") == 2112
    assert java_string_hash("\U0001f600") == 0xD83D * 31 + 0xDE00  # UTF-16 code units, not code points
    assert text_hash(b"\xc3") == 31 - 61
    assert -(2**31) <= text_hash(b"x" * 100) < 2**31
    assert hash_partition(b"hello", 7) == (99162322 + 31**5) % 7
    # HashComparator: the same polynomial from the last byte to the first.
    assert generate_sort_hash(b"ab") == 31 * (31 * 1 + ord("b")) + ord("a")
