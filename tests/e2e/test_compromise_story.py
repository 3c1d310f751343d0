"""The article's compromise, end to end with both services as separate processes over HTTP.

A stakeholder insists on promoting a webinar on Instagram; the strategist, who would post the
product video, proposes an A/B test. Posts arrive day after day; the scheduled evaluator
(`priorities-abtest evaluate-due`) keeps collecting, then concludes; the stakeholder reads the
verdict and its plain paragraph.
"""

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

        experiment = ok(http.post("/v1/experiments", headers=olivia, json={
            "name": "Webinar post vs product video on Instagram", "request_id": 1,
            "hypothesis": "The webinar post engages our Instagram audience as well as the video.",
            "arms": [{"key": "video", "name": "Product video", "role": "team"},
                     {"key": "webinar", "name": "Webinar post", "role": "stakeholder"}],
            "primary_metric": "engagement_rate", "baseline_rate": 0.028, "mde": 0.005,
            "start": True}), 201)
        exp_url = f"/v1/experiments/{experiment['id']}"

        decisions = []
        for day in range(1, 11):
            rows = posts("video", 0.028, count=4, impressions=500, seed=day,
                         prefix=f"day{day}-")
            rows += posts("webinar", 0.012, count=4, impressions=500, seed=100 + day,
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
        assert verdict["winner"] == "video"
        summary = verdict["summary"]
        assert summary.startswith("The webinar post reached 1.")
        assert "engagement against 2." in summary and "points, 95% interval" in summary
        assert "delta-method ratio z-test, each post counted as one unit" in summary
        assert "The product video performs better than the webinar post" in summary

        # The stakeholder finds it by the request, and the verdict appeared in the event feed.
        listed = ok(http.get("/v1/experiments?request_id=1", headers=priya))["items"]
        assert listed[0]["latest_verdict"]["summary"] == summary
        feed = ok(http.get("/v1/events?type=experiment.verdict", headers=manager))["items"]
        assert [e["data"]["decision"] for e in feed] == decisions

        # Concluded: the scheduler's next run has nothing to do, and late data is refused.
        assert run_evaluate_due(api.url, evaluator_key).stderr.startswith(
            "evaluated 0 due experiment(s)")
        late = http.post(f"{exp_url}/observations", headers=olivia, json={"observations": [
            {"arm": "video", "post_id": "late", "impressions": 10}]})
        assert late.status_code == 409
