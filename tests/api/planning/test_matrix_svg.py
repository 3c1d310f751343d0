"""The matrix picture: every point has its id beside it and its title on hover, and 200
points keep their labels short."""

import re
from typing import Any

from tests.api.planning.test_router import item
from tests.factories import Api


def test_points_carry_their_id_beside_and_title_on_hover_even_at_200(api: Api) -> None:
    owner: dict[str, Any] = api.make_member(time_zone="UTC")
    ids = [item(api, owner, f"A long enough title for item number {n}", 1 + n % 9,
                impact=1 + n % 5)["id"] for n in range(200)]
    svg = api.client.get(f"/v1/matrix.svg?owner_id={owner['id']}&limit=200",
                         headers=api.manager).text
    points = re.findall(r'<g class="point" data-item-id="(\d+)"><title>#(\d+) ([^<]*)</title>'
                        r'<circle [^>]*/><text [^>]*>(\d+)</text></g>', svg)
    assert len(points) == 200
    assert all(a == b == beside for a, b, _, beside in points)
    assert {int(a) for a, _, _, _ in points} == set(ids)
    assert all("A long enough title" in title for _, _, title, _ in points)
