"""openapi.yaml at the repository root is what the app serves, and documents every operation."""

from pathlib import Path

import yaml

from services.api.main import create_app
from services.api.openapi_doc import render

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_committed_openapi_matches_the_app() -> None:
    assert SPEC.read_text() == render(), (
        "openapi.yaml is stale: regenerate it with `priorities export-openapi`")


def test_every_operation_has_summary_tag_errors_and_example() -> None:
    spec = yaml.safe_load(render())
    assert spec == create_app().openapi()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            assert op.get("tags"), where
            if path.startswith("/v1") and not path.startswith("/v1/shared/"):  # keyless
                assert "401" in op["responses"], where
            for status, response in op["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], where
            for status, response in op["responses"].items():
                for media in response.get("content", {}).values():
                    if "schema" in media:
                        assert "example" in media, f"{where} {status}"
            if "requestBody" in op:
                for media in op["requestBody"]["content"].values():
                    assert "example" in media, f"{where} request body"
