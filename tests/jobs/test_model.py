"""Pure parts of the tracker: numbering, names, validation, shard paths, SQL files, retry policy."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ccdump.jobs import shards, validate
from ccdump.jobs.client import RetryPolicy, shard_reference
from ccdump.jobs.errors import BadRequest, InvalidType, NotFound
from ccdump.jobs.model import (
    ID_RANGE,
    WorkerType,
    chunk_of_job,
    chunk_range,
    job_numbers,
    piece_of_job,
    random_display_name,
)
from ccdump.jobs.sql import parse, queries


@pytest.mark.parametrize("chunk", [1, 2, 3, 17, 4_156_745, 8_569_338])
def test_numbering_follows_the_spec(chunk: int) -> None:
    start, end = chunk_range(chunk)
    assert (start, end) == ((chunk - 1) * ID_RANGE, chunk * ID_RANGE)
    first, second = job_numbers(chunk)
    assert first == 2 * end // ID_RANGE - 1 and second == 2 * end // ID_RANGE
    assert [chunk_of_job(first), chunk_of_job(second)] == [chunk, chunk]
    assert [piece_of_job(first), piece_of_job(second)] == [0, 1]


def test_first_chunk_is_jobs_one_and_two() -> None:
    assert job_numbers(1) == (1, 2) and chunk_range(1) == (0, 1_000_000)


def test_worker_types_map_to_stages_and_boards() -> None:
    assert [t.stage.value for t in WorkerType] == ["cpu", "cpu", "gpu"]
    assert [t.board for t in WorkerType] == ["main", "cpu", "main"]


def test_display_names_have_the_upstream_shape() -> None:
    names = {random_display_name() for _ in range(200)}
    assert all(re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", n) for n in names)
    assert len(names) > 150  # random, not a counter


@pytest.mark.parametrize("value, expected", [(0, 0), (7, 7), ("12", 12), (10**12, 10**12)])
def test_count_accepts_integers_from_zero(value: object, expected: int) -> None:
    assert validate.count(value) == expected


@pytest.mark.parametrize("value", [-1, 1.5, True, None, "", "1e3", "-3", [1], {"n": 1}, 10**12 + 1, "9" * 14])
def test_count_rejects_everything_else(value: object) -> None:
    with pytest.raises(BadRequest):
        validate.count(value)


@pytest.mark.parametrize(
    "value",
    ["", "x" * 65, "a\x00b", "tab\there", "\ud800", 5, None, ["t"]],
)
def test_token_rejects_bad_strings(value: object) -> None:
    with pytest.raises(BadRequest):
        validate.token(value)


def test_progress_allows_empty_and_bounds_length() -> None:
    assert validate.progress("") == ""
    assert validate.progress("12 / 100 (12%)") == "12 / 100 (12%)"
    assert validate.progress("line 1\nline 2\t✓") == "line 1\nline 2\t✓"
    for bad in ["x" * (validate.MAX_PROGRESS + 1), "nul\x00", 12, None]:
        with pytest.raises(BadRequest):
            validate.progress(bad)


@pytest.mark.parametrize("value", ["HYBRID", "cpu", "Gpu"])
def test_worker_type_is_case_insensitive(value: str) -> None:
    assert validate.worker_type(value).value == value.upper()


@pytest.mark.parametrize("value", [None, "", "H", "hybrid ", "TPU", 3, "x" * 100])
def test_worker_type_rejects_others_with_400(value: object) -> None:
    with pytest.raises(InvalidType) as info:
        validate.worker_type(value)
    assert info.value.status == 400 and info.value.legacy_status == 400


def test_nickname_defaults_to_anonymous() -> None:
    assert validate.nickname(None) == "anonymous" and validate.nickname("") == "anonymous"
    assert validate.nickname("Ünïcode ✓") == "Ünïcode ✓"


@pytest.mark.parametrize("body", [b"", b"[]", b'"x"', b"{", b"\xff\xfe", b"[" * 100_000, b"{}" + b"x"])
def test_json_object_rejects_non_objects(body: bytes) -> None:
    with pytest.raises(BadRequest):
        validate.json_object(body)


def test_http_url() -> None:
    assert validate.http_url("https://data.commoncrawl.org/x.gz") == "https://data.commoncrawl.org/x.gz"
    for bad in ["ftp://x/y", "http://", "https:///path", "http://a b/", "file:///etc/passwd"]:
        with pytest.raises(BadRequest):
            validate.http_url(bad)


def test_shard_ref() -> None:
    assert validate.shard_ref(3) == 3 and validate.shard_ref("3") == 3
    assert validate.shard_ref("https://x/y.gz") == "https://x/y.gz"
    for bad in [0, -1, True, None, 2**60]:
        with pytest.raises(BadRequest):
            validate.shard_ref(bad)


# -- shard paths ---------------------------------------------------------------------------


@pytest.fixture
def shard_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.warc.wat.gz").write_bytes(b"a")
    (tmp_path / "secret").write_bytes(b"secret")
    os.symlink(tmp_path / "secret", root / "escape")
    os.symlink(root / "sub" / "a.warc.wat.gz", root / "inside-link")
    return root


def test_contained_accepts_files_inside(shard_root: Path) -> None:
    assert shards.contained(shard_root, "sub/a.warc.wat.gz") == (shard_root / "sub/a.warc.wat.gz").resolve()
    assert shards.contained(shard_root, "inside-link") is not None


@pytest.mark.parametrize(
    "relative",
    ["../secret", "sub/../../secret", "/etc/passwd", "escape", "sub", "missing", "", "a\x00b", "sub\\..\\..\\secret"],
)
def test_contained_refuses_leaving_the_directory(shard_root: Path, relative: str) -> None:
    assert shards.contained(shard_root, relative) is None


def test_normalise_stores_relative_paths(shard_root: Path) -> None:
    absolute = str(shard_root / "sub" / "a.warc.wat.gz")
    assert shards.normalise(absolute, shard_root) == "sub/a.warc.wat.gz"
    assert shards.normalise("sub/a.warc.wat.gz", shard_root) == "sub/a.warc.wat.gz"
    assert shards.normalise("https://x.org/a.gz", shard_root) == "https://x.org/a.gz"
    assert shards.normalise("https://x.org/a.gz", None) == "https://x.org/a.gz"


def test_normalise_refuses_outside_and_missing(shard_root: Path, tmp_path: Path) -> None:
    with pytest.raises(BadRequest):
        shards.normalise(str(tmp_path / "secret"), shard_root)
    with pytest.raises(NotFound):
        shards.normalise("escape", shard_root)
    with pytest.raises(NotFound):
        shards.normalise("sub/missing.gz", shard_root)
    with pytest.raises(BadRequest):
        shards.normalise("sub/a.warc.wat.gz", None)


def test_public_url() -> None:
    assert shards.public_url("https://x/y", "http://t:1/") == "https://x/y"
    assert shards.public_url("a b/c#d.gz", "http://t:1/") == "http://t:1/shards/a%20b/c%23d.gz"


def test_shard_reference(shard_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shard_root)
    assert shard_reference("sub/a.warc.wat.gz") == str(shard_root.resolve() / "sub/a.warc.wat.gz")
    assert shard_reference("not/here.gz") == "not/here.gz"
    assert shard_reference("http://x/y") == "http://x/y"


# -- SQL, retry policy ---------------------------------------------------------------------


def test_both_dialects_define_the_same_queries() -> None:
    sqlite, postgres = queries("sqlite"), queries("postgres")
    assert sqlite.keys() == postgres.keys()
    assert "FOR UPDATE SKIP LOCKED" in postgres["claim_job"] and "MATERIALIZED" in postgres["claim_job"]
    for name in sqlite:
        assert set(re.findall(r":(\w+)", sqlite[name])) - {"memory"} == set(re.findall(r"%\((\w+)\)s", postgres[name]))


def test_sql_parse() -> None:
    assert parse("-- name: a\nSELECT 1;\n-- name: b\nSELECT 2;") == {"a": "SELECT 1;", "b": "SELECT 2;"}


def test_retry_policy_is_bounded() -> None:
    policy = RetryPolicy(attempts=5, initial=1.0, maximum=30.0)
    assert [policy.delay(n) for n in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
