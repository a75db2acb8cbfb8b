"""``ccdump warc`` (WARCExporter's command line) and ``ccdump -warc`` (the dumper's), run through click."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from ccdump.cli import cli
from tests.conftest import conformance_oracles, output_files
from tests.warc.helpers import read_records, tool

ORACLES = {o.parent.name: (o, s) for o, s in conformance_oracles()}


def oracle_values(oracle: Path, folder: str) -> dict[str, dict]:
    out = {}
    for line in oracle.open(encoding="utf-8"):
        rec = json.loads(line)
        if rec["type"] == "record" and rec["dir"] == folder:
            out.setdefault(rec["key"], rec["value"])
    return out


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_exporter_only_successful_with_parse_data_and_text(conformance, tmp_path):
    oracle, segment = ORACLES["n_nutch_defaults"]
    stats_file = tmp_path / "stats.json"
    result = invoke("warc", str(tmp_path / "out"), str(segment), "-onlySuccessfulResponses", "-includeParseData",
                    "-includeParseText", "-statsJson", str(stats_file), "-quiet")
    assert result.exit_code == 0, result.output
    contents = oracle_values(oracle, "content")
    fetches: dict[str, list[dict]] = {}
    for line in oracle.open(encoding="utf-8"):
        rec = json.loads(line)
        if rec["type"] == "record" and rec["dir"] == "crawl_fetch":
            fetches.setdefault(rec["key"], []).append(rec["value"])
    successful = {k for k in contents if any(d["status"] in (0x21, 0x26) for d in fetches.get(k, []))}
    assert len(successful) < len(contents)
    texts = oracle_values(oracle, "parse_text")
    [f] = output_files(tmp_path / "out")
    records = read_records(f)
    responses = {r.get("WARC-Target-URI"): r for r in records if r.type == "response"}
    assert set(responses) == successful
    stats = json.loads(stats_file.read_text())
    assert stats["written"] == len(successful)
    assert sum(n for k, n in stats["skipped"].items() if k.startswith("filtered: not successful")) == len(contents) - len(successful)
    by_ref: dict[str, list] = {}
    for r in records:
        if r.get("WARC-Refers-To"):
            by_ref.setdefault(r.get("WARC-Refers-To"), []).append(r)
    for uri, response in responses.items():
        extra = by_ref.get(response.get("WARC-Record-ID"), [])
        kinds = [(r.type, r.get("Content-Type")) for r in extra]
        if uri in texts:
            assert ("conversion", "text/plain") in kinds
            [conversion] = [r for r in extra if r.type == "conversion"]
            assert hashlib.sha1(conversion.block).hexdigest() == texts[uri]["text_sha1"]
            assert conversion.get("WARC-Target-URI") == uri
        parse_data = [r for r in extra if r.type == "metadata"]
        if parse_data:
            data = json.loads(parse_data[0].block)
            assert list(data) == ["contentMeta", "parseMeta"]
            assert data["contentMeta"]["nutch.segment.name"] == segment.name
    assert sum(len(v) for v in by_ref.values()) > len(responses)
    check = tool("warcio", "check", str(f))
    assert check.returncode == 0, check.stdout + check.stderr


def test_exporter_dir_adds_every_segment_uncompressed(conformance, tmp_path):
    segments = ORACLES["nutch-test-segments-2015"][1].parent
    result = invoke("warc", str(tmp_path), "-dir", str(segments), "-noGzip", "-warcPrefix", "NUTCH", "-warcVersion", "1.1")
    assert result.exit_code == 0, result.output
    files = output_files(tmp_path)
    assert len(files) == 2, "one file per (segment, part) unit"
    assert all(f.name.startswith("NUTCH-") and f.name.endswith(".warc") for f in files)
    records = [r for f in files for r in read_records(f)]
    assert {r.version for r in records} == {"WARC/1.1"}
    uris = {r.get("WARC-Target-URI") for r in records if r.type == "response"}
    expected = set()
    for oracle in segments.parent.glob("oracle-*.jsonl"):
        expected |= set(oracle_values(oracle, "content"))
    assert uris == expected
    # each file's warcinfo names the segment of its first capture
    infos = sorted(r.block for r in records if r.type == "warcinfo")
    assert [b"isPartOf: 20150309101625\r\n" in infos[0] or b"isPartOf: 20150309101625\r\n" in infos[1],
            any(b"isPartOf: 20150309101656\r\n" in i for i in infos)] == [True, True]
    assert "Total count: 50" in result.output


def test_exporter_usage_errors(tmp_path):
    assert invoke("warc", str(tmp_path)).exit_code == 2
    result = invoke("warc", str(tmp_path), "-dir", str(tmp_path))
    assert result.exit_code == 1 and "no Nutch segment" in result.output


def test_dump_warc_options(conformance, tmp_path):
    _, segment = ORACLES["n_nutch_defaults"]
    result = invoke("-segment", str(segment), "-outputDir", str(tmp_path), "-warc", "-gzip", "-warcSize", "40000",
                    "-warcPrefix", "TEST", "-quiet")
    assert result.exit_code == 0, result.output
    files = sorted(output_files(tmp_path), key=lambda f: f.name.split("-")[-1])
    assert len(files) > 3 and all(f.name.startswith("TEST-") and f.name.endswith(".warc.gz") for f in files)
    assert all(f.stat().st_size <= 40000 for f in files[:-1])
