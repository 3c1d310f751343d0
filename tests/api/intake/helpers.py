"""A small team like the article's, built over HTTP, for the intake and calendar tests."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import Api


def quarter_of(day: datetime) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def future(days: float = 10, hour: int = 15) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0,
                                                              microsecond=0)


@dataclass
class Team:
    api: Api
    olivia: dict[str, Any]  # owns the awareness networks
    jonathan: dict[str, Any]  # owns the engagement networks
    priya: dict[str, Any]  # a stakeholder
    sam: dict[str, Any]  # another stakeholder
    keys: dict[str, dict[str, str]]

    def submit(self, who: str = "priya", **overrides: Any) -> Any:
        return self.api.client.post("/v1/requests", headers=self.keys[who],
                                    json=request_body(**overrides))


def request_body(**overrides: Any) -> dict[str, Any]:
    return {"title": "Promote the spring webinar", "description": "A live webinar.",
            "goal": "awareness", "audience": "Marketing leaders at B2B companies",
            "networks": ["instagram"], "desired_publish_at": future().isoformat(),
            "department": "Product Marketing",
            "assets": [{"kind": "video", "link": "https://drive.example.com/teaser.mp4"}],
            } | overrides


def build_team(api: Api) -> Team:
    olivia = api.make_member(name="Olivia Martin", time_zone="America/New_York")
    jonathan = api.make_member(name="Jonathan Zuluaga", time_zone="America/Chicago")
    priya = api.make_member(name="Priya Shah", role="stakeholder")
    sam = api.make_member(name="Sam Lee", role="stakeholder")
    api.make_network("instagram", owner_id=olivia["id"],
                     audience="Visual-first millennials and creators")
    api.make_network("tiktok", owner_id=olivia["id"],
                     audience="Gen Z and young professionals discovering brands")
    api.make_network("linkedin", owner_id=jonathan["id"], purpose="engagement",
                     audience="B2B decision makers and marketing leaders")
    quarter = quarter_of(future())
    api.make_pillar(quarter=quarter, name="Short video", networks=["tiktok", "instagram"],
                    audiences=["Gen Z and young professionals", "creators"])
    api.make_pillar(quarter=quarter, name="Thought leadership", networks=["linkedin"],
                    audiences=["B2B decision makers", "marketing leaders"])
    keys = {"priya": api.key_for(priya), "sam": api.key_for(sam),
            "olivia": api.key_for(olivia), "jonathan": api.key_for(jonathan),
            "manager": api.manager}
    return Team(api, olivia, jonathan, priya, sam, keys)
