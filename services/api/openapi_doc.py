"""The OpenAPI document integrators generate clients from: FastAPI's, finished here with the
security scheme, operationIds, shared problem responses and headers, tags, servers, valid
examples and the webhook payloads, rendered as the YAML committed at the repo root."""

import inspect
import json
import re
from collections import Counter
from http import HTTPStatus
from typing import Any

import yaml
from fastapi import FastAPI, routing
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from services.api.errors import PROBLEM_JSON, PROBLEM_STATUSES
from services.api.events.catalog import EVENT_TYPES
from services.api.events.payloads import DATA_SCHEMAS, EVENT_DATA, entry_updated
from services.api.openapi_examples import MEDIA_EXAMPLES, example_for
from shared.schemas.common import PROBLEM_BASE

SERVERS = [{"url": "http://127.0.0.1:8000", "description": "`priorities serve` on this machine"}]

TAGS = [
    ("networks", "Social networks, their owners over time, and routing: who to talk to."),
    ("team", "Team members: roles, time zones and weekly capacity."),
    ("pillars", "Content pillars per quarter."),
    ("keys", "API keys and who the caller is."),
    ("requests", "Stakeholder requests: intake, triage, lifecycle, updates and blockers."),
    ("calendar", "The content calendar, its import/export, monthly plan and iCalendar feeds."),
    ("events", "The change feed: every change, in order, readable by position."),
    ("webhooks", "Webhook registrations and their deliveries (payloads: `webhooks` section)."),
    ("planning", "Work items, the priority matrix and queue, schedules and capacity."),
    ("experiments", "A/B experiments, their observations, aggregates and verdicts."),
    ("posts", "Published posts, metric snapshots and notes, upserted by collectors."),
    ("goals", "Quarterly goals and follower counts per network."),
    ("reports", "Performance, profile and trend reports."),
    ("custom reports", "Saved reports with annotations and share links."),
    ("shared", "Read-only shared reports: the signed token in the URL is the credential."),
    ("health", "Liveness, readiness and Prometheus metrics for orchestrators (no key)."),
]

# Pydantic names two models alike by their module path; integrators get these instead.
SCHEMA_NAMES = {
    "services__api__models__intake__Decision": "TriageDecision",
    "shared__schemas__experiments__Decision": "VerdictDecision",
}

HEADERS: dict[str, dict[str, Any]] = {
    "XRequestId": {
        "description": "This request's id (yours when you sent a sane `X-Request-ID`); the logs "
                       "carry it too.",
        "schema": {"type": "string", "examples": ["3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e"]}},
    "ETag": {
        "description": "The resource's version; send it back as `If-Match` to change it.",
        "schema": {"type": "string", "examples": ['"v3"']}},
    "Link": {
        "description": 'The next page, when there is one: `<url>; rel="next"`.',
        "schema": {"type": "string",
                   "examples": ['<http://127.0.0.1:8000/v1/members?cursor=eyJpZCI6MjB9>; '
                                'rel="next"']}},
    "Location": {
        "description": "The path of the resource just created.",
        "schema": {"type": "string", "examples": ["/v1/members/7"]}},
    "RetryAfter": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0, "examples": [1]}},
    "IdempotentReplayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
                       "same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]}},
}

