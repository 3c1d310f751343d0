"""Idempotency-Key as a lease: only authenticated callers claim keys, a claim whose holder
stopped renewing it lapses, and bodies compare as JSON, not bytes."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from services.api.db import make_sync_engine, utcnow
from services.api.idempotency import fingerprint
from services.api.models import IdempotencyRecord
from tests.api.team.test_router import assert_problem
from tests.factories import Api

MEMBER = {"name": "Priya Shah", "email": "priya@example.com", "time_zone": "Europe/London",
          "role": "stakeholder"}


def records(db_url: str) -> int:
    engine = make_sync_engine(db_url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one()
    engine.dispose()
    return int(count)


def claim(api: Api, key: str, body: dict[str, Any], *, expires_in: timedelta) -> None:
    """A claim left behind by a request still running (or by a process that died)."""
    key_id = api.ok(api.client.get("/v1/me", headers=api.manager))["key_id"]
    engine = make_sync_engine(api.db_url)
    with Session(engine) as session:
        session.add(IdempotencyRecord(
            principal=f"key:{key_id}", key=key, method="POST", path="/v1/members",
            body_hash=fingerprint("POST", "/v1/members", b"",
                                  api.client.build_request("POST", "/", json=body).content),
            created_at=utcnow(), expires_at=utcnow() + expires_in))
        session.commit()
    engine.dispose()


def test_unauthenticated_keyed_posts_claim_nothing(api: Api) -> None:
    for n in range(10):
        r = api.client.post("/v1/members", json=MEMBER, headers={
            "Authorization": f"Bearer junk-{n}", "Idempotency-Key": f"fresh-{n}"})
        assert_problem(r, 401)
    assert_problem(api.client.post("/v1/members", json=MEMBER,
                                   headers={"Idempotency-Key": "no-auth"}), 401)
    assert records(api.db_url) == 0


def test_the_same_json_in_another_key_order_replays(api: Api) -> None:
    headers = {**api.manager, "Idempotency-Key": "order-1", "Content-Type": "application/json"}
    first = api.client.post("/v1/members", headers=headers, content=(
        b'{"name": "Priya Shah", "email": "priya@example.com", "time_zone": "Europe/London", '
        b'"role": "stakeholder"}'))
    again = api.client.post("/v1/members", headers=headers, content=(
        b'{"role":"stakeholder","time_zone":"Europe/London",\n"email":"priya@example.com",'
        b'"name":"Priya Shah"}'))
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


def test_a_running_claim_answers_409_with_its_remaining_lease(api: Api) -> None:
    claim(api, "running", MEMBER, expires_in=timedelta(seconds=20))
    r = api.client.post("/v1/members", json=MEMBER,
                        headers={**api.manager, "Idempotency-Key": "running"})
    assert_problem(r, 409)
    assert 15 <= int(r.headers["retry-after"]) <= 20


def test_a_lapsed_claim_lets_the_retry_run(api: Api) -> None:
    claim(api, "holder-died", MEMBER, expires_in=timedelta(seconds=-1))
    r = api.client.post("/v1/members", json=MEMBER,
                        headers={**api.manager, "Idempotency-Key": "holder-died"})
    assert api.ok(r, 201)["email"] == MEMBER["email"]
    replay = api.client.post("/v1/members", json=MEMBER,
                             headers={**api.manager, "Idempotency-Key": "holder-died"})
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == r.json()
