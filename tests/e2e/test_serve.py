"""`priorities serve --port N` without PUBLIC_BASE_URL hands out links on port N."""

from pathlib import Path

import httpx2

from tests.e2e.procs import ApiProcess, cli


def test_feed_links_follow_the_port_when_no_base_url_is_set(tmp_path: Path) -> None:
    # About the command line, not the database: SQLite only.
    api = ApiProcess(f"sqlite:///{tmp_path / 'serve.db'}")
    del api.env["PUBLIC_BASE_URL"]
    cli(api.env, "seed-demo")
    key = cli(api.env, "create-key", "--role", "stakeholder", "--name", "Priya",
              "--member-email", "priya.shah@example.com")
    api.start()
    try:
        feed = httpx2.post(f"{api.url}/v1/calendar/feeds", json={"name": "phone",
                                                                  "scope": "team"},
                           headers={"Authorization": f"Bearer {key}"}).json()
    finally:
        api.stop()
    assert feed["url"].startswith(f"http://127.0.0.1:{api.port}/v1/calendar/feeds/")
