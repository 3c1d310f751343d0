"""The HTTP conventions every endpoint shares: problems, request ids, health, metrics,
body limits and Idempotency-Key."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm.exc import StaleDataError

from services.api.main import create_app
from services.api.settings import Settings
from tests.api.team.test_router import assert_problem
from tests.factories import Api, auth, make_key

MEMBER = {"name": "Priya Shah", "email": "priya@example.com", "time_zone": "Europe/London",
          "role": "stakeholder"}


def test_unknown_route_is_a_problem(api: Api) -> None:
    assert_problem(api.client.get("/v1/does-not-exist"), 404)


def test_wrong_method_is_a_405_problem(api: Api) -> None:
    body = assert_problem(api.client.put("/v1/members", headers=api.manager, json={}), 405)
    assert "PUT" in body["detail"]


def test_malformed_json_is_a_400_problem(api: Api) -> None:
    r = api.client.post("/v1/members", content=b'{"name": ', headers={
        **api.manager, "Content-Type": "application/json"})
    assert assert_problem(r, 400)["title"] == "Malformed JSON"


def test_body_over_the_limit_is_413_and_writes_nothing(api: Api) -> None:
    huge = {**MEMBER, "department": "x" * 100_000}
    assert_problem(api.client.post("/v1/members", json=huge, headers=api.manager), 413)
    chunked = api.client.post("/v1/members", headers={**api.manager,
                              "Content-Type": "application/json"},
                              content=iter([b'{"name": "', b"x" * 70_000, b'"}']))
    assert_problem(chunked, 413)
    assert api.ok(api.client.get("/v1/members", headers=api.manager))["items"] == []


def test_missing_and_revoked_keys_are_401(api: Api) -> None:
    assert_problem(api.client.get("/v1/members"), 401)
    assert_problem(api.client.get("/v1/members", headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(api.client.get("/v1/members", headers={"Authorization": "Basic abc"}), 401)


def test_unhandled_error_is_a_500_problem_without_internals(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("SELECT secret FROM api_key WHERE 1=1")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom", headers={"X-Request-ID": "trace-me-1"})
    assert_problem(r, 500)
    assert "SELECT" not in r.text and "Traceback" not in r.text
    assert r.headers["x-request-id"] == "trace-me-1"
    assert r.json()["request_id"] == "trace-me-1"


def test_request_id_is_echoed_or_generated(api: Api) -> None:
    assert api.client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers[
        "x-request-id"] == "abc-123"
    generated = api.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(generated.headers["x-request-id"]) == 32


def test_health_ready_and_metrics(api: Api) -> None:
    assert api.ok(api.client.get("/healthz")) == {"status": "ok"}
    assert api.ok(api.client.get("/readyz"))["status"] == "ready"
    api.client.get("/v1/networks/tiktok", headers=api.manager)
    metrics = api.client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/v1/networks/{slug}",status="404"}' in metrics


def test_idempotency_key_replays_the_first_response(api: Api) -> None:
    headers = {**api.manager, "Idempotency-Key": "create-priya-1"}
    first = api.client.post("/v1/members", json=MEMBER, headers=headers)
    again = api.client.post("/v1/members", json=MEMBER, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert len(api.ok(api.client.get("/v1/members", headers=api.manager))["items"]) == 1


def test_idempotency_key_with_another_body_is_rejected(api: Api) -> None:
    headers = {**api.manager, "Idempotency-Key": "k-2"}
    api.ok(api.client.post("/v1/members", json=MEMBER, headers=headers), 201)
    r = api.client.post("/v1/members", json={**MEMBER, "email": "other@example.com"},
                        headers=headers)
    assert_problem(r, 422)
    assert len(api.ok(api.client.get("/v1/members", headers=api.manager))["items"]) == 1


def test_idempotency_keys_are_scoped_to_the_caller(api: Api) -> None:
    other_manager = api.key_for(api.make_member(role="manager", email="m2@example.com"))
    body = {**MEMBER, "email": "scoped@example.com"}
    api.ok(api.client.post("/v1/members", json=body,
                           headers={**api.manager, "Idempotency-Key": "same"}), 201)
    r = api.client.post("/v1/members", json=body,
                        headers={**other_manager, "Idempotency-Key": "same"})
    assert_problem(r, 409)  # not a replay of someone else's response: a real attempt


def test_expired_idempotency_key_no_longer_replays(settings: Settings, db_url: str) -> None:
    expired = settings.model_copy(update={"idempotency_ttl_hours": -1})
    with TestClient(create_app(expired)) as client:
        api = Api(client, db_url)
        headers = {**api.manager, "Idempotency-Key": "old"}
        api.ok(client.post("/v1/members", json=MEMBER, headers=headers), 201)
        again = client.post("/v1/members", json=MEMBER, headers=headers)
        assert "idempotent-replayed" not in again.headers
        assert_problem(again, 409)  # the duplicate email, found by running the request again


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the URL is replaced anyway
def test_the_api_starts_while_postgresql_is_down_and_is_not_ready(settings: Settings) -> None:
    down = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:9/x"})
    with TestClient(create_app(down), raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        assert_problem(client.get("/readyz"), 503)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_libpq_connect_timeout_in_the_url_is_understood(settings: Settings, db_url: str) -> None:
    url = settings.model_copy(update={"database_url": db_url + "?connect_timeout=5"})
    with TestClient(create_app(url), raise_server_exceptions=False) as client:
        key = make_key(db_url, "manager")
        assert_problem(client.get("/v1/networks/nope", headers=auth(key)), 404)


def test_a_lost_race_on_an_if_match_write_is_412(settings: Settings) -> None:
    app = create_app(settings)

    @app.patch("/race")
    async def race() -> None:
        # What Versioned raises when `UPDATE ... WHERE version = :read` matched no row.
        raise StaleDataError("UPDATE statement on table 'member' expected to update 1 row(s)")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert assert_problem(client.patch("/race", headers={"If-Match": '"v1"'}), 412)[
            "type"].endswith("/precondition-failed")
        assert_problem(client.patch("/race"), 409)  # no ETag sent: a state conflict


def test_concurrent_if_match_patches_answer_200_once_and_412_otherwise(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    member = api.make_member()
    url = f"/v1/members/{member['id']}"
    headers = {**api.manager, "If-Match": '"v1"'}

    def patch(n: int) -> int:
        return api.client.patch(url, json={"department": f"Team {n}"},
                                headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(patch, range(16)))
    assert codes == [200] + [412] * 15


def test_405_names_every_method_the_path_serves(api: Api) -> None:
    r = api.client.options("/v1/api-keys", headers=api.manager)
    assert_problem(r, 405)
    assert r.headers["allow"] == "GET, POST"
    r = api.client.get("/v1/experiments/verdicts", headers=api.manager)
    assert_problem(r, 405)
    assert r.headers["allow"] == "POST"


def test_if_match_is_declared_required_where_its_absence_is_428(api: Api) -> None:
    document = api.client.get("/openapi.json").json()

    def params(op: dict[str, Any]) -> list[dict[str, Any]]:
        # Shared parameters are `$ref`s to components.parameters.
        return [document["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]
                if "$ref" in p else p for p in op.get("parameters", [])]

    guarded = [(method, path, op) for path, ops in document["paths"].items()
               for method, op in ops.items()
               if any(p["name"].lower() == "if-match" for p in params(op))]
    assert len(guarded) >= 13
    for method, path, op in guarded:
        header = next(p for p in params(op) if p["name"].lower() == "if-match")
        assert header["required"], f"{method} {path}"
        assert {"412", "428"} <= set(op["responses"]), f"{method} {path}"
    member = api.make_member()
    r = api.client.patch(f"/v1/members/{member['id']}", json={"name": 3},
                         headers=api.manager)
    assert assert_problem(r, 428)["type"].endswith("/precondition-required")
