"""Examples for the OpenAPI document, built from each schema: real-looking values chosen by
field name, kept inside the schema's bounds, formats and patterns, never null where a value
is required. Field-level `examples` written on the models win over everything here."""

import re
from typing import Any

# By field name: the value a reader of the article's team would expect there.
STRINGS: dict[str, str] = {
    "name": "Olivia Martin", "email": "olivia.martin@example.com", "title": "TikTok launch teaser",
    "description": "A live webinar for marketing leaders.", "time_zone": "Europe/London",
    "network": "tiktok", "slug": "tiktok", "networks": "tiktok", "audience": "Gen Z creators",
    "audiences": "Gen Z creators", "department": "Product Marketing", "campaign": "TikTok launch",
    "campaign_tags": "q-launch", "tag": "q-launch", "tags": "q-launch", "quarter": "2027-Q1",
    "goals_quarter": "2027-Q1", "month": "2027-01", "start": "09:00", "end": "17:00",
    "rationale": "Marketing leaders are on LinkedIn, not Instagram.",
    "reason": "quick win: high impact, low effort", "detail": "Asset delivered.",
    "message": "Value error, 'Mars/Olympus' is not an IANA time zone",
    "url": "https://hooks.example.com/social", "link": "https://www.tiktok.com/@brand/video/7301",
    "token": "cal_Yx3kP0aQ2rT9", "cursor": "eyJpZCI6MjB9", "next": "eyJpZCI6MjB9",
    "prefix": "sp_live_3f2b", "external_id": "7301", "post_id": "ig-101", "arm": "team",
    "winner": "team", "key": "top", "section_key": "trends", "hypothesis":
    "The product video engages more than the webinar post.", "note": "Our reel went viral",
    "body": "Shorts carry TikTok this quarter.", "text": "Shorts carry TikTok this quarter.",
    "what": "Waiting for the creative asset", "waiting_on": "Design team",
    "resolution": "Asset delivered", "progress": "Script approved; filming Tuesday.",
    "ownership_note": "This is an initiative I own", "would_help_note": "Two more days",
    "summary": "1 of 1 TikTok launch produced", "sentence": "TikTok shorts took off.",
    "label": "Quick wins", "field": "body.time_zone", "pointer": "/time_zone",
    "instance": "/v1/members/7", "type": "value_error", "method": "pooled_z_test",
    "request_title": "Promote the social listening webinar", "subject": "Quarter review",
    "last_error": "HTTP 503", "scopes": "experiments:read", "event_types": "request.submitted",
    "goal": "Reach Gen Z", "purpose": "awareness", "kind": "focus", "unit": "post",
    "context": "Weekly plan", "definition": "engagements / impressions", "include": "aggregates",
    "columns": "title", "html": "<p>Shorts carry TikTok.</p>", "highlights": "TikTok shorts",
    "warnings": "Another TikTok entry is 60 minutes away.", "decreased": "impressions",
    "request_id": "3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e",
    "review_reasons": "audience 'Marketing leaders' shares no word with Instagram's",
}
NUMBERS: dict[str, float] = {
    "p_value": 0.031, "adjusted_p_value": 0.047, "p_adjusted": 0.047, "srm_p_value": 0.62,
    "always_valid_p": 0.2, "last_always_valid_p": 0.2, "alpha": 0.05, "alpha_spent": 0.012,
    "power": 0.8, "baseline_rate": 0.028, "mde": 0.005, "engagement_rate": 0.031,
    "buffer_share": 0.2, "share": 0.25, "boundary": 2.96, "effect": 0.012, "diff": 0.012,
    "ci_low": 0.004, "ci_high": 0.02, "rel_effect": 0.43, "rel_ci_low": 0.12,
    "rel_ci_high": 0.78, "change_pct": 34.5, "elapsed_pct": 50.0, "percent_of_goal": 82.5,
    "threshold_pct": 20.0, "low_effort_max_hours": 4.0, "weekly_capacity_hours": 32.0,
    "video_views": 7400.0, "watch_seconds": 51200.0,
}
INTEGERS: dict[str, int] = {
    "impressions": 1300, "engagements": 38, "likes": 510, "comments": 42, "shares": 61,
    "saves": 12, "clicks": 27, "followers": 18250, "limit": 50, "after": 0, "status": 200,
    "impact": 4, "version": 3, "attempts": 1, "days": 7, "year": 2027,
    "expires_in_days": 14, "planned_n_per_arm": 18566, "n": 5, "looks": 3,
}
FORMATS = {"date-time": "2027-01-12T15:00:00Z", "date": "2027-01-12", "time": "15:00:00",
           "email": "olivia.martin@example.com", "uri": "https://hooks.example.com/social",
           "uuid": "6f1c2b4e-8d3a-4f5b-9c7e-2a1d0e3f4b5c", "duration": "P7D"}

