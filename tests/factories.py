"""Plain factories: keys straight into the database, everything else through the HTTP API."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from services.api.auth import hash_secret, new_secret
from services.api.db import make_sync_engine
from services.api.models import ApiKey, Role

_seq = itertools.count(1)


def make_key(db_url: str, role: Role | str, *, member_id: int | None = None,
             scopes: list[str] | None = None, name: str = "test") -> str:
    """Insert an API key directly (the bootstrap a CLI call does) and return its secret."""
    secret = new_secret()
    engine = make_sync_engine(db_url)
    with Session(engine) as session:
        session.add(ApiKey(name=name, role=Role(role), member_id=member_id,
                           scopes=scopes or [], prefix=secret[:10],
                           secret_hash=hash_secret(secret)))
        session.commit()
    engine.dispose()
    return secret


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class Api:
    """A test client with a manager key, and helpers that build the team over HTTP."""

    def __init__(self, client: TestClient, db_url: str) -> None:
        self.client = client
        self.db_url = db_url
        self.manager_key = make_key(db_url, Role.manager, name="test manager")
        self.manager = auth(self.manager_key)

    def key_for(self, member: dict[str, Any]) -> dict[str, str]:
        return auth(make_key(self.db_url, member["role"], member_id=member["id"],
                             name=member["name"]))

    def service_key(self, *scopes: str) -> dict[str, str]:
        return auth(make_key(self.db_url, Role.service, scopes=list(scopes), name="evaluator"))

    def ok(self, response: Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def make_member(self, **overrides: Any) -> dict[str, Any]:
        n = next(_seq)
        body = {"name": f"Member {n}", "email": f"member{n}@example.com",
                "time_zone": "Europe/Paris", "role": "strategist"} | overrides
        return self.ok(self.client.post("/v1/members", json=body, headers=self.manager), 201)  # type: ignore[no-any-return]

    def make_network(self, slug: str | None = None, **overrides: Any) -> dict[str, Any]:
        slug = slug or f"net{next(_seq)}"
        body = {"slug": slug, "name": slug.title(), "purpose": "awareness",
                "audience": "everyone"} | overrides
        return self.ok(self.client.post("/v1/networks", json=body, headers=self.manager), 201)  # type: ignore[no-any-return]

    def make_pillar(self, **overrides: Any) -> dict[str, Any]:
        body = {"quarter": "2026-Q4", "name": f"Pillar {next(_seq)}"} | overrides
        return self.ok(self.client.post("/v1/pillars", json=body, headers=self.manager), 201)  # type: ignore[no-any-return]

    def make_request(self, owner_id: int | None = None, **overrides: Any) -> dict[str, Any]:
        """A stakeholder's request on a fresh network (owned by `owner_id` when given)."""
        network = self.make_network(owner_id=owner_id) if owner_id else self.make_network()
        stakeholder = self.make_member(role="stakeholder")
        when = datetime.now(UTC) + timedelta(days=10)
        body = {"title": f"Request {next(_seq)}", "description": "d", "goal": "awareness",
                "audience": "everyone", "networks": [network["slug"]],
                "desired_publish_at": when.isoformat(), "department": "Sales"} | overrides
        return self.ok(self.client.post("/v1/requests", json=body,  # type: ignore[no-any-return]
                                        headers=self.key_for(stakeholder)), 201)

    def make_experiment(self, **overrides: Any) -> dict[str, Any]:
        body = {"name": f"Experiment {next(_seq)}",
                "arms": [{"key": "video", "name": "Product video", "role": "team"},
                         {"key": "webinar", "name": "Webinar post", "role": "stakeholder"}],
                "baseline_rate": 0.028, "mde": 0.005, "start": True} | overrides
        return self.ok(self.client.post("/v1/experiments", json=body, headers=self.manager), 201)  # type: ignore[no-any-return]

    def observe(self, experiment_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return self.ok(self.client.post(f"/v1/experiments/{experiment_id}/observations",  # type: ignore[no-any-return]
                                        json={"observations": rows}, headers=self.manager))


def posts(arm: str, rates: float, *, count: int, impressions: int, seed: int,
          prefix: str = "") -> list[dict[str, Any]]:
    """`count` posts of one arm with binomial engagements at `rates`, reproducibly."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [{"arm": arm, "post_id": f"{prefix}{arm}-{i}", "impressions": impressions,
             "engagements": int(rng.binomial(impressions, rates))} for i in range(count)]
