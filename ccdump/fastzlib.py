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

The WAT and WET files are deflated by ISA-L (``pip install isal``, a dependency of ccdump) at its
level 3 unless told otherwise (:data:`DERIVED_DEFLATE`, ``-D ccdump.derived.deflate``). On their
records (JSON, plain text) it is 2-3x faster than zlib-ng at level 6 for files 2-3 % larger:
WAT 224 vs 106 MB/s, ratio 0.360 vs 0.348; WET 241 vs 82 MB/s, 0.479 vs 0.471 (one thread,
one member per record, the benchmark segment's records). They are made from the WARC and are
regenerated from it at will (``ccdump wat``), so speed wins; the WARC, the archive itself, keeps
zlib-ng at level 6. :func:`gzip_compressor` gives either engine by name.
"""

from __future__ import annotations

import zlib as _stdlib_zlib
from collections.abc import Callable
from types import ModuleType

from ccdump.errors import ConfigError

try:
    from zlib_ng import zlib_ng as _zlib_ng
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    _zlib_ng = None

try:
    from isal import isal_zlib as _isal_zlib
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    _isal_zlib = None

#: The module to deflate with (``zlib_ng.zlib_ng`` or the standard ``zlib``); same API.
zlib: ModuleType = _zlib_ng if _zlib_ng is not None else _stdlib_zlib

#: Which implementation is in use, for reports and benchmarks.
IMPLEMENTATION = "zlib-ng" if _zlib_ng is not None else "zlib"

compress = zlib.compress
compressobj = zlib.compressobj
crc32 = zlib.crc32
DEFLATED = _stdlib_zlib.DEFLATED

#: deflate engines by name: the module and its highest level
_ENGINES: dict[str, tuple[ModuleType | None, int]] = {"zlib": (zlib, 9), "isal": (_isal_zlib, 3)}
#: how the WAT and WET files are deflated by default: ``engine:level``
DERIVED_DEFLATE = "isal:3" if _isal_zlib is not None else "zlib:6"


def parse_deflate(spec: str) -> tuple[str, int]:
    """``"isal:3"`` → ``("isal", 3)``; ``"zlib"`` alone means level 6, ``"isal"`` level 3.

    Raises :class:`~ccdump.errors.ConfigError` for an unknown engine, a level out of its range,
    or ISA-L asked for where it is not installed.
    """
    name, _, level_text = spec.strip().lower().partition(":")
    if name not in _ENGINES:
        raise ConfigError(f"deflate {spec!r}: expected zlib[:0-9] or isal[:0-3]")
    module, top = _ENGINES[name]
    if module is None:
        raise ConfigError(f"deflate {spec!r}: ISA-L is not installed (pip install isal)")
    try:
        level = int(level_text) if level_text else min(6, top)
    except ValueError:
        raise ConfigError(f"deflate {spec!r}: the level must be a number") from None
    if not 0 <= level <= top:
        raise ConfigError(f"deflate {spec!r}: {name} levels are 0 to {top}")
    return name, level


def gzip_compressor(spec: str) -> Callable[[bytes], bytes]:
    """A function returning one complete gzip member of its input, deflated as ``spec`` says.

    The member's 10-byte header is whatever the engine writes (callers replace it); its trailer
    holds the CRC-32 and length, so nobody needs a second pass over the data. Both engines
    release the GIL while they work.
    """
    name, level = parse_deflate(spec)
    module = _ENGINES[name][0]
    assert module is not None
    deflate = module.compress

    def compress(data: bytes) -> bytes:
        return deflate(data, level, 31)

    return compress
