"""ccdump: Apache Nutch 1.x segments to Common Crawl data.

Read top-down: :mod:`ccdump.hadoop` (containers) → :mod:`ccdump.nutch` (Writables, segments,
documents) → :mod:`ccdump.mapper` (document → JSON/WARC records) → :mod:`ccdump.writers` →
:mod:`ccdump.jobs` (the Crawling@Home tracker) and :mod:`ccdump.cah` (its client library).
This module only re-exports; importing it has no side effects.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ccdump.errors import CcdumpError, SegmentFormatError  # noqa: E402

__all__ = ["CcdumpError", "SegmentFormatError", "__version__", "dump", "Segment", "Document"]


def __getattr__(name: str):
    # Lazy re-exports keep `import ccdump` cheap (the CLI and the job client import it too).
    if name == "Segment":
        from ccdump.nutch.segment import Segment

        return Segment
    if name == "Document":
        from ccdump.nutch.document import Document

        return Document
    if name == "dump":
        from ccdump.run import dump

        return dump
    raise AttributeError(name)
