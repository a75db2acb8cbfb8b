"""Magic-byte MIME detection with Tika's names for the common web types (spec nutch-dumper.md §2.4).

Nutch's dumper counts and filters by ``Tika.detect(bytes)``; full parity with Tika's database is not
attempted, but the common types get Tika's names and Tika's fallbacks (``text/plain`` for text-like
bytes, ``application/octet-stream`` otherwise).
"""

from __future__ import annotations

import re

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"\x00\x00\x01\x00", "image/vnd.microsoft.icon"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"%!PS", "application/postscript"),
    (b"{\\rtf", "application/rtf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-tika-msoffice"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/x-flac"),
    (b"wOFF", "font/woff"),
    (b"wOF2", "font/woff2"),
    (b"\x00asm", "application/wasm"),
)

_HTML = re.compile(rb"<(!doctype\s+html|html|head|body|title|script|iframe|h1|div|table|font|p\b|a\s|br)", re.I)
_XHTML = re.compile(rb"<html[^>]+xmlns\s*=\s*[\"']http://www\.w3\.org/1999/xhtml", re.I)
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r\x0c\x1b"


def detect(data: bytes) -> str:
    """Tika-style type name of ``data``."""
    head = data[:8192]
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = stripped[:1024].lower()
    if lower.startswith(b"<?xml"):
        if _XHTML.search(head):
            return "application/xhtml+xml"
        if b"<svg" in lower:
            return "image/svg+xml"
        if b"<rss" in lower:
            return "application/rss+xml"
        if b"<feed" in lower:
            return "application/atom+xml"
        return "application/xml"
    if lower.startswith(b"<svg"):
        return "image/svg+xml"
    if _HTML.search(head[:2048]):
        return "text/html"
    if not data:
        return "application/octet-stream"
    if _looks_textual(head):
        return "text/plain"
    return "application/octet-stream"


def _looks_textual(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            return True  # a multi-byte character cut by the 8 KiB window
    binary = len(head.translate(None, _TEXT_BYTES + bytes(range(0x80, 0x100))))
    return binary == 0
