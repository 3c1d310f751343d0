"""Shared bench plumbing: throwaway PostgreSQL databases, API processes, and wrk runs."""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from sqlalchemy import text
from sqlalchemy.engine import make_url

from services.api.db import make_sync_engine

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CLI = [sys.executable, "-c", "from services.api.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def scratch_database(prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A new empty PostgreSQL database for one bench run, dropped afterwards unless `keep`."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_sync_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cli(*args: str, database_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*CLI, *args], env=env, cwd=ROOT, check=True, capture_output=True,
                          text=True)
    return done.stdout.strip()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the server and its children (uvicorn workers)."""
        pids = [self.process.pid, *_children(self.process.pid)]
        total = 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            total += int(match.group(1)) if match else 0
        return total / 1024


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@contextmanager
def serve(argv: list[str], *, env: dict[str, str], ready_path: str) -> Iterator[Server]:
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in argv]
    process = subprocess.Popen(argv, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(url + ready_path, timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server {argv} did not become ready")
            time.sleep(0.2)
        yield Server(process, url)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def require_wrk() -> None:
    """Stop before any set-up when wrk is missing, saying how to get it."""
    if shutil.which("wrk") is None:
        sys.exit("this bench drives the API with wrk, which is not installed: "
                 "sudo apt-get install wrk (or build it from https://github.com/wg/wrk)")


def wrk(url: str, *, connections: int, seconds: int, headers: dict[str, str]) -> WrkResult:
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
            url]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    if "Requests/sec" not in out or "99%" not in out:
        raise RuntimeError(f"wrk output not understood:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The latency distribution lines start with the percentile ("    50%    3.06ms").
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return WrkResult(rps, p50, p99, errors)


def median_of(runs: list[WrkResult]) -> WrkResult:
    return WrkResult(
        statistics.median(r.rps for r in runs), statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs), sum(r.errors for r in runs),
    )
