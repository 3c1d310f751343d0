"""The contract's tools: the pinned OpenAPI linters (npm, tools/lint) and the client generated
by openapi-python-client from the committed openapi.yaml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "tools" / "lint"
SPEC = ROOT / "openapi.yaml"


@pytest.fixture(scope="session")
def linters() -> Path:
    """tools/lint/node_modules/.bin, installed from package-lock.json when missing."""
    bin_dir = LINT / "node_modules" / ".bin"
    if not (bin_dir / "spectral").exists() or not (bin_dir / "redocly").exists():
        if shutil.which("npm") is None:
            pytest.fail("npm is needed for the OpenAPI linters: install Node.js 20+ "
                        "(apt-get install nodejs npm)", pytrace=False)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=LINT, check=True, timeout=600)
    return bin_dir


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sp_client`, generated from openapi.yaml into a temporary directory put on sys.path."""
    out = tmp_path_factory.mktemp("client")
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC),
         "--config", str(LINT / "openapi-python-client.yaml"), "--meta", "none",
         "--output-path", str(out / "sp_client")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(out))
    return out / "sp_client"
