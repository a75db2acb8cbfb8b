"""Where each document goes: Nutch's md5 two-level layout and its ``-epochFilename`` layout
(spec nutch-dumper.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

from ccdump.web import urls


@dataclass(frozen=True)
class LayoutOptions:
    extension: str = ""
    epoch_filename: bool = False


def relative_path(url: str, options: LayoutOptions, timestamp: str = "null") -> str:
    """The file's path below the output folder, ``/``-separated.

    >>> relative_path("http://nutch.apache.org/", LayoutOptions())
    'c1/fc/c463a4381eb837f9f5d45978cfbde79e_.html'
    >>> relative_path("http://example.com/a/page.php?id=1", LayoutOptions())
    '4b/a6/44993d94bf3fcb27a1e79bb46a042391_page.phpi'
    """
    base, ext = urls.base_and_extension(url)
    ext = options.extension or ext or "html"
    if options.epoch_filename:
        rev = urls.reverse_url(url)
        if rev is None:
            raise ValueError(f"{url}: malformed URL, no host for -epochFilename")
        return f"{rev}/{urls.sha1_hex(url)}/{timestamp}.{ext[:5]}"
    md5 = urls.hadoop_md5(url)
    base = base[:32].replace("?", "")
    ext = ext[:5].replace("?", "")
    return f"{md5[0]}{md5[8]}/{md5[16]}{md5[24]}/{md5}_{base}.{ext}"
