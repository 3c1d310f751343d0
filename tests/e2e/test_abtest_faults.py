"""evaluate-due against a real API process that is killed (SIGKILL) and restarted under it:
bounded retries ride out a short outage; a long one fails the run with a summary, and the
next run finishes the job. No verdict is lost or written twice."""

import subprocess
import time

import httpx2
from sqlalchemy import text

from services.api.db import make_sync_engine
from services.api.models import Role
from tests.e2e.procs import ROOT, ApiProcess, evaluate_due_command, evaluator_env, run_evaluate_due
from tests.factories import auth, make_key, posts

EXPERIMENTS = 60


def _scalar(db_url: str, sql: str) -> int:
    engine = make_sync_engine(db_url)
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


def _load(api: ApiProcess, manager: dict[str, str], day: int) -> None:
    with httpx2.Client(base_url=api.url, headers=manager, timeout=30) as http:
        if day == 0:
            for i in range(EXPERIMENTS):
                r = http.post("/v1/experiments", json={
                    "name": f"Experiment {i}", "baseline_rate": 0.03, "mde": 0.005,
                    "start": True,
                    "arms": [{"key": "video", "name": "Video", "role": "team"},
                             {"key": "webinar", "name": "Webinar", "role": "stakeholder"}]})
                assert r.status_code == 201, r.text
        for exp_id in range(1, EXPERIMENTS + 1):
            rows = posts("video", 0.03, count=3, impressions=300, seed=exp_id, prefix=f"{day}-")
            rows += posts("webinar", 0.03, count=3, impressions=300, seed=exp_id + 1000,
                          prefix=f"{day}-")
            r = http.post(f"/v1/experiments/{exp_id}/observations", json={"observations": rows})
            assert r.status_code == 200, r.text


def _assert_one_verdict_per_data_version(db_url: str, expected_per_experiment: int) -> None:
    verdicts = _scalar(db_url, "SELECT count(*) FROM verdict")
    distinct = _scalar(db_url, "SELECT count(DISTINCT experiment_id * 1000 + data_version) "
                               "FROM verdict")
    events = _scalar(db_url, "SELECT count(*) FROM event WHERE type = 'experiment.verdict'")
    behind = _scalar(db_url, "SELECT count(*) FROM experiment "
                             "WHERE evaluated_version <> data_version")
    assert verdicts == distinct == events == EXPERIMENTS * expected_per_experiment
    assert behind == 0


def test_api_killed_and_restarted_during_evaluate_due(db_url: str) -> None:
    manager = auth(make_key(db_url, Role.manager))
    key = make_key(db_url, Role.service, scopes=["experiments:read", "verdicts:write"])
    api = ApiProcess(db_url)
    api.start()
    try:
        _load(api, manager, day=0)

        # A short outage: the API dies mid-run and comes back; retries cover the gap.
        env = evaluator_env(api.url, key, attempts="10", backoff_seconds="0.2",
                            max_backoff_seconds="1", workers="2", page_size="5")
        run = subprocess.Popen(evaluate_due_command(), cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while _scalar(db_url, "SELECT count(*) FROM verdict") < 5:
            time.sleep(0.01)
        api.kill()
        killed_mid_run = run.poll() is None
        time.sleep(0.5)
        api.start()
        _, stderr = run.communicate(timeout=120)

        assert killed_mid_run
        assert run.returncode == 0, stderr
        assert "attempt 1 of 10" in stderr  # it did have to retry
        assert f"evaluated {EXPERIMENTS} due experiment(s)" in stderr
        _assert_one_verdict_per_data_version(db_url, 1)

        # A long outage: the run gives up after its bounded retries and says which failed.
        _load(api, manager, day=1)
        env = evaluator_env(api.url, key, attempts="2", backoff_seconds="0.05", workers="1",
                            page_size="5")
        run = subprocess.Popen(evaluate_due_command(), cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while _scalar(db_url, "SELECT count(*) FROM verdict") < EXPERIMENTS + 5:
            time.sleep(0.01)
        api.kill()
        _, stderr = run.communicate(timeout=120)
        written = _scalar(db_url, "SELECT count(*) FROM verdict") - EXPERIMENTS

        assert run.returncode == 1
        # Whichever call the outage hit: a page's verdicts, or the next page of the listing.
        assert "failed: experiment" in stderr or "could not list due experiments" in stderr
        assert 5 <= written < EXPERIMENTS

        # The next scheduled run picks up exactly the ones that failed.
        api.start()
        retry = run_evaluate_due(api.url, key, workers="2", page_size="7")
        assert retry.returncode == 0, retry.stderr
        assert f"evaluated {EXPERIMENTS - written} due experiment(s)" in retry.stderr
        _assert_one_verdict_per_data_version(db_url, 2)
        assert run_evaluate_due(api.url, key).stderr.startswith(
            "evaluated 0 due experiment(s)")
    finally:
        api.kill()
