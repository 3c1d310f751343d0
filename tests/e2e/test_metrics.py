"""/metrics under `serve --workers 2`: every scrape, whichever worker answers it, counts every
request exactly once, shows each worker's process figures and the business counts."""

import os
from pathlib import Path

import httpx2
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.procs import api_process, cli


def scrape(url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = httpx2.get(f"{url}/metrics", timeout=10).text
    return {family.name: [(s.labels, s.value) for s in family.samples]
            for family in text_string_to_metric_families(text)}


def test_metrics_add_up_across_two_workers(tmp_path: Path) -> None:
    # About processes, not the database (the generated-client test reads the business
    # counts on both): SQLite only.
    db_url = f"sqlite:///{tmp_path / 'metrics.db'}"
    cli({**os.environ, "DATABASE_URL": db_url}, "migrate")
    with api_process(db_url, workers=2, settings={"WEBHOOK_WORKER": "false"}) as api:
        key = cli(api.env, "create-key", "--role", "manager", "--name", "lead")
        # A connection each, so the kernel spreads requests and scrapes over both workers.
        for _ in range(27):
            me = httpx2.get(f"{api.url}/v1/me", headers={"Authorization": f"Bearer {key}"})
            assert me.status_code == 200
        scrapes = [scrape(api.url) for _ in range(6)]

    pids: set[str] = set()
    for metrics in scrapes:
        counted = [v for labels, v in metrics["http_requests"]
                   if labels.get("route") == "/v1/me" and labels["status"] == "200"
                   and "le" not in labels]
        assert counted == [27.0]
        pids |= {labels["pid"] for labels, _ in metrics["process_resident_memory_bytes"]}
        statuses = {labels["status"]: v for labels, v in metrics["intake_requests"]}
        assert statuses == {}  # no request submitted yet: the family is there, empty
        assert "webhook_deliveries" in metrics and "experiment_verdicts" in metrics
    assert len(pids) == 2
