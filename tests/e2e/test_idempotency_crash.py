"""A keyed POST in flight when the API process is killed (SIGKILL) leaves no stuck key: the
claim is a lease that the dead process stops renewing, so after a restart the retry runs."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from sqlalchemy import text

from services.api.db import make_sync_engine
from services.api.models import Role
from tests.e2e.procs import ApiProcess
from tests.factories import auth, make_key

MEMBER = {"name": "Priya Shah", "email": "priya@example.com", "time_zone": "Europe/London",
          "role": "stakeholder"}


def _count(db_url: str, table: str) -> int:
    engine = make_sync_engine(db_url)
    with engine.connect() as conn:
        value = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return value


# PostgreSQL: a table lock held by the test keeps the request running at a known point.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_keyed_post_killed_mid_request_leaves_no_stuck_key(db_url: str) -> None:
    headers = {**auth(make_key(db_url, Role.manager)), "Idempotency-Key": "crash-1"}
    api = ApiProcess(db_url, settings={"IDEMPOTENCY_LEASE_SECONDS": "1",
                                       "WEBHOOK_WORKER": "false"})
    api.start()
    try:
        locker = make_sync_engine(db_url)
        with locker.connect() as lock, ThreadPoolExecutor(1) as pool:
            lock.execute(text("LOCK TABLE member IN ACCESS EXCLUSIVE MODE"))
            inflight = pool.submit(httpx2.post, f"{api.url}/v1/members", json=MEMBER,
                                   headers=headers, timeout=30)
            deadline = time.monotonic() + 10
            while _count(db_url, "idempotency_record") == 0:
                assert time.monotonic() < deadline, "the request never claimed its key"
                time.sleep(0.05)
            time.sleep(2.5)  # over twice the lease: only renewal keeps the claim alive
            running = httpx2.post(f"{api.url}/v1/members", json=MEMBER, headers=headers)
            assert running.status_code == 409, running.text
            assert running.headers["retry-after"] == "1"
            api.kill()
            with pytest.raises(httpx2.TransportError):
                inflight.result()
            lock.rollback()
        locker.dispose()
        assert _count(db_url, "member") == 0

        api.start()
        retry = httpx2.post(f"{api.url}/v1/members", json=MEMBER, headers=headers)
        assert retry.status_code == 201, retry.text
        replay = httpx2.post(f"{api.url}/v1/members", json=MEMBER, headers=headers)
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == retry.json()
        assert _count(db_url, "member") == 1
    finally:
        api.stop()
