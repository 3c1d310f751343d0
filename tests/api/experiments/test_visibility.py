"""Who sees which experiment: a stakeholder only those on their own requests, a strategist
those on requests they can see or that they defined, the manager and service keys all.
Hidden experiments answer 404, like missing ones, so their existence is not leaked."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.team.test_router import assert_problem
from tests.factories import Api

ARMS = [{"key": "video", "name": "Product video", "role": "team"},
        {"key": "webinar", "name": "Webinar post", "role": "stakeholder"}]
READS = ("", "/verdicts", "/aggregates")


def ask(api: Api, stakeholder: dict[str, str], network: str) -> dict[str, Any]:
    return api.ok(api.client.post("/v1/requests", headers=stakeholder, json={  # type: ignore[no-any-return]
        "title": "Webinar for the launch", "description": "d", "goal": "awareness",
        "audience": "everyone", "networks": [network], "department": "Sales",
        "desired_publish_at": (datetime.now(UTC) + timedelta(days=10)).isoformat()}), 201)


def visible_ids(api: Api, headers: dict[str, str], query: str = "") -> list[int]:
    return [e["id"] for e in api.ok(api.client.get(f"/v1/experiments{query}",
                                                   headers=headers))["items"]]


def world(api: Api) -> dict[str, Any]:
    """Priya asked for request 1 (on Olivia's network) with an experiment that has data and a
    verdict; Sam is another stakeholder; Jonathan a strategist owning nothing of it."""
    olivia = api.make_member(role="strategist", name="Olivia")
    network = api.make_network(owner_id=olivia["id"])
    people = {name: api.key_for(api.make_member(role=role, name=name)) for name, role in
              (("Priya", "stakeholder"), ("Sam", "stakeholder"), ("Jonathan", "strategist"))}
    people["Olivia"] = api.key_for(olivia)
    request = ask(api, people["Priya"], network["slug"])
    exp = api.make_experiment(request_id=request["id"], arms=ARMS)
    api.observe(exp["id"], [{"arm": "video", "post_id": "v1", "impressions": 1000,
                             "engagements": 30},
                            {"arm": "webinar", "post_id": "w1", "impressions": 1000,
                             "engagements": 20}])
    evaluator = api.service_key("experiments:read", "verdicts:write")
    current = api.ok(api.client.get(f"/v1/experiments/{exp['id']}", headers=evaluator))
    api.ok(api.client.post(f"/v1/experiments/{exp['id']}/verdicts", headers=evaluator, json={
        "data_version": current["data_version"], "look": 1, "info_fraction": 0.1,
        "decision": "keep_collecting", "metric": "engagement_rate", "method": "z-test",
        "unit": "post", "estimates": {"video": 0.03, "webinar": 0.02},
        "n_per_arm": {"video": 1, "webinar": 1}, "planned_n_per_arm": exp["planned_n_per_arm"],
        "summary": "Too early to call."}), 201)
    return {"people": people, "request": request, "experiment": exp, "evaluator": evaluator}


def test_a_stakeholder_gets_404_on_another_stakeholders_experiment(api: Api) -> None:
    w = world(api)
    exp_id, sam = w["experiment"]["id"], w["people"]["Sam"]

    for suffix in READS:
        r = api.client.get(f"/v1/experiments/{exp_id}{suffix}", headers=sam)
        assert_problem(r, 404)
        assert r.json()["detail"] == f"No experiment with id {exp_id}."
        assert "Request #" not in r.text and "webinar" not in r.text
    # The same answer as for an experiment that does not exist.
    assert api.client.get("/v1/experiments/999", headers=sam).json()["detail"] == \
        "No experiment with id 999."
    assert visible_ids(api, sam) == []
    assert visible_ids(api, sam, f"?request_id={w['request']['id']}") == []
    assert visible_ids(api, sam, "?due=false&include=aggregates") == []


def test_a_stakeholder_reads_the_experiment_on_their_own_request(api: Api) -> None:
    w = world(api)
    exp_id, priya = w["experiment"]["id"], w["people"]["Priya"]

    for suffix in READS:
        api.ok(api.client.get(f"/v1/experiments/{exp_id}{suffix}", headers=priya))
    assert visible_ids(api, priya) == [exp_id]
    verdicts = api.ok(api.client.get(f"/v1/experiments/{exp_id}/verdicts", headers=priya))
    assert [v["summary"] for v in verdicts["items"]] == ["Too early to call."]
    sums = api.ok(api.client.get(f"/v1/experiments/{exp_id}/aggregates", headers=priya))
    assert sorted(a["impressions"] for a in sums["arms"]) == [1000, 1000]


def test_a_strategist_sees_experiments_on_their_networks_requests_only(api: Api) -> None:
    w = world(api)
    exp_id = w["experiment"]["id"]

    for suffix in READS:
        api.ok(api.client.get(f"/v1/experiments/{exp_id}{suffix}", headers=w["people"]["Olivia"]))
        assert_problem(api.client.get(f"/v1/experiments/{exp_id}{suffix}",
                                      headers=w["people"]["Jonathan"]), 404)
    assert visible_ids(api, w["people"]["Olivia"]) == [exp_id]
    assert visible_ids(api, w["people"]["Jonathan"]) == []


def test_a_strategist_sees_the_experiments_they_defined_with_any_of_their_keys(
        api: Api) -> None:
    w = world(api)
    jonathan = api.make_member(role="strategist", name="Jonathan B")
    first_key, second_key = api.key_for(jonathan), api.key_for(jonathan)
    mine = api.ok(api.client.post("/v1/experiments", headers=first_key, json={
        "name": "Hooks", "arms": ARMS, "baseline_rate": 0.03, "mde": 0.01}), 201)

    assert visible_ids(api, second_key) == [mine["id"]]
    api.ok(api.client.get(f"/v1/experiments/{mine['id']}", headers=second_key))
    assert_problem(api.client.get(f"/v1/experiments/{mine['id']}",
                                  headers=w["people"]["Olivia"]), 404)
    assert_problem(api.client.get(f"/v1/experiments/{mine['id']}",
                                  headers=w["people"]["Priya"]), 404)


def test_the_manager_and_reader_service_keys_see_every_experiment(api: Api) -> None:
    w = world(api)
    unlinked = api.make_experiment(arms=ARMS)
    everyone = [w["experiment"]["id"], unlinked["id"]]

    assert visible_ids(api, api.manager) == everyone
    assert visible_ids(api, w["evaluator"]) == everyone
    for suffix in READS:
        api.ok(api.client.get(f"/v1/experiments/{unlinked['id']}{suffix}",
                              headers=w["evaluator"]))
