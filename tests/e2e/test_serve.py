"""`priorities serve --port N` without PUBLIC_BASE_URL hands out links on port N."""

import httpx2

from tests.e2e.procs import ApiProcess, cli


def test_feed_links_follow_the_port_when_no_base_url_is_set(db_url: str) -> None:
    api = ApiProcess(db_url)
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
