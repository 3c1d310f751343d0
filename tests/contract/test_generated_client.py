"""A client generated from openapi.yaml by openapi-python-client (no warnings) drives a short
flow against a live server: the contract is what the service really does."""

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.e2e.procs import api_process, cli
from tests.e2e.test_metrics import scrape


def _api(module: str) -> Any:
    return importlib.import_module(f"sp_client.api.{module}")


def test_a_generated_client_runs_the_integrators_flow(db_url: str,
                                                      generated_client: Path) -> None:
    from sp_client import AuthenticatedClient
    from sp_client.models import (
        MemberCreate,
        MemberUpdate,
        NetworkCreate,
        ObservationBatch,
        Problem,
        RequestCreate,
        TriageCreate,
        VerdictCreate,
    )

    with api_process(db_url) as api:
        lead = cli(api.env, "create-key", "--role", "manager", "--name", "lead")
        manager = AuthenticatedClient(base_url=api.url, token=lead,
                                      raise_on_unexpected_status=True)
        create_member = _api("team.create_member")
        team = {}
        for name, email, role in (("Olivia Martin", "olivia.martin@example.com", "strategist"),
                                  ("Priya Shah", "priya.shah@example.com", "stakeholder"),
                                  ("Ada Client", "ada.client@example.com", "strategist")):
            created = create_member.sync_detailed(client=manager, body=MemberCreate.from_dict({
                "name": name, "email": email, "time_zone": "Europe/London", "role": role}),
                idempotency_key=f"create-{email}")
            assert created.status_code == 201 and created.headers["location"]
            team[email] = created.parsed
        _api("networks.create_network").sync(client=manager, body=NetworkCreate.from_dict({
            "slug": "instagram", "name": "Instagram", "purpose": "engagement",
            "audience": "creators", "owner_id": team["olivia.martin@example.com"].id}))
        keys = {
            "priya": cli(api.env, "create-key", "--role", "stakeholder", "--name", "Priya",
                         "--member-email", "priya.shah@example.com"),
            "olivia": cli(api.env, "create-key", "--role", "strategist", "--name", "Olivia",
                          "--member-email", "olivia.martin@example.com"),
            "evaluator": cli(api.env, "create-key", "--role", "service", "--name", "evaluator",
                             "--scope", "experiments:read", "--scope", "verdicts:write"),
        }
        priya, olivia, evaluator = (
            AuthenticatedClient(base_url=api.url, token=keys[k], raise_on_unexpected_status=True)
            for k in ("priya", "olivia", "evaluator"))

        member = team["ada.client@example.com"]
        read = _api("team.read_member").sync_detailed(member.id, client=manager)
        etag = read.headers["etag"]
        update = _api("team.update_member")
        changed = update.sync(member.id, client=manager,
                              body=MemberUpdate(weekly_capacity_hours=32), if_match=etag)
        assert changed.weekly_capacity_hours == 32
        stale = update.sync(member.id, client=manager,
                            body=MemberUpdate(weekly_capacity_hours=30), if_match=etag)
        assert isinstance(stale, Problem) and stale.status == 412

        when = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
        request = _api("requests.submit_request").sync(client=priya, body=RequestCreate.from_dict({
            "title": "Promote the March webinar", "description": "A live webinar.",
            "goal": "engagement", "networks": ["instagram"], "audience": "creators",
            "desired_publish_at": when.isoformat(), "department": "Product Marketing"}))
        triaged = _api("requests.triage_request").sync(request.id, client=olivia,
                                                       body=TriageCreate.from_dict({
            "decision": "compromise", "effort_hours": 3,
            "rationale": "Let the data decide.",
            "alternative": {"kind": "ab_test", "baseline_rate": 0.028, "mde": 0.005}}))
        experiment_id = triaged.experiments[0].id

        listed, cursor, pages = [], None, 0
        while True:
            kwargs: dict[str, str] = {"cursor": cursor} if cursor else {}
            page = _api("team.list_members").sync_detailed(client=manager, limit=2, **kwargs)
            listed += [m.id for m in page.parsed.items]
            pages += 1
            cursor = page.parsed.next_ if isinstance(page.parsed.next_, str) else None
            if cursor is None:
                assert "link" not in page.headers
                break
            assert 'rel="next"' in page.headers["link"]
        assert pages > 1 and len(listed) == len(set(listed)) and member.id in listed

        _api("experiments.start_experiment").sync(experiment_id, client=olivia)
        _api("experiments.add_observations").sync(experiment_id, client=olivia,
                                                  body=ObservationBatch.from_dict({
            "observations": [
                {"arm": "team", "post_id": "ig-101", "impressions": 1300, "engagements": 38},
                {"arm": "stakeholder", "post_id": "ig-102", "impressions": 1260,
                 "engagements": 14}]}))
        data_version = _api("experiments.read_experiment").sync(
            experiment_id, client=evaluator).data_version
        verdict = _api("experiments.create_verdict").sync(experiment_id, client=evaluator,
                                                         body=VerdictCreate.from_dict({
            "data_version": data_version, "look": 1, "info_fraction": 0.1,
            "decision": "keep_collecting", "metric": "engagement_rate",
            "method": "delta-method ratio z-test (unit: post)", "unit": "post",
            "estimates": {"team": 0.029, "stakeholder": 0.011},
            "n_per_arm": {"team": 1, "stakeholder": 1}, "planned_n_per_arm": 18566,
            "p_value": 0.2, "summary": "Too early to tell."}))
        assert verdict.decision == "keep_collecting"

        experiment = _api("experiments.read_experiment").sync(experiment_id, client=priya)
        assert experiment.latest_verdict.decision == "keep_collecting"
        again = _api("requests.read_request").sync(request.id, client=priya)
        assert again.experiments[0].verdict.decision == "keep_collecting"
        listing = _api("experiments.list_experiments").sync(client=olivia)
        assert experiment_id in [e.id for e in listing.items]

        metrics = scrape(api.url)
    assert metrics["experiment_verdicts"] == [({"decision": "keep_collecting"}, 1.0)]
    assert ({"outcome": "written"}, 1.0) in metrics["experiment_evaluations"]
    assert ({"status": "triaged"}, 1.0) in metrics["intake_requests"]