IF_MATCH = {
    "name": "If-Match", "in": "header", "required": True,
    "description": "The `ETag` you last read. A stale one is a 412; none at all is a 428.",
    "schema": {"type": "string", "examples": ['"v3"']},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes a retry safe: the same key (scoped to your API key, kept "
                   "`IDEMPOTENCY_TTL_HOURS`) and body replay the stored answer; the same key with "
                   "another body is a 422; while the first is still running, a 409 with "
                   "`Retry-After`.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "examples": ["a4f1c2e0-request-retry-1"]},
}

# Statuses with a `Retry-After` header.
RETRY_AFTER = {409, 429, 503}

PROBLEM_EXAMPLES = {
    400: ("malformed-json", "Malformed JSON", "The request body is not valid JSON."),
    401: ("unauthorized", "Missing or invalid API key",
          "This API key is unknown or has been revoked."),
    403: ("forbidden", "Not allowed", "The stakeholder role may not do this."),
    404: ("not-found", "Not found", "No network with slug 'myspace'."),
    405: ("method-not-allowed", "Method not allowed", "PUT is not allowed on /v1/members."),
    409: ("conflict", "Conflict", "A member with email jonathan@example.com already exists."),
    410: ("gone", "Gone", "This link has expired."),
    412: ("precondition-failed", "Resource changed since you read it",
          'The resource is at "v3", not "v2"; read it again and retry.'),
    413: ("payload-too-large", "Request body too large",
          "The request body exceeds the limit of 1048576 bytes."),
    415: ("unsupported-media-type", "Unsupported media type",
          "Send application/json or text/csv."),
    422: ("validation", "Invalid request", "1 invalid field(s): body.time_zone."),
    428: ("precondition-required", "If-Match header required",
          "Send the ETag you last read in If-Match."),
    429: ("too-many-requests", "Too many requests", "Slow down; retry after 1 second."),
    500: ("internal", "Internal server error",
          "Something went wrong on our side; it was logged with the request id."),
    503: ("not-ready", "Not ready", "The database is unreachable."),
}


def operation_id(route: APIRoute) -> str:
    """`create_member` -> `createMember`: handler names are unique, and become the method
    names of every generated client, so they are the operationIds."""
    head, *rest = route.name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def schema_name(name: str) -> str:
    if name in SCHEMA_NAMES:
        return SCHEMA_NAMES[name]
    page = re.fullmatch(r"Page_(\w+)_", name)
    return f"{page.group(1)}Page" if page else name


def response_name(status: int) -> str:
    """`422` -> `UnprocessableEntity`: the shared problem response of that status."""
    phrase = HTTPStatus(status).phrase
    return "".join(w.capitalize() for w in re.split(r"[^A-Za-z]+", phrase) if w)


def problem_response(status: int) -> dict[str, Any]:
    slug, title, detail = PROBLEM_EXAMPLES.get(
        status, ("error", HTTPStatus(status).phrase, HTTPStatus(status).description + "."))
    example: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status,
                               "detail": detail, "instance": "/v1/members/7",
                               "request_id": "3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e"}
    if status == 422:
        example["errors"] = [{"field": "body.time_zone", "pointer": "/time_zone",
                              "message": "Value error, 'Mars/Olympus' is not an IANA time zone",
                              "type": "value_error"}]
    headers: dict[str, Any] = {"X-Request-ID": {"$ref": "#/components/headers/XRequestId"}}
    if status in RETRY_AFTER:
        headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
    return {"description": PROBLEM_STATUSES.get(status, HTTPStatus(status).description),
            "headers": headers,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"},
                                       "example": example}}}


def _rename_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (("#/components/schemas/" + schema_name(v.rsplit("/", 1)[-1]))
                    if k == "$ref" and v.startswith("#/components/schemas/")
                    else _rename_refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename_refs(v) for v in node]
    return node


def _sets_header(route: APIRoute, header: str) -> bool:
    # Handlers set ETag and Location on the response they are handed; reading that from their
    # own code keeps the document right without a second list to maintain.
    return f'headers["{header}"]' in inspect.getsource(route.endpoint)


def _webhooks(schemas: dict[str, Any]) -> dict[str, Any]:
    """One webhook per subject (request, experiment, ...) whose body is one of that subject's
    event types, each with its own `data` schema: every payload documented field by field
    without 57 near-copies of the envelope."""
    subjects: dict[str, list[str]] = {}
    for kind, (subject, _) in EVENT_TYPES.items():
        subjects.setdefault(subject, []).append(kind)
    hooks: dict[str, Any] = {}
    for subject, kinds in sorted(subjects.items()):
        camel = "".join(w.capitalize() for w in subject.split("_"))
        listing = "\n".join(f"- `{k}`: {EVENT_TYPES[k][1]} `data`: {EVENT_DATA[k]}"
                             for k in kinds)
        # One branch per type, naming its data schema (a lone type is simply one more allOf).
        branches = [{"required": ["type"], "properties": {
            "type": {"const": k}, "data": {"$ref": f"#/components/schemas/{EVENT_DATA[k]}"}}}
            for k in kinds]
        hooks[f"{subject}-events"] = {"post": {
            "operationId": f"on{camel}Event",
            "tags": ["webhooks"],
            "summary": f"Events about a {subject.replace('_', ' ')}",
            "description": f"Sent to every registered webhook, signed (see EventPayload):\n\n"
                           f"{listing}",
            "security": [],
            "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in
                           ("WebhookId", "WebhookTimestamp", "WebhookSignature")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/EventPayload"},
                          {"properties": {"subject_type": {"const": subject}}},
                          *branches[:len(branches) == 1]],
                **({"oneOf": branches} if len(branches) > 1 else {})},
                "example": {"id": 1042, "type": kinds[0], "subject_type": subject,
                            "subject_id": "7",
                            "data": schemas[EVENT_DATA[kinds[0]]]["examples"][0],
                            "occurred_at": "2027-01-12T15:00:00.123456+00:00"}}}},
            "responses": {"204": {"$ref": "#/components/responses/WebhookAccepted"}},
        }}
    return hooks


