"""The OpenAPI document: FastAPI's, plus an example on every request and response body
(built from field examples and types), rendered as the YAML committed at the repo root."""

from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.api.errors import PROBLEM_JSON
from shared.schemas.common import PROBLEM_BASE

PLACEHOLDERS: dict[str, Any] = {
    "string": "string", "integer": 1, "number": 1.5, "boolean": True, "null": None,
}
FORMATS = {"date-time": "2026-11-27T09:30:00Z", "date": "2026-11-27", "uri": "https://example.com"}


def example_for(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    if depth > 6:
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example_for(components[name], components, depth + 1)
    for key in ("example", "default"):
        if schema.get(key) is not None:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(key, []) if s.get("type") != "null"]
        if options:
            return example_for(options[0], components, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: example_for(prop, components, depth + 1)
                for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_for(schema.get("items", {}), components, depth + 1)]
    if schema.get("format") in FORMATS:
        return FORMATS[schema["format"]]
    return PLACEHOLDERS.get(kind or "string", "string")


PROBLEM_EXAMPLES = {
    400: ("malformed-json", "Malformed JSON", "The request body is not valid JSON."),
    401: ("unauthorized", "Missing or invalid API key",
          "This API key is unknown or has been revoked."),
    403: ("forbidden", "Not allowed", "The stakeholder role may not do this."),
    404: ("not-found", "Not found", "No network with slug 'myspace'."),
    409: ("conflict", "Conflict", "A member with email jonathan@example.com already exists."),
    410: ("gone", "Gone", "This link has expired."),
    412: ("precondition-failed", "Resource changed since you read it",
          'The resource is at "v3", not "v2"; read it again and retry.'),
    413: ("payload-too-large", "Request body too large",
          "The request body exceeds the limit of 1048576 bytes."),
    422: ("validation", "Invalid request", "1 invalid field(s): body.time_zone."),
    428: ("precondition-required", "If-Match header required",
          "Send the ETag you last read in If-Match."),
    503: ("not-ready", "Not ready", "The database is unreachable."),
}


def problem_media(status: int, response: dict[str, Any]) -> dict[str, Any]:
    slug, title, detail = PROBLEM_EXAMPLES.get(status, ("error", "Error", response["description"]))
    example: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status,
                               "detail": detail, "instance": "/v1/networks/myspace",
                               "request_id": "3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e"}
    if status == 422:
        example["errors"] = [{"field": "body.time_zone", "pointer": "/time_zone",
                              "message": "Value error, 'Mars/Olympus' is not an IANA time zone",
                              "type": "value_error"}]
    return {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}


def build(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes)
    components = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for item in spec["paths"].values():
        for op in item.values():
            for status, response in op.get("responses", {}).items():
                if status[0] in "45":
                    response["content"] = {PROBLEM_JSON: problem_media(int(status), response)}
            bodies = [op.get("requestBody", {}), *op.get("responses", {}).values()]
            for body in bodies:
                for media in body.get("content", {}).values():
                    if "schema" in media and "example" not in media:
                        media["example"] = example_for(media["schema"], components)
    return spec


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render() -> str:
    from services.api.main import create_app

    spec = create_app().openapi()
    return str(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100))
