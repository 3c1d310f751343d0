"""API keys over HTTP: issue, use, revoke; the per-process key cache and its staleness bound."""

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from services.api.auth import KeyCache, Principal
from services.api.db import make_sync_engine, utcnow
from services.api.main import create_app
from services.api.models import ApiKey, Role
from services.api.settings import Settings
from tests.api.team.test_router import assert_problem
from tests.factories import Api, auth, make_key


def _issue(api: Api, **body: object) -> dict[str, object]:
    created = api.ok(api.client.post("/v1/api-keys", headers=api.manager,
                                     json={"name": "tool", "role": "manager"} | body), 201)
    assert isinstance(created, dict)
    return created


def _revoke_in_database(db_url: str, key_id: int) -> None:
    """What another API worker process does when it serves the revocation."""
    engine = make_sync_engine(db_url)
    with Session(engine) as session:
        session.exec(update(ApiKey).where(col(ApiKey.id) == key_id)
                     .values(revoked_at=utcnow()))
        session.commit()
    engine.dispose()


def test_a_key_revoked_through_the_api_gets_401_at_once(api: Api) -> None:
    created = _issue(api)
    headers = auth(str(created["key"]))
    assert api.ok(api.client.get("/v1/me", headers=headers))["role"] == "manager"
    api.ok(api.client.post(f"/v1/api-keys/{created['id']}/revoke", headers=api.manager))
    assert_problem(api.client.get("/v1/me", headers=headers), 401)
    assert_problem(api.client.get("/v1/networks/none", headers=headers), 401)


def test_use_is_recorded_in_last_used_at(api: Api) -> None:
    created = _issue(api)
    listed = api.ok(api.client.get("/v1/api-keys", headers=api.manager))["items"]
    assert next(k for k in listed if k["id"] == created["id"])["last_used_at"] is None
    api.ok(api.client.get("/v1/me", headers=auth(str(created["key"]))))
    listed = api.ok(api.client.get("/v1/api-keys", headers=api.manager))["items"]
    assert next(k for k in listed if k["id"] == created["id"])["last_used_at"] is not None


def test_service_key_scopes_are_read_back_as_a_list(api: Api) -> None:
    headers = api.service_key("experiments:read", "verdicts:write")
    me = api.ok(api.client.get("/v1/me", headers=headers))
    assert sorted(me["scopes"]) == ["experiments:read", "verdicts:write"]


@pytest.fixture
def short_cache_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"auth_cache_seconds": 0.5}))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_a_revocation_from_another_process_holds_within_the_cache_time(
    short_cache_client: TestClient, db_url: str
) -> None:
    manager = make_key(db_url, "manager")
    headers = auth(manager)
    assert short_cache_client.get("/v1/me", headers=headers).status_code == 200
    key_id = short_cache_client.get("/v1/me", headers=headers).json()["key_id"]
    _revoke_in_database(db_url, key_id)
    # Within AUTH_CACHE_SECONDS this process may still trust the key it looked up...
    assert short_cache_client.get("/v1/me", headers=headers).status_code == 200
    time.sleep(0.6)
    # ...and not a moment after.
    assert_problem(short_cache_client.get("/v1/me", headers=headers), 401)


def test_without_the_cache_another_process_revocation_holds_at_once(
    settings: Settings, db_url: str
) -> None:
    app = create_app(settings.model_copy(update={"auth_cache_seconds": 0}))
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = auth(make_key(db_url, "manager"))
        key_id = client.get("/v1/me", headers=headers).json()["key_id"]
        _revoke_in_database(db_url, key_id)
        assert_problem(client.get("/v1/me", headers=headers), 401)


def test_a_lookup_that_raced_a_revocation_does_not_put_the_key_back() -> None:
    """authenticate reads the key, then awaits; if the key is revoked (and evicted) meanwhile,
    what it read must not go into the cache."""
    cache = KeyCache(ttl=60)
    principal = Principal(7, "tool", Role.manager, None, frozenset())
    looked_up_at = cache.generation
    cache.evict(7)  # the revocation lands while the lookup awaits
    cache.put("hash-of-7", principal, looked_up_at=looked_up_at)
    assert cache.get("hash-of-7") is None
    cache.put("hash-of-7", principal, looked_up_at=cache.generation)
    assert cache.get("hash-of-7") == principal
