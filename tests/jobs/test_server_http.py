"""HTTP behaviour of the tracker app, in-process (Starlette's TestClient): status codes in both
protocol modes, input validation (never a 500), body limits, admin auth and shard serving.

The same app runs under uvicorn in the end-to-end tests; here the whole matrix runs in
milliseconds per request.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # Starlette ≥ 1.0 nags about httpx vs httpx2 in its test client
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from ccdump.jobs.server import ServerConfig, create_app
from ccdump.jobs.storage import JobStore, open_store

ADMIN = "admin-token-for-tests"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
POST_ENDPOINTS = [
    "api/newJob",
    "api/updateProgress",
    "api/markAsDone",
    "api/validateWorker",
    "api/gpuInvalidDownload",
    "api/bye",
    "api/isCompleted",
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    s = open_store(f"sqlite:///{tmp_path / 'jobs.db'}", idle_timeout=3600)
    yield s
    s.close()


def make_client(store: JobStore, shards_dir: Path | None = None, **config: object) -> TestClient:
    app = create_app(store, ServerConfig(admin_token=ADMIN, shards_dir=shards_dir, **config))  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(store: JobStore, shards_dir: Path) -> Iterator[TestClient]:
    with make_client(store, shards_dir) as c:
        yield c


@pytest.fixture
def legacy(store: JobStore, shards_dir: Path) -> Iterator[TestClient]:
    with make_client(store, shards_dir, legacy_503=True) as c:
        yield c


def register(client: TestClient, type_: str = "HYBRID", nickname: str = "n") -> str:
    r = client.get("/api/new", params={"type": type_, "nickname": nickname})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def add(client: TestClient, *refs: str) -> list[dict]:
    r = client.post("/admin/shards", json={"shards": list(refs)}, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()["chunks"]


def assert_json_error(r, status: int) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == status and isinstance(body["error"], str) and body["error"]


# -- the protocol, v1.5.0 codes ------------------------------------------------------------


def test_register_returns_the_three_keys(client: TestClient) -> None:
    r = client.get("/api/new", params={"type": "CPU"})
    assert set(r.json()) == {"display_name", "token", "upload_address"}
    assert r.json()["upload_address"] == ""
    token = r.json()["token"]
    assert len(token) == 36 and token.count("-") == 4  # UUID4


def test_upload_addresses_per_type(store: JobStore) -> None:
    from ccdump.jobs.model import WorkerType

    with make_client(store, upload_addresses={WorkerType.CPU: "rsync://stage/in", WorkerType.GPU: "s3://out"}) as c:
        assert c.get("/api/new", params={"type": "CPU"}).json()["upload_address"] == "rsync://stage/in"
        assert c.get("/api/getUploadAddress", params={"type": "GPU"}).text == "s3://out"
        assert c.get("/api/getUploadAddress").text == ""  # v1.4.0 sent no type: the Hybrid address


def test_status_codes_v150(client: TestClient) -> None:
    token = register(client, "HYBRID")
    assert client.get("/api/jobCount", params={"type": "HYBRID"}).text == "0"
    assert_json_error(client.post("/api/newJob", json={"token": token, "type": "HYBRID"}), 403)  # no job
    assert_json_error(client.post("/api/newJob", json={"token": "unknown", "type": "HYBRID"}), 404)
    assert_json_error(client.post("/api/newJob", json={"token": token, "type": "TPU"}), 400)
    assert_json_error(client.post("/api/markAsDone", json={"token": token, "count": 1, "type": "HYBRID"}), 403)
    assert_json_error(client.post("/api/markAsDone", json={"token": token, "type": "HYBRID"}), 400)  # no count
    assert_json_error(client.post("/api/updateProgress", json={"token": "gone", "progress": "x", "type": "CPU"}), 404)
    assert_json_error(client.post("/api/bye", json={"token": "gone", "type": "CPU"}), 404)
    gpu = register(client, "GPU")
    assert_json_error(client.post("/api/gpuInvalidDownload", json={"token": gpu, "type": "GPU"}), 403)
    assert_json_error(client.post("/api/gpuInvalidDownload", json={"token": gpu, "type": "CPU"}), 400)
    r = client.post("/api/validateWorker", json={"token": "unknown", "type": "CPU"})
    assert (r.status_code, r.text) == (200, "False")


def test_status_codes_legacy_503(legacy: TestClient) -> None:
    token = register(legacy, "HYBRID")
    assert legacy.post("/api/newJob", json={"token": token, "type": "HYBRID"}).status_code == 503
    assert legacy.post("/api/newJob", json={"token": "unknown", "type": "HYBRID"}).status_code == 500
    assert legacy.post("/api/newJob", json={"token": token, "type": "TPU"}).status_code == 400
    assert legacy.post("/api/markAsDone", json={"token": token, "type": "HYBRID"}).status_code == 500
    assert legacy.post("/api/markAsDone", json={"token": token, "count": 3, "type": "HYBRID"}).status_code == 500
    assert legacy.post("/api/markAsDone", json={"token": register(legacy, "CPU"), "type": "CPU"}).status_code == 500
    r = legacy.post("/api/validateWorker", json={"token": "unknown", "type": "CPU"})
    assert (r.status_code, r.text) == (200, "False")


def test_job_offer_shape_and_both_cpu_completion_bodies(client: TestClient, shards_dir: Path) -> None:
    add(client, "crawl-data/part-0.warc.wat.gz", "https://data.example.org/b.warc.wat.gz")
    cpu = register(client, "CPU")
    job = client.post("/api/newJob", json={"token": cpu, "type": "CPU"}).json()
    assert job == {
        "url": "http://testserver/shards/crawl-data/part-0.warc.wat.gz",
        "start_id": "0",
        "end_id": "1000000",
        "shard": 0,
        "number": 1,
    }
    long_body = {"token": cpu, "url": "http://cpu/1.tar", "start_id": "0", "end_id": "1000000", "shard": 0}
    r = client.post("/api/markAsDone", json={**long_body, "type": "CPU"})  # v1.4.0 shape
    assert (r.status_code, r.text) == (200, "success")
    job = client.post("/api/newJob", json={"token": cpu, "type": "CPU"}).json()
    assert job["number"] == 2 and job["shard"] == 1 and job["start_id"] == "0"
    r = client.post("/api/markAsDone", json={"token": cpu, "url": "rsync xyz", "type": "CPU", "extra": [1]})
    assert (r.status_code, r.text) == (200, "success")  # v1.4.1+ shape, extra keys ignored
    assert client.get("/api/jobCount", params={"type": "GPU"}).text == "2"
    gpu = register(client, "GPU")
    assert client.post("/api/newJob", json={"token": gpu, "type": "GPU"}).json()["url"] == "http://cpu/1.tar"
    assert client.post("/api/markAsDone", json={"token": gpu, "count": "0", "type": "GPU"}).text == "success"
    done = client.post("/api/isCompleted", json={"addresses": ["http://cpu/1.tar", "rsync xyz"]})
    assert done.json() == ["http://cpu/1.tar"]


def test_leaderboard_and_worker_pages(client: TestClient) -> None:
    add(client, "https://x.org/a.gz")
    token = register(client, "HYBRID", "alice")
    client.post("/api/newJob", json={"token": token, "type": "HYBRID"})
    client.post("/api/updateProgress", json={"token": token, "progress": "50%", "type": "HYBRID"})
    name = client.get("/data").json()["active_workers"][0]["display_name"]
    data = client.get(f"/worker/hybrid/{name}/data").json()
    assert (data["shard_number"], data["progress"], data["user_nickname"]) == (1, "50%", "alice")
    assert client.get(f"/worker/hybrid/{name}").headers["content-type"].startswith("text/html")
    assert_json_error(client.get("/worker/gpu/no-such-1/data"), 404)
    assert_json_error(client.get("/worker/tpu/x/data"), 400)
    client.post("/api/markAsDone", json={"token": token, "count": 9, "type": "HYBRID"})
    assert client.get("/leaderboard").json()["leaderboard"] == [{"nickname": "alice", "jobs": 1, "pairs": 9}]
    assert "<html" in client.get("/leaderboard", headers={"Accept": "text/html"}).text


# -- bad input: always a 4xx JSON error, never a 500 ---------------------------------------


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [b"", b"null", b"[]", b"not json", b'{"token": 1, "type": "CPU"}', b'{"token": "\\u0000", "type": "GPU"}',
     b'{"token": "\\ud800", "type": "GPU"}', b"[" * 5000 + b"]" * 5000, b'{"type": ["CPU"]}', b"\xff\xfe{"],
)
def test_malformed_bodies_get_400(client: TestClient, endpoint: str, body: bytes) -> None:
    assert_json_error(client.post("/" + endpoint, content=body, headers={"Content-Type": "application/json"}), 400)


@pytest.mark.parametrize(
    "field, value",
    [("count", -1), ("count", 1.5), ("count", True), ("count", None), ("count", 10**30), ("count", "x"),
     ("progress", "p" * 1001), ("progress", 5), ("url", ""), ("url", "u" * 2049), ("url", {"a": 1})],
)
def test_invalid_fields_get_400(client: TestClient, field: str, value: object) -> None:
    add(client, "https://x.org/a.gz")
    kind = "CPU" if field == "url" else "HYBRID"
    token = register(client, kind)
    client.post("/api/newJob", json={"token": token, "type": kind})
    path = "/api/updateProgress" if field == "progress" else "/api/markAsDone"
    body = {"token": token, "type": kind, "count": 1, "url": "u", "progress": "p", field: value}
    assert_json_error(client.post(path, content=json.dumps(body)), 400)


@pytest.mark.parametrize(
    "params",
    [{}, {"type": "TPU"}, {"type": ["CPU", "GPU"]}, {"type": "CPU", "nickname": "n" * 101},
     {"type": "CPU", "nickname": "a\x00b"}, {"type": "CPU", "nickname": "tab\there"}],
)
def test_bad_registrations_get_400(client: TestClient, params: dict) -> None:
    assert_json_error(client.get("/api/new", params=params), 400)


@pytest.mark.parametrize("query", ["type=CPU&nickname=%ff%fe", "type=%ff", "type=CPU&nickname=%00", "type=C%50U&x=%"])
def test_raw_query_bytes_never_cause_a_server_error(client: TestClient, query: str) -> None:
    assert client.get("/api/new?" + query).status_code in (200, 400)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(json_values, st.sampled_from(["HYBRID", "CPU", "GPU", "0", "12"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from(POST_ENDPOINTS),
    body=st.dictionaries(
        st.sampled_from(["token", "type", "count", "url", "progress", "addresses", "shard"]), field_values, max_size=6
    )
    | json_values,
)
def test_fuzzed_bodies_never_cause_a_server_error(client: TestClient, endpoint: str, body: object) -> None:
    r = client.post("/" + endpoint, content=json.dumps(body))
    assert r.status_code in (200, 400, 403, 404), r.text
    if r.status_code != 200:
        assert r.json()["status"] == r.status_code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(type_=st.text(max_size=12), nickname=st.text(max_size=120))
def test_fuzzed_registrations_never_cause_a_server_error(client: TestClient, type_: str, nickname: str) -> None:
    r = client.get("/api/new", params={"type": type_, "nickname": nickname})
    assert r.status_code in (200, 400), r.text


def test_body_size_is_limited(client: TestClient) -> None:
    big = json.dumps({"token": "t", "type": "CPU", "progress": "x" * 70_000})
    assert_json_error(client.post("/api/updateProgress", content=big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"token": "t", "type": "CPU", "progress": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    assert_json_error(client.post("/api/updateProgress", content=chunks()), 413)
    r = client.post("/api/updateProgress", content=b"{}", headers={"Content-Length": "abc"})
    assert r.status_code == 400


def test_unknown_routes_and_methods_are_json(client: TestClient) -> None:
    assert_json_error(client.get("/api/nothing"), 404)
    assert_json_error(client.get("/api/newJob"), 405)


# -- admin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN}, {"Authorization": f"Basic {ADMIN}"},
     {"Authorization": "Bearer "}],
)
def test_admin_endpoints_need_the_token(client: TestClient, headers: dict) -> None:
    for path, body in [("/admin/shards", {"shards": ["https://x/a.gz"]}), ("/admin/ban-shard", {"shard": 1}),
                       ("/admin/reset-shard", {"shard": 1})]:
        r = client.post(path, json=body, headers=headers)
        assert_json_error(r, 401)
    assert client.get("/api/jobCount", params={"type": "CPU"}).text == "0"


def test_admin_add_validates_shards(client: TestClient, shards_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.warc.wat.gz").write_bytes(b"x")
    os.symlink(tmp_path / "outside.warc.wat.gz", shards_dir / "link.gz")
    for refs, status in [
        (["../outside.warc.wat.gz"], 404),
        ([str(tmp_path / "outside.warc.wat.gz")], 400),
        (["link.gz"], 404),
        (["missing.gz"], 404),
        (["ftp://x/y.gz"], 404),
        ([], 400),
        ("https://x/a.gz", 400),
        ([5], 400),
    ]:
        r = client.post("/admin/shards", json={"shards": refs}, headers=AUTH)
        assert_json_error(r, status)
    chunks = add(client, str(shards_dir / "crawl-data" / "part-1.warc.wat.gz"), "crawl-data/part-2.warc.wat.gz")
    assert [c["url"] for c in chunks] == ["crawl-data/part-1.warc.wat.gz", "crawl-data/part-2.warc.wat.gz"]
    assert chunks[0]["public_url"] == "http://testserver/shards/crawl-data/part-1.warc.wat.gz"
    assert client.get("/api/jobCount", params={"type": "CPU"}).text == "4"


def test_admin_add_without_shards_dir(store: JobStore) -> None:
    with make_client(store, None) as c:
        assert_json_error(c.post("/admin/shards", json={"shards": ["local.gz"]}, headers=AUTH), 400)
        assert c.post("/admin/shards", json={"shards": ["https://x/a.gz"]}, headers=AUTH).status_code == 200
        assert_json_error(c.get("/shards/anything"), 404)


def test_ban_and_reset_over_http(client: TestClient) -> None:
    add(client, "https://x/a.gz", "https://x/b.gz")
    r = client.post("/admin/ban-shard", json={"shard": "https://x/a.gz"}, headers=AUTH)
    assert r.json() == {"shard": "https://x/a.gz", "jobs": 2}
    assert client.get("/api/jobCount", params={"type": "CPU"}).text == "2"
    assert client.post("/admin/reset-shard", json={"shard": "1"}, headers=AUTH).json()["jobs"] == 2
    assert client.get("/api/jobCount", params={"type": "CPU"}).text == "4"
    assert_json_error(client.post("/admin/ban-shard", json={"shard": 9}, headers=AUTH), 404)
    assert_json_error(client.post("/admin/ban-shard", json={"shard": 0}, headers=AUTH), 400)


# -- shard serving -------------------------------------------------------------------------


def test_shards_are_served_from_the_directory_only(client: TestClient, shards_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", shards_dir / "escape")
    expected = (shards_dir / "crawl-data" / "part-0.warc.wat.gz").read_bytes()
    r = client.get("/shards/crawl-data/part-0.warc.wat.gz")
    assert r.status_code == 200 and r.content == expected
    for path in ["/shards/../secret.txt", "/shards/%2e%2e/secret.txt", "/shards/crawl-data/..%2f..%2fsecret.txt",
                 "/shards/%2Fetc%2Fpasswd", "/shards/escape", "/shards/crawl-data", "/shards/nope",
                 "/shards/crawl-data%00/x"]:
        r = client.get(path)
        assert r.status_code == 404, path
        assert b"secret" not in r.content


def test_user_text_cannot_break_out_of_the_page(client: TestClient) -> None:
    evil = "</script><script>alert(1)</script><!--"
    register(client, "CPU", evil)
    html = client.get("/").text
    assert evil not in html and "alert(1)" in html  # present only as escaped JSON
    assert html.count("</script>") == html.count("<script")  # no injected script element
