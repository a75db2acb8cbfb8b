"""``ccdump readseg``: -list, -get, -dump switches, -verifyCrc and -skipCorrupt on real segments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccdump.cli import cli
from tests.conftest import conformance_oracles


@pytest.fixture(scope="module")
def oracle_and_segment(conformance):
    return next((o, s) for o, s in conformance_oracles() if "n_nutch_defaults" in str(o))


def _oracle(oracle: Path) -> list[dict]:
    return [json.loads(line) for line in oracle.open(encoding="utf-8")]


def invoke(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, ["readseg", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_list_counts_match_oracle(oracle_and_segment):
    oracle, seg = oracle_and_segment
    totals = {r["dir"]: r for r in _oracle(oracle) if r["type"] == "totals"}
    (row,) = [json.loads(line) for line in invoke("-list", str(seg), "-json").splitlines()]
    assert row["generated"] == totals["crawl_generate"]["records"]
    assert row["fetched"] == totals["crawl_fetch"]["records"]
    assert row["parsed"] == totals["parse_data"]["records"]
    assert row["fetch_status"] == totals["crawl_fetch"]["agg"]["status_counts"]
    assert row["name"] in invoke("-list", "-dir", str(seg.parent))


def test_get_finds_every_folder_through_the_index(oracle_and_segment):
    oracle, seg = oracle_and_segment
    lines = _oracle(oracle)
    key = next(r["key"] for r in lines if r["type"] == "record" and r["dir"] == "content")
    want = {r["dir"]: r["value"] for r in lines if r["type"] == "record" and r["key"] == key and r["dir"] != "crawl_parse"}
    got = {}
    for line in invoke("-get", str(seg), key, "-json", "-noparse").splitlines():
        rec = json.loads(line)
        got.setdefault(rec["dir"], rec["value"])
    for d in ("content", "crawl_fetch", "parse_data", "parse_text"):
        w, g = want[d], got[d]
        w.pop("score", None), g.pop("score", None)
        assert g == w, d
    invoke("-get", str(seg), "http://nowhere.example/", code=1)


def test_dump_switches_and_output_dir(oracle_and_segment, tmp_path):
    _, seg = oracle_and_segment
    out = invoke("-dump", str(seg), "-json", "-nocontent", "-nogenerate", "-noparse", "-noparsetext")
    dirs = {json.loads(line).get("dir") for line in out.splitlines()} - {None}
    assert dirs == {"crawl_fetch", "parse_data"}
    invoke("-dump", str(seg), str(tmp_path / "d"), "-nocontent")
    text = (tmp_path / "d" / "dump").read_text(encoding="utf-8")
    assert "CrawlDatum::" in text and "ParseData::" in text and "Content::" not in text
    assert not [p for p in (tmp_path / "d").iterdir() if p.name != "dump"]


def test_verify_crc_and_skip_corrupt(oracle_and_segment, tmp_path):
    oracle, src = oracle_and_segment
    seg = tmp_path / src.name
    shutil.copytree(src, seg)
    for p in seg.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    data = seg / "parse_text" / "part-r-00000" / "data"
    raw = bytearray(data.read_bytes())
    raw[5000] ^= 0x40
    data.write_bytes(bytes(raw))
    out = invoke("-dump", str(seg), "-json", "-verifyCrc", code=1)
    assert f"{data} at byte 4608: expected CRC-32" in out
    invoke("-dump", str(seg), "-json", code=1)  # the damaged record itself fails to inflate
    skipped = invoke("-dump", str(seg), "-json", "-skipCorrupt")
    texts = [json.loads(line) for line in skipped.splitlines() if line.startswith("{")]
    total = next(r for r in texts if r["type"] == "totals" and r["dir"] == "parse_text")
    want = next(r for r in _oracle(oracle) if r["type"] == "totals" and r["dir"] == "parse_text")
    assert total["records_emitted"] == want["records"] - 1
    assert "skipped 1" in skipped
