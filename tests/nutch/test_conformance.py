"""Our reader against the oracles printed by the real Hadoop and Nutch readers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ccdump.nutch.readseg import dump_json_lines, java_float
from ccdump.nutch.segment import Segment
from tests.conftest import conformance_oracles

ORACLES = conformance_oracles()
IDS = [str(o.relative_to(o.parents[2])) if len(o.parents) > 2 else o.name for o, _ in ORACLES]


def test_corpus_present(conformance):
    assert ORACLES, f"no oracle found under {conformance}"


@pytest.mark.parametrize(("oracle", "segment"), ORACLES, ids=IDS)
def test_dump_json_equals_oracle(oracle, segment):
    expected = [json.loads(line) for line in oracle.open(encoding="utf-8")]
    ours = [json.loads(json.dumps(line)) for line in dump_json_lines(Segment(str(segment)))]
    assert len(ours) == len(expected)
    for want, got in zip(expected, ours, strict=False):
        if want["type"] == "record" and "scoreBits" in want["value"]:
            assert got["value"]["scoreBits"] == want["value"]["scoreBits"], want["key"]
            assert got["value"].pop("score") == pytest.approx(want["value"].pop("score"), rel=1e-6)
        assert got == want


@pytest.mark.parametrize(("oracle", "segment"), ORACLES[:2], ids=IDS[:2])
def test_cli_dump_json_equals_oracle(oracle, segment, tmp_path):
    """The command line prints the same lines as the library (checked on two oracles)."""
    out = subprocess.run(
        [sys.executable, "-m", "ccdump", "readseg", "-dump", str(segment), "-json"],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    ).stdout.splitlines()
    expected = oracle.read_text(encoding="utf-8").splitlines()
    assert len(out) == len(expected)
    for want, got in zip(expected, out, strict=False):
        w, g = json.loads(want), json.loads(got)
        if w["type"] == "record" and "score" in w["value"]:
            assert g["value"].pop("score") == pytest.approx(w["value"].pop("score"), rel=1e-6)
        assert g == w


def test_java_float_matches_oracle_scores(conformance):
    """Float.toString as the oracle printed it, for every score in the corpus."""
    seen = 0
    for oracle, _ in ORACLES:
        for line in oracle.open(encoding="utf-8"):
            rec = json.loads(line)
            if rec["type"] == "record" and "scoreBits" in rec["value"]:
                text = java_float(rec["value"]["scoreBits"])
                assert float(text) == rec["value"]["score"]
                seen += 1
    assert seen > 1000
