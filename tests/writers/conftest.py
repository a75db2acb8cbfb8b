"""Fixtures for the writer tests: the spec's reference files and synthetic CC-style WARCs.

Reference files are read from ``$CCDUMP_REFERENCE`` (CI sets it), else from
``<repo>/../shared/spec/reference``; when neither exists the tests that need them skip — or fail
when ``CCDUMP_REQUIRE_CONFORMANCE=1``, so CI can never pass without checking conformance.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REF_NAME = "CC-MAIN-20240517233122-20240518023122-00000"


def _reference_dir() -> Path | None:
    candidates = []
    env = os.environ.get("CCDUMP_REFERENCE")
    if env:
        candidates += [Path(env), REPO / env]
    candidates.append(REPO.parent / "shared" / "spec" / "reference")
    for path in candidates:
        if (path / f"{REF_NAME}.warc.gz").is_file():
            return path.resolve()
    return None


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    found = _reference_dir()
    if found is None:
        message = "reference files not found (set CCDUMP_REFERENCE to shared/spec/reference)"
        if os.environ.get("CCDUMP_REQUIRE_CONFORMANCE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture()
def ref_warc(reference_dir: Path, tmp_path: Path) -> Path:
    """A copy of the reference WARC in a fresh directory (outputs land beside it)."""
    target = tmp_path / f"{REF_NAME}.warc.gz"
    shutil.copyfile(reference_dir / f"{REF_NAME}.warc.gz", target)
    return target
