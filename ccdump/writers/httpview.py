"""What WAT, WET and CDXJ share about a response record: its parsed HTTP head and its HTML.

Each is computed once per record and cached on it, so a record passed to all writers is parsed
once — the HTML parse, the costly step, serves both the WAT links and the WET text.

That step is most of the cost of the derived outputs (~0.8 ms of ~1.3 ms per 18 KB page), and it
runs in Python, so threads cannot spread it. :class:`ParallelHtml` wraps the writers (as one WARC
writer listener) and has a helper process extract the pages while this one writes the WARC: the
second core does the extraction, the results are the same function's, the writers see the records
in order. The main process extracts a page itself whenever the helper already has a full window,
so the two share the work whatever their speeds. It pays when the second core is idle
(``bench/commoncrawl.py``, WARC built in-process: 1.5-1.6 -> ~1.0 ms per page), not behind the WARC
writer once that runs its gzip helper process, which then keeps the second core busy (100 MB
benchmark segment: no gain, ~8 % more CPU); opt-in for that reason. The dumper's ``-wat -wet -cdxj``
run the writers themselves in a helper process instead
(:class:`~ccdump.writers.commoncrawl.DerivedListeners`).
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ccdump.writers.html_extract import HtmlExtract, extract_html
from ccdump.writers.httpparse import Fields, StatusLine, parse_fields, parse_status_line
from ccdump.writers.record import HTML_TYPES, WarcRecord
from ccdump.writers.warcreader import decode_http_payload


@dataclass(slots=True)
class ResponseView:
    """An HTTP response block as the WAT generator parses it."""

    status: StatusLine
    fields: Fields
    headers_length: int  # status line + header fields incl. the blank line
    entity_start: int
    entity_end: int  # limited by the HTTP Content-Length when it parses
    complete: bool  # the blank line was found before the end of the block

    def header(self, name: str) -> str | None:
        """First value of an HTTP header, case-insensitive."""
        lname = name.lower()
        for key, value in self.fields.headers:
            if key.lower() == lname:
                return value
        return None


def _java_long(value: str | None) -> int:
    """``Long.parseLong`` or -1, as ``HttpHeaders.getContentLength``."""
    if value is None:
        return -1
    text = value[1:] if value[:1] in "+-" else value
    if not text.isascii() or not text.isdigit():
        return -1
    return int(value)


def response_view(rec: WarcRecord) -> ResponseView:
    view = rec.cache.get("response")
    if view is None:
        block = rec.block
        status = parse_status_line(block)
        fields = parse_fields(block, status.consumed)
        start = status.consumed + fields.consumed
        complete = fields.complete and status.consumed <= len(block)
        length = -1
        for key, value in fields.headers:
            if key.lower() == "content-length":
                length = _java_long(value)
                break
        end = len(block) if length < 0 else min(len(block), start + length)
        view = ResponseView(status, fields, status.counted + fields.consumed, start, end, complete)
        rec.cache["response"] = view
    return view


def is_html(rec: WarcRecord) -> bool:
    """Whether the generator runs its HTML parser on this record (``isHTMLHttpResource``)."""
    cached = rec.cache.get("is_html")
    if cached is None:
        cached = False
        if rec.is_http_response():
            identified = rec.get("WARC-Identified-Payload-Type")
            if identified is not None:
                cached = identified in HTML_TYPES
            else:
                values = [v for k, v in response_view(rec).fields.headers if k.lower() == "content-type"]
                cached = any("html" in v.lower() for v in values)
        rec.cache["is_html"] = cached
    return cached


def html_input(rec: WarcRecord) -> tuple[bytes, str | None]:
    """(payload, HTTP Content-Type) as the HTML extraction of an HTML response takes them."""
    view = response_view(rec)
    body = rec.block[view.entity_start : view.entity_end]
    # Common Crawl stores payloads decoded; other crawlers' WARCs may still be chunked/gzipped
    body = decode_http_payload(body, view.fields.headers)
    content_type = None
    for key, value in view.fields.headers:
        if key == "Content-Type":
            content_type = value
            break
    return body, content_type


def html_of(rec: WarcRecord) -> HtmlExtract | None:
    """The page's HTML metadata and text, or None when the record is not HTML.

    A record that carries its text (``rec.text``, Nutch's parse text, which the WET writer takes
    instead) gets the metadata alone: ``text`` is None.
    """
    if not is_html(rec):
        return None
    extract = rec.cache.get("html")
    if extract is None:
        extract = extract_html(*html_input(rec), text=rec.text is None)
        rec.cache["html"] = extract
    return extract


def block_fields(rec: WarcRecord) -> Fields:
    """The block parsed as ``name: value`` fields (``metadata`` records: read by WAT, WET and CDXJ)."""
    fields = rec.cache.get("block_fields")
    if fields is None:
        fields = rec.cache["block_fields"] = parse_fields(rec.block)
    return fields


def metadata_fields(rec: WarcRecord) -> list[tuple[str, str]]:
    """The ``name: value`` fields of a ``metadata`` record (``fetchTimeMs``, ``languages-cld2`` …)."""
    return block_fields(rec).headers


def describes(meta: WarcRecord, target_uri: str | None, record_id: str | None) -> bool:
    """Whether ``meta`` is the capture metadata of the response with this URI and id.

    ``WEATGenerator.isMetaConcurrentTo``: same ``WARC-Target-URI``, ``WARC-Concurrent-To`` = the
    response's record id.
    """
    concurrent = meta.get("WARC-Concurrent-To")
    return (
        meta.type == "metadata"
        and meta.content_type != "application/json"
        and target_uri is not None
        and meta.target_uri == target_uri
        and concurrent is not None
        and concurrent == record_id
    )


def cld2_languages(value: str) -> str | None:
    """ISO-639-3 codes from a ``languages-cld2`` JSON value, joined as ``WEATGenerator`` joins them.

    >>> cld2_languages('{"reliable":false,"languages":[{"code":"es","code-iso-639-3":"spa"}]}')
    'spa'
    >>> cld2_languages('{"languages":[{"code-iso-639-3":"fra"},{"code-iso-639-3":"eng"},{"code-iso-639-3":"fra"}]}')
    'fra,eng'
    """
    try:
        parsed = json.loads(value)
        langs = parsed["languages"]
        codes = [entry.get("code-iso-639-3") for entry in langs]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if len(codes) == 1:
        code = codes[0]
        return code if isinstance(code, str) and code else None
    out: list[str] = []
    dedup = ["", ""]
    for j, code in enumerate(codes):
        if (
            not isinstance(code, str)
            or code == "null"
            or (j > 0 and dedup[0] == code)
            or (j > 1 and dedup[1] == code)
        ):
            continue
        out.append(code)
        if j < 2:
            dedup[j] = code
    return ",".join(out) or None


def capture_languages(meta: WarcRecord) -> tuple[str | None, str | None]:
    """(charset, languages) written in a capture's metadata record, if any (asked by WET and CDXJ)."""
    cached = meta.cache.get("capture_languages")
    if cached is None:
        charset = languages = None
        for name, value in metadata_fields(meta):
            if name == "charset-detected" and charset is None:
                charset = value
            elif name == "languages-cld2" and languages is None:
                languages = cld2_languages(value)
        cached = meta.cache["capture_languages"] = (charset, languages)
    return cached


