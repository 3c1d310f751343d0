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


CLI = [sys.executable, "-c", "from services.api.cli import main; main()"]


def cli(env: dict[str, str], *args: str) -> str:
    """Run `priorities ARGS` with `env` and return what it printed on stdout."""
    return subprocess.run([*CLI, *args], env=env, cwd=ROOT, check=True, capture_output=True,
                          text=True, timeout=120).stdout.strip()


class ApiProcess:
    """`priorities serve` as a child process. `settings` are extra environment variables
    (WEBHOOK_POLL_SECONDS="0.1"); links the API hands out point at the process itself.
    `kill` is a hard SIGKILL and `start` starts it again on the same port; `stop` shuts it
    down as an orchestrator would."""

    def __init__(self, db_url: str, *, port: int | None = None,
                 settings: dict[str, str] | None = None, workers: int = 1) -> None:
        self.port = port or free_port()
        self.workers = workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING",
                    "PUBLIC_BASE_URL": self.url, **(settings or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port), "--no-migrate",
             "--workers", str(self.workers)],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def api_process(db_url: str, *, seed_demo: bool = False,
                settings: dict[str, str] | None = None,
                workers: int = 1) -> Iterator[ApiProcess]:
    """A started API on `db_url` (with the demo team first, if asked), stopped afterwards."""
    api = ApiProcess(db_url, settings=settings, workers=workers)
    if seed_demo:
        cli(api.env, "seed-demo")  # migrates too
    api.start()
    try:
        yield api
    finally:
        api.stop()


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