WEBHOOK_COMPONENTS: dict[str, Any] = {
    "WebhookId": {"name": "webhook-id", "in": "header", "required": True,
                  "description": "The event's id as `evt_<id>`: the same on every retry.",
                  "schema": {"type": "string", "examples": ["evt_1042"]}},
    "WebhookTimestamp": {"name": "webhook-timestamp", "in": "header", "required": True,
                         "description": "Unix seconds when this attempt was signed.",
                         "schema": {"type": "string", "examples": ["1799766000"]}},
    "WebhookSignature": {"name": "webhook-signature", "in": "header", "required": True,
                         "description": "`v1,` and the base64 HMAC-SHA256 of the signed text.",
                         "schema": {"type": "string", "examples": [
                             "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="]}},
}

EVENT_PAYLOAD = {
    "type": "object",
    "description": "One event, as a webhook receives it. Deliveries are signed the Standard "
                   "Webhooks way: `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of "
                   "`{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 part of the "
                   "webhook's `whsec_` secret. Any 2xx acknowledges; anything else is retried "
                   "with backoff and, after `WEBHOOK_MAX_ATTEMPTS`, listed as failed.",
    "required": ["id", "type", "subject_type", "subject_id", "data", "occurred_at"],
    "properties": {
        "id": {"type": "integer", "description": "Position in the feed (`after=` this)."},
        "type": {"type": "string", "enum": sorted(EVENT_TYPES)},
        "subject_type": {"type": "string"},
        "subject_id": {"type": "string"},
        "data": {"type": "object", "additionalProperties": True,
                 "description": "What happened, by type: each event type's schema is named in "
                                "its webhook (`webhooks` section)."},
        "occurred_at": {"type": "string", "format": "date-time"},
    },
}


