"""Shared fixtures: where the conformance corpus and the reference files are.

Both live in ``../shared`` beside the checkout (CI sets ``CCDUMP_CONFORMANCE`` and
``CCDUMP_REFERENCE``). From a plain clone without them these tests skip, but when
``CCDUMP_REQUIRE_CONFORMANCE=1`` (CI) a missing corpus fails the run instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def _shared(env: str, relative: str) -> Path | None:
    value = os.environ.get(env)
    path = Path(value) if value else REPO.parent / "shared" / relative
    return path if path.is_dir() else None


def require(env: str, relative: str) -> Path:
    path = _shared(env, relative)
    if path is None:
        if os.environ.get("CCDUMP_REQUIRE_CONFORMANCE") == "1":
            pytest.fail(f"{env} is required here but {relative} was not found")
        pytest.skip(f"{relative} not available (set {env})")
    return path


@pytest.fixture(scope="session")
def conformance() -> Path:
    return require("CCDUMP_CONFORMANCE", "conformance")


@pytest.fixture(scope="session")
def reference() -> Path:
    return require("CCDUMP_REFERENCE", "spec/reference")


def conformance_oracles() -> list[tuple[Path, Path]]:
    """(oracle file, segment folder) pairs, for parametrising; empty without the corpus."""
    root = _shared("CCDUMP_CONFORMANCE", "conformance")
    if root is None:
        return []
    pairs = []
    for oracle in sorted(root.rglob("oracle*.jsonl")):
        import json

        with oracle.open() as f:
            name = json.loads(f.readline())["segment"]
        pairs.append((oracle, oracle.parent / "segments" / name))
    return pairs


def conformance_segments() -> list[Path]:
    return [seg for _, seg in conformance_oracles()]


#: The run manifest every conversion leaves in its output folder (ccdump.manifest).
MANIFEST = ".ccdump-manifest.jsonl"


def output_files(root: Path, pattern: str = "*") -> list[Path]:
    """Files a conversion wrote below ``root`` (recursively), without its run manifest."""
    return sorted(p for p in root.rglob(pattern) if p.is_file() and p.name != MANIFEST)


def leftovers(root: Path) -> list[Path]:
    """Hidden (temporary) files or folders below ``root`` other than the run manifest: none may remain."""
    return [p for p in root.rglob(".*") if p.name != MANIFEST]
