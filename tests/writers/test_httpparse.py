"""The ia-web-commons header parsers: fast path equals the state machine; the documented quirks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ccdump.writers.httpparse import (
    HttpParseError,
    _parse_fields_slow,
    parse_fields,
    parse_request_line,
    parse_status_line,
)

_name = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters=":"),
    min_size=1,
    max_size=12,
)
_value = st.text(alphabet=st.sampled_from(list("ab c\t:;=/\x0b")), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_name, _value, st.sampled_from([": ", ":", " : ", ":\t "])), min_size=1, max_size=6)
)
def test_fast_path_equals_state_machine(fields):
    data = "".join(f"{n}{sep}{v}\r\n" for n, v, sep in fields).encode() + b"\r\nbody"
    assert parse_fields(data) == _parse_fields_slow(data, 0, len(data))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60))
def test_any_bytes_parse_without_error(data):
    result = parse_fields(data)
    assert 0 <= result.consumed <= len(data)


def test_values_collapse_and_trim():
    fields = parse_fields(b"A:   x \t  y  \r\nB:\r\nC : z\r\n\r\n")
    assert fields.headers == [("A", "x y"), ("B", ""), ("C", "z")]
    assert fields.consumed == len(b"A:   x \t  y  \r\nB:\r\nC : z\r\n\r\n")
    assert not fields.corrupt and fields.complete


def test_block_without_blank_line_is_corrupt_and_loses_last_field():
    # Common Crawl's warcinfo blocks end like this; the WAT then misses "conformsTo"
    fields = parse_fields(b"isPartOf: X\r\nformat: F\r\nconformsTo: C\r\n")
    assert fields.headers == [("isPartOf", "X"), ("format", "F")]
    assert fields.corrupt and not fields.complete


def test_non_ascii_bytes_are_dropped():
    fields = parse_fields("Title: caf\u00e9\r\n\r\n".encode())
    assert fields.headers == [("Title", "caf")]
    assert fields.corrupt


def test_request_line_counts_without_crlf():
    line = parse_request_line(b"GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (line.method, line.path, line.version) == ("GET", "/page.html", "HTTP/1.1")
    assert line.counted == 23 and line.consumed == 25


def test_request_line_without_spaces_is_skipped_by_the_generator():
    try:
        parse_request_line(b"GET\r\n\r\n")
    except HttpParseError:
        pass
    else:
        raise AssertionError("expected HttpParseError")


def test_status_lines():
    ok = parse_status_line(b"HTTP/1.1 200 OK\r\n")
    assert (ok.version, ok.status, ok.reason, ok.counted) == ("HTTP/1.1", 200, "OK", 17)
    h2 = parse_status_line(b"HTTP/2 200\r\n")
    assert (h2.version, h2.status, h2.reason) == ("HTTP/1.0", 200, "UNK")
    odd = parse_status_line(b"HTTP/1.1 999 Weird thing\r\n")
    assert (odd.status, odd.reason) == (0, "Weird thing")