def _compact(node: Any) -> Any:
    """`anyOf: [{type: string, format: date}, {type: "null"}]` -> `type: [string, "null"]`
    (JSON Schema 2020-12, as OpenAPI 3.1 allows): the same schema in a line instead of four."""
    if isinstance(node, list):
        return [_compact(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _compact(v) for k, v in node.items()}
    options = node.get("anyOf")
    if (isinstance(options, list) and len(options) == 2 and options[1] == {"type": "null"}
            and isinstance(options[0].get("type"), str) and options[0]["type"] != "null"
            and "$ref" not in options[0] and not set(options[0]) & set(node) - {"anyOf"}):
        merged = {**options[0], "type": [options[0]["type"], "null"]}
        if "enum" in merged:
            merged["enum"] = [*merged["enum"], None]
        node = {**merged, **{k: v for k, v in node.items() if k != "anyOf"}}
    return node


def _plain_parameter(p: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter is left out, never sent as null: drop the null branch,
    the default title and the description repeated inside the schema."""
    schema = dict(p.get("schema", {}))
    if schema.get("title") == p["name"].replace("_", " ").replace("-", " ").title():
        del schema["title"]
    if schema.get("description") == p.get("description"):
        schema.pop("description", None)
    options = schema.get("anyOf")
    if not p.get("required") and isinstance(options, list) and len(options) == 2 \
            and options[1] == {"type": "null"}:
        schema = {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    kind = schema.get("type")
    if not p.get("required") and isinstance(kind, list) and "null" in kind:
        schema["type"] = next(k for k in kind if k != "null")
    plain = {**p, "schema": schema}
    if not plain.get("required"):
        plain.pop("required", None)
    return plain


def _share_parameters(spec: dict[str, Any]) -> None:
    """A parameter repeated across operations (limit, cursor, ids) becomes one component."""
    seen: Counter[str] = Counter()
    for item in spec["paths"].values():
        for op in item.values():
            op["parameters"] = [p if "$ref" in p else _plain_parameter(p)
                                for p in op.get("parameters", [])]
            for p in op["parameters"]:
                if "$ref" not in p:
                    seen[json.dumps(p, sort_keys=True)] += 1
    names: dict[str, str] = {}
    taken = set(spec["components"]["parameters"])
    for text, count in seen.most_common():
        if count < 2:
            break
        p = json.loads(text)
        name = "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", p["name"]) if w)
        if p["in"] == "path":
            name += "Path"
        if name in taken:
            continue
        taken.add(name)
        names[text] = name
        spec["components"]["parameters"][name] = p
    for item in spec["paths"].values():
        for op in item.values():
            op["parameters"] = [
                {"$ref": "#/components/parameters/" + names[key]} if key in names else p
                for p in op.get("parameters", [])
                for key in [json.dumps(p, sort_keys=True)]]
            if not op["parameters"]:
                del op["parameters"]


def _finish_operation(path: str, method: str, op: dict[str, Any], route: APIRoute,
                      components: dict[str, Any]) -> None:
    if not path.startswith("/v1"):
        op["security"] = []
    # If-Match and Idempotency-Key are shared components; a handler that declares either
    # itself (FastAPI's lower-case header parameter) gets the component instead.
    params = [p for p in op.get("parameters", [])
              if not (p.get("in") == "header"
                      and p["name"].lower() in ("if-match", "idempotency-key"))]
    responses = op["responses"]
    if "428" in responses or any(p.get("name", "").lower() == "if-match"
                                 for p in op.get("parameters", [])):
        params.append({"$ref": "#/components/parameters/IfMatch"})
        responses.setdefault("412", {})
        responses.setdefault("428", {})
    if method == "post" and path.startswith("/v1") and op.get("security") != []:
        params.append({"$ref": "#/components/parameters/IdempotencyKey"})
        # What the idempotency layer itself answers: a malformed key, one still running, the
        # same key with another body.
        for status in ("400", "409", "422"):
            responses.setdefault(status, {})
    if "requestBody" in op:
        responses.setdefault("413", {})
    if op.get("security") != [] and path.startswith("/v1"):
        responses.setdefault("401", {})
    op["parameters"] = params
    for status in list(responses):
        code = int(status)
        if code >= 400:
            components["responses"].setdefault(response_name(code), problem_response(code))
            responses[status] = {"$ref": f"#/components/responses/{response_name(code)}"}
            continue
        response = responses[status]
        if response.get("description") == "Successful Response":
            response["description"] = HTTPStatus(code).phrase
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = {"$ref": "#/components/headers/XRequestId"}
        if code < 300 and method != "delete" and _sets_header(route, "ETag"):
            headers["ETag"] = {"$ref": "#/components/headers/ETag"}
        if code == 201 and _sets_header(route, "Location"):
            headers["Location"] = {"$ref": "#/components/headers/Location"}
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("$ref", "").endswith("Page"):
            headers["Link"] = {"$ref": "#/components/headers/Link"}
        if method == "post" and any(p.get("$ref", "").endswith("IdempotencyKey")
                                    for p in params):
            headers["Idempotent-Replayed"] = {"$ref": "#/components/headers/IdempotentReplayed"}
    op["responses"] = dict(sorted(responses.items()))


def build(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes, servers=SERVERS,
                       tags=[{"name": n, "description": d} for n, d in TAGS])
    spec["info"]["contact"] = {"name": "social-priorities maintainers",
                               "url": "https://example.com/social-priorities"}
    spec["info"]["license"] = {"name": "MIT", "identifier": "MIT"}
    spec["security"] = [{"bearerAuth": []}]
    raw = spec.setdefault("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        raw.pop(name, None)
    spec = _rename_refs(spec)
    for schema in raw.values():
        for prop_name, prop in schema.get("properties", {}).items():
            # Pydantic's default titles ("Time Zone") repeat the property name; they only
            # weigh the document down.
            if prop.get("title") == prop_name.replace("_", " ").title():
                del prop["title"]
    schemas = _rename_refs({schema_name(n): s for n, s in raw.items()})
    for schema in schemas.values():
        schema.pop("title", None)  # the component's name says it
    schemas["EventPayload"] = EVENT_PAYLOAD
    schemas.update(DATA_SCHEMAS)
    schemas["CalendarEntryUpdatedData"] = entry_updated(schemas["EntryUpdate"])
    components = spec["components"]
    components["schemas"] = _compact(dict(sorted(schemas.items())))
    components["responses"] = {}
    components["parameters"] = {"IfMatch": IF_MATCH, "IdempotencyKey": IDEMPOTENCY_KEY,
                                **WEBHOOK_COMPONENTS}
    components["headers"] = HEADERS
    components["securitySchemes"] = {"bearerAuth": {
        "type": "http", "scheme": "bearer",
        "description": "An API key from `priorities create-key` or `POST /v1/api-keys`."}}
    endpoints = {operation_id(c.original_route): c.original_route
                 for c in routing.iter_route_contexts(app.routes)
                 if isinstance(c.original_route, APIRoute)}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            _finish_operation(path, method, op, endpoints[op["operationId"]], components)
    components["responses"]["WebhookAccepted"] = {
        "description": "Any 2xx acknowledges the delivery; anything else is retried."}
    components["responses"] = dict(sorted(components["responses"].items()))
    _share_parameters(spec)
    used = {media["schema"]["$ref"].rsplit("/", 1)[-1]
            for item in spec["paths"].values() for op in item.values()
            for body in [op.get("requestBody", {}), *op["responses"].values()]
            for media in body.get("content", {}).values()
            if "$ref" in media.get("schema", {})}
    # An example on each schema a body uses directly; the schemas nested in them show theirs
    # inside it, once.
    for name, schema in components["schemas"].items():
        if name in used and "examples" not in schema and "enum" not in schema:
            schema["examples"] = [example_for({"$ref": f"#/components/schemas/{name}"},
                                              components["schemas"])]
    for item in spec["paths"].values():
        for op in item.values():
            for body in [op.get("requestBody", {}), *op["responses"].values()]:
                for media_type, media in body.get("content", {}).items():
                    if "example" in media:
                        continue
                    if media_type.split(";")[0] in MEDIA_EXAMPLES:
                        media["example"] = MEDIA_EXAMPLES[media_type.split(";")[0]]
                    elif "schema" in media and "$ref" not in media["schema"]:
                        media["example"] = example_for(media["schema"], components["schemas"])
    spec["webhooks"] = _webhooks(components["schemas"])
    return dict(_json_schema_bounds(spec))


_BOUND_KEYWORDS = {"ge": ("minimum", max), "le": ("maximum", min),
                   "gt": ("exclusiveMinimum", max), "lt": ("exclusiveMaximum", min)}


def _json_schema_bounds(node: Any) -> Any:
    """Pydantic writes `Field(ge=...)` on a type with a before-validator (the strict integers
    of shared.schemas.bounds) as raw `ge`/`le` keys, which are not JSON Schema, and the bounds
    of such integers as floats: make them `minimum`/`maximum` integers, keeping the tighter."""
    if isinstance(node, list):
        return [_json_schema_bounds(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_schema_bounds(v) for k, v in node.items()}
    if "type" not in node:
        return node
    for raw, (keyword, tighter) in _BOUND_KEYWORDS.items():
        value = node.get(raw)
        if isinstance(value, int | float) and not isinstance(value, bool):
            del node[raw]
            node[keyword] = tighter(value, node[keyword]) if keyword in node else value
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    if "integer" in kinds:
        for keyword, _ in _BOUND_KEYWORDS.values():
            value = node.get(keyword)
            if isinstance(value, float) and value.is_integer():
                node[keyword] = int(value)
    return node


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render(app: FastAPI) -> str:
    # Flow style for leaf lists and maps (`tags: [team]`, `{$ref: ...}`) keeps it readable at
    # a third of the size.
    return str(yaml.dump(app.openapi(), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         width=100, default_flow_style=None))


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    """No `&id001` anchors: a reader (and some tools) should see every value where it is."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    # Docstrings keep their lines as a block, instead of quoted with every newline doubled.
    style = "|" if "\n" in text.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


FLOW_WIDTH = 90


def _dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    # A short map goes on its key's line (`name: {type: [string, 'null'], maxLength: 200}`),
    # a long one in block style: a third fewer lines than PyYAML's leaf-only flow style.
    node = dumper.represent_dict(data.items())
    text = json.dumps(data, ensure_ascii=False)
    if len(text) <= FLOW_WIDTH and "\\n" not in text:
        node.flow_style = True
    return node


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)
