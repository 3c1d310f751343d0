"""Logs are JSON lines with RFC 3339 millisecond timestamps, in the API and the evaluator,
and readiness probes do not fill them with Alembic's chatter."""

import json
import logging
import os
import re
import subprocess
import sys
from datetime import datetime

import pytest

from shared.logs import JsonFormatter
from tests.e2e.procs import ROOT, free_port
from tests.factories import Api

RFC3339_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_log_lines_carry_rfc3339_millisecond_timestamps() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.created = 1_796_102_177.25
    line = json.loads(JsonFormatter().format(record))
    assert line["ts"] == "2026-12-01T05:16:17.250Z"
    assert datetime.fromisoformat(line["ts"]).utcoffset() is not None
    assert line["msg"] == "hello you"


def test_readiness_probes_log_no_alembic_lines(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            assert api.client.get("/readyz").status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []


def test_the_evaluator_logs_json_too() -> None:
    env = {**os.environ, "ABTEST_API_URL": f"http://127.0.0.1:{free_port()}",
           "ABTEST_API_KEY": "sp_test", "ABTEST_ATTEMPTS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "from services.abtest.cli import main; main()", "evaluate-due"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    first = json.loads(result.stderr.splitlines()[0])
    assert first["level"] == "warning" and RFC3339_MS.fullmatch(first["ts"])