# -- extraction on a second core --------------------------------------------------------------------

_REQUEST = struct.Struct("!II")  # Content-Type bytes (0xFFFFFFFF: none), payload bytes
_ANSWER = struct.Struct("!I")  # marshal bytes that follow
_NO_TYPE = 0xFFFFFFFF


def serve_extraction() -> None:
    """The helper process: read (Content-Type, payload) frames on stdin, answer each with its extract.

    The answer is ``marshal`` of ``(metadata, text)`` — plain dicts, lists and strings, the cheapest
    form to rebuild — or of ``None`` when extraction fails (the main process then does it itself).
    """
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = inp.read(_REQUEST.size)
        if len(head) < _REQUEST.size:
            return
        type_len, body_len = _REQUEST.unpack(head)
        content_type = None if type_len == _NO_TYPE else inp.read(type_len).decode("latin-1")
        body = inp.read(body_len)
        try:
            extract = extract_html(body, content_type)
            answer = marshal.dumps((extract.metadata, extract.text))
        except Exception:  # reported as None: the main process extracts the page itself, and raises
            answer = marshal.dumps(None)
        out.write(_ANSWER.pack(len(answer)) + answer)
        out.flush()


class ExtractionHelper:
    """A child process running :func:`extract_html`; answers come back in request order.

    A reader thread takes the answers as they come, so the child never waits on a full pipe and
    requests can always be written. If the child goes away, :meth:`answer` returns None for every
    request not answered and the caller extracts those pages itself.
    """

    def __init__(self) -> None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        code = "from ccdump.writers.httpview import serve_extraction; serve_extraction()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0
        )
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError, AttributeError):  # room for a window of pages (Linux)
            import fcntl

            fcntl.fcntl(self.proc.stdin.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        self._answers: deque[Any] = deque()
        self._ready = threading.Condition()
        self._eof = False
        self.sent = self.received = 0
        self._reader = threading.Thread(target=self._read, name="html extraction answers", daemon=True)
        self._reader.start()

    def submit(self, body: bytes, content_type: str | None) -> bool:
        """Send one page; False if the helper is gone (extract it locally)."""
        if self._eof:
            return False
        ctype = b"" if content_type is None else content_type.encode("latin-1", "replace")
        head = _REQUEST.pack(_NO_TYPE if content_type is None else len(ctype), len(body))
        view = memoryview(head + ctype + body)
        try:
            assert self.proc.stdin is not None
            while view:  # a raw pipe write may take part of the data
                view = view[self.proc.stdin.write(view) :]
        except (OSError, ValueError):  # the helper is gone
            return False
        self.sent += 1
        return True

    def _read_exact(self, size: int) -> bytes | None:
        """``size`` bytes from the child (a raw pipe read may return fewer); None at its end."""
        stdout = self.proc.stdout
        assert stdout is not None
        chunks, missing = [], size
        while missing:
            chunk = stdout.read(missing)
            if not chunk:
                return None
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def _read(self) -> None:
        try:
            while True:
                head = self._read_exact(_ANSWER.size)
                if head is None:
                    break
                data = self._read_exact(_ANSWER.unpack(head)[0])
                if data is None:
                    break
                answer = marshal.loads(data)
                with self._ready:
                    self._answers.append(answer)
                    self._ready.notify()
        finally:
            # nobody reads the child's answers any more: end it, so that a request being written
            # fails (BrokenPipe -> extracted locally) instead of waiting forever
            if self.proc.poll() is None:
                self.proc.kill()
            with self._ready:
                self._eof = True
                self._ready.notify_all()

    def has_answer(self) -> bool:
        return bool(self._answers) or self._eof

    def answer(self) -> HtmlExtract | None:
        """The extract for the oldest request not yet taken (waits for it); None: do it locally."""
        with self._ready:
            while not self._answers and not self._eof:
                self._ready.wait()
            if not self._answers:
                return None
            answer = self._answers.popleft()
        self.received += 1
        return None if answer is None else HtmlExtract(answer[0], answer[1])

    def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=60)


