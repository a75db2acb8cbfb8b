"""Units in worker processes: a process pool, progress from the workers, clean stops.

On Linux workers are forked before this module starts any thread of its own (so library callers
need no ``if __name__ == "__main__"`` guard, which spawn and forkserver would require), and die
with the parent: a worker whose parent is gone receives SIGTERM, which — like a SIGTERM from us
when another unit failed — unwinds its writer, so its temporary files are removed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING

from ccdump.units import RunPlan, Unit, run_unit

if TYPE_CHECKING:
    from ccdump.run import DumpOptions, DumpStats

#: Progress of the units in flight: (unit index, documents, content bytes done in the unit).
UnitsProgress = Callable[[int, int, int], None]

_progress_queue: multiprocessing.Queue | None = None


_terminating = False


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """Unwind the unit in progress (its writer aborts and removes its temporary files), then exit."""
    global _terminating
    _terminating = True
    raise SystemExit(128 + signum)


def _die_with_parent() -> None:
    """Linux: ask for SIGTERM when the parent process exits (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _init_worker(progress_queue: multiprocessing.Queue | None) -> None:
    global _progress_queue
    _progress_queue = progress_queue
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    _die_with_parent()


def _run_in_worker(options: DumpOptions, plan: RunPlan, unit: Unit) -> DumpStats:
    q = _progress_queue
    last = [0.0]

    def progress(docs: int, done: int) -> None:
        now = time.monotonic()
        if q is not None and now - last[0] >= 0.2:
            last[0] = now
            with contextlib.suppress(Exception):
                q.put_nowait((unit.index, docs, done))

    try:
        return run_unit(options, plan, unit, progress)
    finally:
        if _terminating:  # the pool would only report this to a parent that may be gone: leave now
            os._exit(128 + signal.SIGTERM)


def run_in_processes(
    options: DumpOptions, plan: RunPlan, units: Iterable[Unit], processes: int, progress: UnitsProgress | None = None
) -> Iterator[tuple[Unit, DumpStats]]:
    """Yield (unit, statistics) as units finish, ``processes`` at a time.

    The first unit that fails stops the run: units not started are cancelled, running ones are
    sent SIGTERM (their writers abort), and the error is raised here.
    """
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)
    progress_queue = context.Queue(maxsize=1000) if progress is not None else None
    stop = threading.Event()
    reader = None
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_init_worker, initargs=(progress_queue,))
    pending: dict[Future, Unit] = {}
    try:
        for unit in units:  # every worker is forked by these calls, before the progress thread starts
            pending[pool.submit(_run_in_worker, options, plan, unit)] = unit
        if progress_queue is not None and progress is not None:
            reader = threading.Thread(target=_drain, args=(progress_queue, progress, stop), daemon=True, name="ccdump-progress")
            reader.start()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f].index):
                unit = pending.pop(future)
                yield unit, future.result()
    except BaseException:
        for future in pending:
            future.cancel()
        _terminate(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        stop.set()
        if reader is not None:
            reader.join(timeout=2)
        if progress_queue is not None:
            progress_queue.close()
            progress_queue.cancel_join_thread()


def _terminate(pool: ProcessPoolExecutor) -> None:
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(Exception):
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)


def _drain(progress_queue: multiprocessing.Queue, progress: UnitsProgress, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            index, docs, done = progress_queue.get(timeout=0.2)
        except queue.Empty:
            continue
        except (EOFError, OSError):
            return
        progress(index, docs, done)
