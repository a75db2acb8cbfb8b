"""A real tracker server process for tests: ``python -m ccdump jobs serve`` on 127.0.0.1.

Started on a free port, polled (bounded) until it answers, stopped or SIGKILLed by the test and
restartable on the same port with the same database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "test-admin-token-0123456789"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tracker:
    """One ``ccdump jobs serve`` subprocess; ``url`` ends with ``/``."""

    def __init__(self, db_url: str, workdir: Path, *args: str, shards_dir: Path | None = None) -> None:
        self.db_url = db_url
        self.workdir = workdir
        self.args = list(args)
        self.shards_dir = shards_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = workdir / f"tracker-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "ccdump", "jobs", "serve", "--db", self.db_url]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--admin-token", ADMIN_TOKEN]
        if self.shards_dir is not None:
            cmd += ["--shards-dir", str(self.shards_dir)]
        return cmd + self.args

    def start(self, timeout: float = 20.0) -> Tracker:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it; closed in stop()
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tracker exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "api/jobCount?type=CPU", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"tracker did not start within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing — as a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> Tracker:
        return self.start()

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
