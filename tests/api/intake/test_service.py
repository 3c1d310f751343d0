"""Rules of intake that need no HTTP: the audience word check, working hours, the lifecycle."""

from zoneinfo import ZoneInfo

from services.api.intake import service
from services.api.models import RequestStatus as S
from services.api.settings import Settings

NEW_YORK = ZoneInfo("America/New_York")


def test_words_drop_case_plurals_and_common_words() -> None:
    assert service.words("Marketing Leaders and the B2B companies") == {
        "marketing", "leader", "b2b", "companie"}
    assert service.words("creators") & service.words("Visual-first millennials and creators")


def test_closed_statuses_have_no_moves_and_every_status_is_reachable() -> None:
    for closed in service.CLOSED:
        assert service.ALLOWED[closed] == ()
    reachable = {S.submitted}
    frontier = [S.submitted]
    while frontier:
        for nxt in service.ALLOWED[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(S)


def test_every_open_status_can_be_withdrawn() -> None:
    for status in S:
        if status not in service.CLOSED and status != S.published:
            assert S.withdrawn in service.ALLOWED[status], status


def test_a_lost_optimistic_lock_race_is_a_409_problem(settings: Settings) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy.orm.exc import StaleDataError

    from services.api.main import create_app

    app = create_app(settings)

    @app.post("/race")
    async def race() -> None:
        raise StaleDataError("UPDATE statement on table 'request' expected to update 1 row")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/race")
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert "UPDATE" not in r.text
