"""The fast JSON serialisation (orjson) gives byte for byte the exact Jackson layout of the
reference implementation (mapper._to_json_text_exact), whatever the strings hold."""

from __future__ import annotations

import json
import random

import pytest

from ccdump.config import NutchConfig
from ccdump.mapper import _to_json_text_exact, to_json_bytes, to_json_text, to_record
from ccdump.nutch.content import Content
from ccdump.nutch.document import Document
from ccdump.nutch.metadata import Metadata

ALPHABET = [chr(i) for i in range(0x80)] + ["é", "\u2028", "\U0001f600", "\ufffd", "\\u00", '": ', '": "', "{\n", "\x7f", "null"]


def _string(rng: random.Random, n: int = 30) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, n)))


def _value(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth < 3 and r < 0.2:
        return {_string(rng): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 3 and r < 0.3:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if r < 0.35:
        return None
    if r < 0.4:
        return rng.choice([True, False, 3, -1, 1.5])
    return _string(rng)


def _record_like(rng: random.Random) -> dict:
    """The shape to_record builds (the fast path), strings drawn from a hostile alphabet."""
    headers = {_string(rng, 12) or "X": _string(rng) for _ in range(rng.randint(0, 6))}
    return {
        "url": _string(rng),
        "timestamp": _string(rng),
        "request": {"method": "GET", "client": {"hostname": _string(rng), "contact": {"name": "", "email": ""}}, "body": None},
        "response": {"status": "", "headers": headers, "body": _string(rng, rng.choice([10, 300, 5000]))},
        "key": _string(rng),
        "imported": _string(rng),
    }


def _check(record: dict) -> None:
    exact = _to_json_text_exact(record)
    assert to_json_text(record) == exact
    assert to_json_bytes(record) == exact.encode("utf-8")


@pytest.mark.parametrize("seed", range(4))
def test_random_values_match_the_exact_layout(seed):
    rng = random.Random(seed)
    for _ in range(800):
        _check({_string(rng): _value(rng) for _ in range(rng.randint(0, 6))})


@pytest.mark.parametrize("seed", range(4))
def test_record_shaped_values_match_the_exact_layout(seed):
    rng = random.Random(100 + seed)
    for _ in range(600):
        _check(_record_like(rng))


def test_every_character_and_the_layout_details():
    every = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000)
    _check({"k": every, every[:300]: [every[:50], None], "response": {"body": every}})
    _check({"response": {"body": "x" * 1000 + "\x0b" + "y" * 1000}, "e": {}, "a": [], "n": [1, True, None, {}]})
    text = to_json_text({"a": {"b": "c", "d": None}, "e": {}, "f": ["x", "y"], "g": []})
    assert text == '{\n  "a" : {\n    "b" : "c",\n    "d" : null\n  },\n  "e" : { },\n  "f" : [ "x", "y" ],\n  "g" : [ ]\n}'
    assert to_json_text({}) == "{ }"
    assert to_json_text({"c": "\x01\x1f\x0b\t"}) == '{\n  "c" : "\\u0001\\u001F\\u000B\\t"\n}'


def test_lone_surrogate_keeps_the_old_behaviour():
    record = {"response": {"body": "a\ud800" + "b" * 500}, "k": "v"}
    assert to_json_text(record) == _to_json_text_exact(record)
    with pytest.raises(UnicodeEncodeError):
        to_json_bytes(record)


def test_mapped_documents_round_trip():
    meta = Metadata([("Content-Type", ["text/html; charset=windows-1252"]), ("content-type", ["ignored"]),
                     ("date", ["Mon, 09 Mar 2015 17:16:40 GMT"]), ("X-Quote", ['say ": "hi"']), ("Empty", [])])
    body = ("<p>caf\xe9 \u2026 \x0b</p>" * 400).encode("cp1252")
    doc = Document("http://example.org/a b?q=1", "seg", "part-00000",
                   Content("http://example.org/a b?q=1", "http://example.org/", body, "text/html", meta))
    record = to_record(doc, NutchConfig())
    _check(record)
    parsed = json.loads(to_json_bytes(record))
    assert parsed["response"]["headers"]["Date"] == "Mon, 09 Mar 2015 17:16:40 GMT"
    assert parsed["response"]["headers"]["X-Quote"] == 'say ": "hi"'
    assert parsed["response"]["headers"]["Empty"] == ""
    assert parsed["response"]["body"] == body.decode("cp1252")
    assert parsed["url"] == "http://example.org/a%20b%3Fq=1"
