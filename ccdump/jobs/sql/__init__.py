"""SQL kept in named blocks, one file per dialect, loaded by name.

A block starts with ``-- name: <identifier>``; comment lines right after it document the query.
Both dialect files define the same names with the same parameters (named: ``:x`` in SQLite,
``%(x)s`` in PostgreSQL) and the same result columns, so :mod:`ccdump.jobs.sqlstore` runs one
piece of transition logic on either database.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def parse(text: str) -> dict[str, str]:
    """Split a file into ``{name: sql}``.

    >>> parse("-- name: a\\nSELECT 1;\\n-- name: b\\n-- doc\\nSELECT 2;\\n")
    {'a': 'SELECT 1;', 'b': '-- doc\\nSELECT 2;'}
    """
    pieces = _NAME.split(text)
    return {name: body.strip() for name, body in zip(pieces[1::2], pieces[2::2], strict=True)}


@cache
def queries(dialect: str) -> dict[str, str]:
    """All named queries of ``dialect`` (``sqlite`` or ``postgres``)."""
    return parse(resources.files(__name__).joinpath(f"{dialect}.sql").read_text(encoding="utf-8"))
