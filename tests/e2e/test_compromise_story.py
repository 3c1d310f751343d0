"""The article's compromise, end to end with both services as separate processes over HTTP.

A stakeholder insists on promoting a webinar on Instagram; the strategist, who would post the
product video, triages the request as a compromise proposing an A/B test, which creates the
experiment. Posts arrive day after day; the scheduled evaluator (`priorities-abtest
evaluate-due`) keeps collecting, then concludes; the stakeholder reads the verdict and its
plain paragraph on their request, and the request's event feed carried it.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from services.api.models import Role
from tests.e2e.procs import api_process, run_evaluate_due
from tests.factories import auth, make_key, posts


def test_the_data_decides_the_webinar_compromise(db_url: str) -> None:
    manager = auth(make_key(db_url, Role.manager))
    evaluator_key = make_key(db_url, Role.service, scopes=["experiments:read", "verdicts:write"])
    with api_process(db_url) as api, httpx2.Client(base_url=api.url, timeout=30) as http:

        def ok(r: httpx2.Response, status: int = 200) -> Any:
            assert r.status_code == status, r.text
            return r.json()

        people = {role: ok(http.post("/v1/members", headers=manager, json={
            "name": name, "email": f"{role}@example.com", "time_zone": "America/Chicago",
            "role": role}), 201) for role, name in (("strategist", "Olivia Martin"),
                                                   ("stakeholder", "Priya Shah"))}
        olivia = auth(make_key(db_url, Role.strategist, member_id=people["strategist"]["id"]))
        priya = auth(make_key(db_url, Role.stakeholder, member_id=people["stakeholder"]["id"]))

        ok(http.post("/v1/networks", headers=manager, json={
            "slug": "instagram", "name": "Instagram", "purpose": "awareness",
            "audience": "creators", "owner_id": people["strategist"]["id"]}), 201)
        when = (datetime.now(UTC) + timedelta(days=10)).isoformat()
        request = ok(http.post("/v1/requests", headers=priya, json={
            "title": "Promote the March webinar", "description": "A live webinar.",
            "goal": "engagement", "audience": "creators", "networks": ["instagram"],
            "desired_publish_at": when, "department": "Product Marketing"}), 201)
        rid = request["id"]
        triaged = ok(http.post(f"/v1/requests/{rid}/triage", headers=olivia, json={
            "decision": "compromise", "effort_hours": 3,
            "rationale": "Let the data decide: your webinar post against our product video.",
            "alternative": {"kind": "ab_test", "baseline_rate": 0.028, "mde": 0.005,
                            "description": "The webinar post engages as well as the video."}}))
        [proposed] = triaged["experiments"]
        assert proposed["state"] == "draft"
        exp_url = f"/v1/experiments/{proposed['id']}"
        experiment = ok(http.post(f"{exp_url}/start", headers=olivia))
        assert experiment["request_id"] == rid

        decisions = []
        for day in range(1, 11):
            rows = posts("team", 0.028, count=4, impressions=500, seed=day,
                         prefix=f"day{day}-")
            rows += posts("stakeholder", 0.012, count=4, impressions=500, seed=100 + day,
                          prefix=f"day{day}-")
            ok(http.post(f"{exp_url}/observations", headers=olivia,
                         json={"observations": rows}))
            run = run_evaluate_due(api.url, evaluator_key)
            assert run.returncode == 0, run.stderr
            seen = ok(http.get(exp_url, headers=priya))
            decisions.append(seen["latest_verdict"]["decision"])
            if seen["state"] == "concluded":
                break

        assert decisions[0] == "keep_collecting"
        assert decisions[-1] == "team_better" and len(decisions) >= 2
        verdict = seen["latest_verdict"]
        assert verdict["winner"] == "team"
        summary = verdict["summary"]
        assert summary.startswith("The requested post reached 1.")
        assert "engagement against 2." in summary
        assert f"points, 95% repeated confidence interval at look {len(decisions)}" in summary
        assert ("Welch t-test on linearised per-post ratio, Satterthwaite df, each post counted "
                "as one unit") in summary
        assert "The team's variant performs better than the requested post: the " \
            f"group-sequential test called it at look {len(decisions)}" in summary
        # Posts are the unit: the plan counts posts, from the network's variance (none yet).
        assert experiment["planned_n_per_arm"] < 1_000 and "fallback" in \
            experiment["sizing_basis"]

        # The stakeholder reads it on their request; the request's events carried every look.
        mine = ok(http.get(f"/v1/requests/{rid}", headers=priya))
        [on_request] = mine["experiments"]
        assert on_request["state"] == "concluded"
        shown = on_request["verdict"]
        assert shown["summary"] == summary and shown["decision"] == "team_better"
        assert shown["effect"] < 0 and shown["ci_low"] <= shown["effect"] <= shown["ci_high"]
        assert shown["ci_high"] < 0  # the interval beside a winner excludes 0
        assert shown["p_value"] is not None and "Welch t-test" in shown["method"]
        feed = ok(http.get("/v1/events?type=request.verdict", headers=manager))["items"]
        assert [e["data"]["decision"] for e in feed] == decisions
        assert {e["subject_id"] for e in feed} == {str(rid)}

        # Concluded: the scheduler's next run has nothing to do, and late data is refused.
        assert run_evaluate_due(api.url, evaluator_key).stderr.startswith(
            "evaluated 0 due experiment(s)")
        late = http.post(f"{exp_url}/observations", headers=olivia, json={"observations": [
            {"arm": "video", "post_id": "late", "impressions": 10}]})
        assert late.status_code == 409
