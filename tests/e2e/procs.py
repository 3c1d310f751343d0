"""Real processes for end-to-end tests: the API on a free port, the evaluator's CLI."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiProcess:
    """`priorities serve` as a child process; `kill` is a hard SIGKILL, `start` starts it again
    on the same port."""

    def __init__(self, db_url: str, port: int | None = None) -> None:
        self.db_url = db_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        env = {**os.environ, "DATABASE_URL": self.db_url, "LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from services.api.cli import main; main()", "serve",
             "--port", str(self.port), "--no-migrate"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"API exited with {self.proc.returncode}")
            try:
                if httpx2.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("API not ready in time")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@contextmanager
def api_process(db_url: str) -> Iterator[ApiProcess]:
    api = ApiProcess(db_url)
    api.start()
    try:
        yield api
    finally:
        api.kill()


def evaluator_env(api_url: str, key: str, **settings: str) -> dict[str, str]:
    env = {**os.environ, "ABTEST_API_URL": api_url, "ABTEST_API_KEY": key}
    env.update({f"ABTEST_{k.upper()}": v for k, v in settings.items()})
    return env


def evaluate_due_command() -> list[str]:
    return [sys.executable, "-c", "from services.abtest.cli import main; main()", "evaluate-due"]


def run_evaluate_due(api_url: str, key: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(evaluate_due_command(), cwd=ROOT, env=evaluator_env(api_url, key,
                                                                               **settings),
                          capture_output=True, text=True, timeout=120)
