"""HTML pages of the tracker: static templates from ``static/`` with the first data embedded.

The page renders its first state from JSON embedded in the page (so it shows numbers without
waiting for a request) and then refreshes itself from ``/data``. All user-supplied text
(nicknames, progress strings) reaches the page only as JSON and is inserted with
``textContent`` by the script, never as HTML.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

STATIC = resources.files("ccdump.jobs").joinpath("static")


@cache
def _template(name: str) -> str:
    return STATIC.joinpath(name).read_text(encoding="utf-8")


def embed_json(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``</script>``, no ``<!--``).

    >>> embed_json({"n": "</script>"})
    '{"n": "\\\\u003c/script\\\\u003e"}'
    """
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(template: str, *, data: Any, data_url: str, refresh_seconds: float, static_url: str) -> str:
    """Fill a template's placeholders."""
    return (
        _template(template)
        .replace("__STATIC__", static_url.rstrip("/"))
        .replace("__DATA_URL__", json.dumps(data_url).replace("<", "\\u003c"))
        .replace("__REFRESH_MS__", str(max(200, int(refresh_seconds * 1000))))
        .replace("__INITIAL_DATA__", embed_json(data))
    )
