"""The zlib module the writers deflate with: zlib-ng's drop-in replacement when it is installed.

zlib-ng (``pip install zlib-ng``, a dependency of ccdump) writes the same format as zlib — any
gzip reader reads its members — and deflates HTML 1.5–2× faster at the same level and about the
same ratio (level 6, one thread: the conformance corpus's real pages 142 vs 73 MB/s, rustdoc pages
124 vs 81 MB/s; ``python bench/pages.py``). Deflating is most of the cost of ``-gzip``,
``-warc`` and the WAT/WET files, so every writer takes its ``compress``/``compressobj``/``crc32``
from here. Like the standard module it releases the GIL while it works, which the threaded and
pooled compressors rely on. Without it everything still works, with the standard library's zlib.

Reading keeps the standard module: the reader's baseline stays comparable with earlier figures,
and inflating is not where the writers' time goes.
"""

from __future__ import annotations

import zlib as _stdlib_zlib
from types import ModuleType

try:
    from zlib_ng import zlib_ng as _zlib_ng
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    _zlib_ng = None

#: The module to deflate with (``zlib_ng.zlib_ng`` or the standard ``zlib``); same API.
zlib: ModuleType = _zlib_ng if _zlib_ng is not None else _stdlib_zlib

#: Which implementation is in use, for reports and benchmarks.
IMPLEMENTATION = "zlib-ng" if _zlib_ng is not None else "zlib"

compress = zlib.compress
compressobj = zlib.compressobj
crc32 = zlib.crc32
DEFLATED = _stdlib_zlib.DEFLATED
