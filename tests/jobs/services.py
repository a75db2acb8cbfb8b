"""Access to the external services some job tests need: PostgreSQL and headless Chromium.

A test that needs one calls :func:`need`: it skips when the service is not configured — unless
``CCDUMP_REQUIRE_SERVICES=1`` (set by ``.ci/services.sh``), where a missing service fails the
test, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

REQUIRED = os.environ.get("CCDUMP_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("CCDUMP_TEST_POSTGRES", "")
CHROMIUM = os.environ.get("CCDUMP_CHROMIUM") or shutil.which("chromium") or ""


def need(service: str, available: object) -> None:
    """Skip (or, when services are required, fail) unless ``available`` is truthy."""
    if available:
        return
    message = f"{service} is not available"
    if REQUIRED:
        pytest.fail(f"{message}, but CCDUMP_REQUIRE_SERVICES=1")
    pytest.skip(f"{message} (see .ci/services.sh)")


def with_search_path(url: str, schema: str) -> str:
    """``url`` with libpq ``options=-csearch_path=<schema>`` so every connection uses that schema."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards; yields a URL that uses it."""
    need("PostgreSQL (CCDUMP_TEST_POSTGRES)", POSTGRES_URL)
    import psycopg

    schema = f"ccdump_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(POSTGRES_URL, schema)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