MEDIA_EXAMPLES: dict[str, str] = {
    "text/csv": "title,network,publish_at,campaign\n"
                "Launch video 2,tiktok,2027-01-12T15:00:00Z,TikTok launch\n",
    "text/calendar": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//social-priorities//EN\r\n"
                     "END:VCALENDAR\r\n",
    "text/html": "<!doctype html><html><body><h1>Quarter review</h1></body></html>",
    "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"></svg>',
    "text/plain":
        "# HELP http_requests_total HTTP requests\n# TYPE http_requests_total counter\n"
        'http_requests_total{method="GET",route="/v1/me",status="200"} 27.0\n',
}


def _bounded(value: float, schema: dict[str, Any], step: float) -> float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None and (value < low or (value == low and "exclusiveMinimum" in schema)):
        value = low + step
    if high is not None and (value > high or (value == high and "exclusiveMaximum" in schema)):
        value = high - step
    return value


def _string(name: str, schema: dict[str, Any]) -> str:
    if schema.get("format") in FORMATS:
        return FORMATS[schema["format"]]
    base = name.removesuffix("[]")
    candidates = [STRINGS.get(base), STRINGS.get(base.rsplit("_", 1)[-1]),
                  base.replace("_", "-") or "example"]
    pattern = schema.get("pattern")
    low, high = schema.get("minLength", 0), schema.get("maxLength", 10_000)
    for value in candidates:
        if value is None:
            continue
        if len(value) > high:
            value = value[:high]
        if len(value) < low:
            value = value + "x" * (low - len(value))
        if pattern is None or re.search(pattern, value):
            return value
    return "tiktok" if pattern and re.search(pattern, "tiktok") else candidates[-1] or "x"


def example_for(schema: dict[str, Any], components: dict[str, Any], name: str = "",
                seen: tuple[str, ...] = ()) -> Any:
    """A value valid against `schema`; `seen` holds the components being expanded, so a
    recursive model stops at an optional field instead of writing null into a required one."""
    if "$ref" in schema:
        ref = schema["$ref"].rsplit("/", 1)[-1]
        return example_for(components[ref], components, name, (*seen, ref))
    if "const" in schema:
        return schema["const"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if schema.get("default") is not None:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = [s for s in schema.get(key, []) if s.get("type") != "null"]
        if options:
            return example_for(options[0], components, name, seen)
        if key in schema:
            return None
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example_for(part, components, name, seen)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        fields: dict[str, Any] = {}
        for prop, sub in schema.get("properties", {}).items():
            ref = sub.get("$ref", "").rsplit("/", 1)[-1]
            nested = ref in seen or any(s.get("$ref", "").rsplit("/", 1)[-1] in seen
                                        for s in [*sub.get("anyOf", []), sub.get("items", {})])
            if nested and prop not in required:
                continue
            fields[prop] = example_for(sub, components, prop, seen)
        extra = schema.get("additionalProperties")
        if not fields and isinstance(extra, dict) and extra:
            fields["tiktok"] = example_for(extra, components, name, seen)
        return fields
    if kind == "array":
        items = schema.get("items", {})
        ref = items.get("$ref", "").rsplit("/", 1)[-1]
        count = max(1, schema.get("minItems", 0))
        if ref in seen and not schema.get("minItems"):
            return []
        one = example_for(items, components, name, seen)
        if schema.get("uniqueItems") and count > 1 and isinstance(one, str):
            return [f"{one}{i or ''}" for i in range(count)]
        return [one] * count
    if kind == "integer":
        guess = INTEGERS.get(name, 7 if name == "id" or name.endswith("_id") else 3)
        return int(_bounded(guess, schema, 1))
    if kind == "number":
        number = NUMBERS.get(name, 2.5 if "hours" in name else 12.5)
        return _bounded(number, schema, 0.001)
    if kind == "boolean":
        return not name.startswith(("is_", "has_")) or name == "is_fixed"
    if kind == "null":
        return None
    if kind == "string" or not kind:
        return _string(name, schema)
    return None
