"""The committed openapi.yaml passes Spectral (spectral:oas) and Redocly (recommended) with
no errors, with the versions pinned in tools/lint/package-lock.json."""

import json
import os
import subprocess
from pathlib import Path

from tests.contract.conftest import LINT, SPEC

QUIET = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
         "NO_COLOR": "1"}


def test_spectral_finds_no_errors(linters: Path) -> None:
    result = subprocess.run(
        [str(linters / "spectral"), "lint", str(SPEC), "--ruleset", str(LINT / ".spectral.yaml"),
         "--format", "json", "--quiet"],
        capture_output=True, text=True, timeout=300, env=QUIET)
    problems = json.loads(result.stdout or "[]")
    errors = [p for p in problems if p["severity"] == 0]
    assert errors == [], [f"{p['code']} {'.'.join(map(str, p['path']))}: {p['message']}"
                          for p in errors[:20]]


def test_redocly_finds_no_errors(linters: Path) -> None:
    result = subprocess.run(
        [str(linters / "redocly"), "lint", str(SPEC), "--config", str(LINT / "redocly.yaml"),
         "--format", "json"],
        capture_output=True, text=True, timeout=300, env=QUIET)
    report = json.loads(result.stdout)
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert errors == [], [f"{p['ruleId']}: {p['message']}" for p in errors[:20]]
    assert report["totals"]["errors"] == 0
