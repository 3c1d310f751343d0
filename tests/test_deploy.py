"""The deployment files start from zero: the compose file and the Kubernetes manifests
validate against their published schemas (vendored in check-jsonschema and
kubernetes-validate, so this runs offline), and hold the rules that make a first start work."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifests() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for path in K8S for doc in load_all(path)
            if path.name != "kustomization.yaml"}


def test_compose_file_validates_against_the_compose_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "docker-compose.yml")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_starts_from_zero() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    # `${VAR:?...}` fails every compose command, the one that creates the key included.
    assert not re.search(r"\$\{[A-Z_]+:\?", text)
    services = yaml.safe_load(text)["services"]
    assert services["migrate"]["command"] == ["priorities", "migrate"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"
    assert "--no-migrate" in services["api"]["command"]
    assert services["evaluator"]["environment"]["ABTEST_API_KEY"] == "${ABTEST_API_KEY:-}"


def test_kubernetes_manifests_validate_against_the_kubernetes_schemas() -> None:
    files = [str(p) for p in K8S if p.name != "kustomization.yaml"]
    result = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", *files],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == 5, result.stdout


def test_kubernetes_runs_the_service_the_way_it_needs() -> None:
    docs = manifests()
    pod = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert pod["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "--no-migrate" in pod["command"]
    job = docs["Job"]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["priorities", "migrate"]
    cron = docs["CronJob"]["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    evaluator = cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    key = next(e for e in evaluator["env"] if e["name"] == "ABTEST_API_KEY")
    assert key["valueFrom"]["secretKeyRef"]["name"] == docs["Secret"]["metadata"]["name"]
    kustomized = yaml.safe_load((ROOT / "deploy" / "k8s" / "kustomization.yaml").read_text())
    assert {p.name for p in K8S} - set(kustomized["resources"]) == {
        "kustomization.yaml", "secret.example.yaml"}


def test_the_image_installs_locked_dependencies_before_the_code() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    base = next(line for line in lines if line.startswith("FROM "))
    assert re.fullmatch(r"FROM python:\d+\.\d+\.\d+-slim-\w+", base)
    locked = lines.index("RUN pip install --require-hashes -r requirements/runtime.txt")
    assert locked < lines.index("COPY services ./services")
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert "USER app" in lines and any("chown app:app /data" in line for line in lines)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "**/node_modules", "*.db"} <= set(ignored)


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower().replace("_", "-")
            for r in requirements}


def test_the_lock_files_pin_every_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _names(project["dependencies"] + project["optional-dependencies"]["postgres"])
    wanted = {"runtime.txt": runtime,
              "dev.txt": runtime | _names(project["optional-dependencies"]["dev"])}
    for lock, names in wanted.items():
        text = (ROOT / "requirements" / lock).read_text()
        pinned = {m.lower().replace("_", "-") for m in re.findall(r"^([A-Za-z0-9_.-]+)==",
                                                                    text, re.M)}
        assert names - pinned == set(), f"requirements/{lock} is stale: run scripts/lock"
        assert "--hash=sha256:" in text