class ParallelHtml:
    """A WARC-writer listener that feeds ``listeners`` (WAT, WET, CDXJ writers …) in order, with the
    HTML of response records extracted by an :class:`ExtractionHelper` process meanwhile.

    ``window``: pages the helper may hold; beyond it pages are extracted here, when their turn
    comes. ``max_queue``: records held back waiting for an answer before :meth:`add` waits.
    ``on_file_open``/``on_file_closed``/``close``/``abort`` are forwarded in order as well.
    """

    def __init__(self, listeners: Sequence[Any], *, window: int = 64, max_queue: int = 256) -> None:
        self.listeners = list(listeners)
        self.window = window
        self.max_queue = max_queue
        self._queue: deque[tuple[str, Any, bool]] = deque()  # (event, argument, extracted by the helper)
        self._remote = 0
        self.remote_pages = self.local_pages = 0  # pages extracted by the helper / left to this process
        self._helper: ExtractionHelper | None = None
        self._helper_failed = False

    # -- listener interface -----------------------------------------------------------------------
    def add(self, rec: WarcRecord) -> None:
        remote = False
        if self._remote < self.window and "html" not in rec.cache and is_html(rec):
            helper = self._start()
            if helper is not None and helper.submit(*html_input(rec)):
                remote = True
                self._remote += 1
        if not remote and "html" not in rec.cache and is_html(rec):
            self.local_pages += 1
        self._queue.append(("add", rec, remote))
        self._deliver(wait=len(self._queue) > self.max_queue)

    def on_file_open(self, path: str) -> None:
        self._queue.append(("on_file_open", path, False))
        self._deliver(wait=False)

    def on_file_closed(self, path: str) -> None:
        self._queue.append(("on_file_closed", path, False))
        self._deliver(wait=False)

    def close(self) -> None:
        try:
            self._deliver(wait=True, everything=True)
        except BaseException:
            self.abort()
            raise
        self._stop()
        for listener in self.listeners:
            if hasattr(listener, "close"):
                listener.close()

    def abort(self) -> None:
        self._queue.clear()
        if self._helper is not None:
            self._helper.kill()
            self._helper = None
        for listener in self.listeners:
            if hasattr(listener, "abort"):
                listener.abort()

    # -- plumbing --------------------------------------------------------------------------------------
    def _start(self) -> ExtractionHelper | None:
        if self._helper is None and not self._helper_failed:
            try:
                self._helper = ExtractionHelper()
            except OSError:
                self._helper_failed = True
        return self._helper

    def _stop(self) -> None:
        if self._helper is not None:
            self._helper.close()
            self._helper = None

    def _deliver(self, wait: bool, everything: bool = False) -> None:
        """Hand the records at the head of the queue to the listeners, in order.

        A record waiting for the helper stops the delivery unless ``wait``; ``everything`` waits for
        all of them (end of the run).
        """
        queue = self._queue
        while queue:
            event, arg, remote = queue[0]
            if remote:
                helper = self._helper
                assert helper is not None
                if not (wait or everything or helper.has_answer()):
                    return
                extract = helper.answer()
                self._remote -= 1
                if extract is not None:
                    arg.cache["html"] = extract
                    self.remote_pages += 1
                else:  # the helper failed on it or is gone: the writers extract it here
                    self.local_pages += 1
            queue.popleft()
            if event == "add":
                for listener in self.listeners:
                    listener.add(arg)
            else:
                for listener in self.listeners:
                    method = getattr(listener, event, None)
                    if method is not None:
                        method(arg)
            wait = wait and len(queue) > self.max_queue
