"""A major project without chunks is flagged, and the API proposes dated chunks over the
weeks it needs in the time its owner's plan leaves free; accepting creates them in one call."""

from tests.api.planning.test_router import item
from tests.api.team.test_router import assert_problem
from tests.factories import Api


def test_major_project_gets_a_warning_and_a_chunk_proposal_that_is_accepted_in_one_call(
        api: Api) -> None:
    owner = api.make_member(time_zone="UTC")  # 09:00-17:00 weekdays, 20% buffer: 6.4h a day
    item(api, owner, "Quick win first", 10, impact=5)
    project = item(api, owner, "TikTok launch series", 40, impact=5)
    assert project["quadrant"] == "major_project"
    assert project["warnings"] and "without chunks" in project["warnings"][0]

    proposal = api.ok(api.client.get(f"/v1/work-items/{project['id']}/chunk-proposal",
                                     headers=api.manager))

    # Now is Friday 2027-01-01: Friday and Monday morning go to the quick win (10h), the rest
    # of the week of the 4th has 28.4h free, the week of the 11th takes what is left.
    assert proposal["chunks"] == [
        {"title": "TikTok launch series, part 1", "effort_hours": 28.4, "target_on": "2027-01-08"},
        {"title": "TikTok launch series, part 2", "effort_hours": 11.6, "target_on": "2027-01-12"}]
    assert proposal["hours_without_room"] == 0
    split = api.ok(api.client.post(f"/v1/work-items/{project['id']}/chunks",
                                   headers=api.manager, json={"chunks": proposal["chunks"]}), 201)
    assert split["warnings"] == [] and len(split["chunks"]) == 2
    week = api.ok(api.client.get(f"/v1/members/{owner['id']}/plan?start=2027-01-04&days=7",
                                 headers=api.manager))
    assert week["feasible"] is True
    first_chunk = split["chunks"][0]["id"]
    assert round(sum(s["hours"] for d in week["days"] for s in d["slots"]
               if s["item_id"] == first_chunk), 2) == 28.4

    again = api.client.get(f"/v1/work-items/{project['id']}/chunk-proposal", headers=api.manager)
    assert_problem(again, 422)


def test_chunk_proposal_says_what_finds_no_room_before_the_deadline(api: Api) -> None:
    owner = api.make_member(time_zone="UTC")
    project = item(api, owner, "Too big for the week", 40, impact=5,
                   deadline="2027-01-06T17:00:00Z")
    proposal = api.ok(api.client.get(f"/v1/work-items/{project['id']}/chunk-proposal",
                                     headers=api.manager))
    placed = sum(c["effort_hours"] for c in proposal["chunks"])
    assert proposal["hours_without_room"] > 0
    assert round(placed + proposal["hours_without_room"], 2) == 40
    assert "deadline" in proposal["note"]
