"""Command-line use cases outside HTTP: the first keys, and the demo team from the article."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api import clock, demo_metrics
from services.api.db import make_async_engine, utcnow
from services.api.errors import AppError
from services.api.keys import service as keys
from services.api.models import Member, MemberRole, Network, Pillar, Purpose, Role, WorkItem
from services.api.planning import service as planning
from services.api.planning.schemas import WorkItemCreate
from services.api.team import service as team
from services.api.team.schemas import MemberCreate, NetworkCreate, PillarCreate


class CliError(Exception):
    pass


async def create_key(url: str, *, role: Role, name: str, member_email: str | None,
                     scopes: list[str]) -> str:
    engine = make_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            member_id = None
            if member_email:
                member = (await session.exec(
                    select(Member).where(Member.email == member_email.lower()))).first()
                if member is None:
                    raise CliError(f"no member with email {member_email}")
                member_id = member.id
            try:
                _, secret = await keys.issue_key(session, name=name, role=role,
                                                 member_id=member_id, scopes=scopes, actor=None)
            except AppError as exc:
                raise CliError(exc.detail) from exc
            return secret
    finally:
        await engine.dispose()


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


DEMO_MEMBERS = [
    MemberCreate(name="Rachael Samuels", email="rachael.samuels@example.com",
                 time_zone="America/Chicago", role=MemberRole.manager, department="Social",
                 weekly_capacity_hours=40),
    MemberCreate(name="Jonathan Zuluaga", email="jonathan.zuluaga@example.com",
                 time_zone="America/Chicago", role=MemberRole.strategist, department="Social",
                 weekly_capacity_hours=40),
    # The article's author is not named in it; the demo calls her Olivia Martin.
    MemberCreate(name="Olivia Martin", email="olivia.martin@example.com",
                 time_zone="America/New_York", role=MemberRole.strategist, department="Social",
                 weekly_capacity_hours=40),
    MemberCreate(name="Priya Shah", email="priya.shah@example.com", time_zone="Europe/London",
                 role=MemberRole.stakeholder, department="Product Marketing",
                 weekly_capacity_hours=40),
]

ENGAGEMENT = "jonathan.zuluaga@example.com"
AWARENESS = "olivia.martin@example.com"
DEMO_NETWORKS = [
    ("x", "X (Twitter)", Purpose.engagement, "Marketers and social practitioners in real time",
     ENGAGEMENT),
    ("linkedin", "LinkedIn", Purpose.engagement, "B2B decision makers and marketing leaders",
     ENGAGEMENT),
    ("facebook", "Facebook", Purpose.engagement, "Small-business owners and community managers",
     ENGAGEMENT),
    ("whatsapp", "WhatsApp", Purpose.engagement, "Customers who want direct conversations",
     ENGAGEMENT),
    ("youtube", "YouTube", Purpose.awareness, "Learners looking for long-form how-tos",
     AWARENESS),
    ("instagram", "Instagram", Purpose.awareness, "Visual-first millennials and creators",
     AWARENESS),
    ("pinterest", "Pinterest", Purpose.awareness, "Planners collecting ideas and templates",
     AWARENESS),
    ("tiktok", "TikTok", Purpose.awareness, "Gen Z and young professionals discovering brands",
     AWARENESS),
]

DEMO_PILLARS = [
    ("Grow awareness with short video", "Short-form video that introduces the brand.",
     ["tiktok", "instagram", "youtube"], ["Gen Z and young professionals", "creators"]),
    ("Thought leadership for marketing leaders", "Data-backed insight leaders share.",
     ["linkedin", "x"], ["B2B decision makers", "marketing leaders"]),
    ("Community and customer care", "Answer fast, celebrate customers.",
     ["x", "facebook", "whatsapp"], ["customers", "small-business owners"]),
]


# (title, effort hours, impact, due in days or None, fixed): an overloaded awareness
# strategist's plate, in every quadrant, with the manager's fixed launch and a big project.
OLIVIA_PLATE = [
    ("TikTok launch teaser (manager's fixed launch)", 4, 5, 2, True),
    ("Reply to the trending TikTok sound", 2, 5, 1, False),
    ("Instagram carousel: product tips", 3, 4, 2, False),
    ("YouTube Shorts cut of the webinar", 3, 4, 3, False),
    ("Pinterest board refresh for Q1 planners", 2, 3, 3, False),
    ("Creator collab brief", 4, 3, 4, False),
    ("Webinar promo reel (Product Marketing)", 4, 3, 2, False),
    ("Hiring post for the design team", 2, 2, 3, False),
    ("Event recap video", 4, 2, 2, False),
    ("Customer story cutdowns", 4, 2, 3, False),
    ("Instagram Reels for the launch week", 4, 4, 3, False),
    ("Resize every old banner for Pinterest", 10, 1, 5, False),
    ("Partner shout-out compilation", 8, 1, 4, False),
    ("Reformat the brand video archive", 12, 1, None, False),
    ("TikTok launch video series", 40, 5, 30, False),
]
# A teammate with room this week.
JONATHAN_PLATE = [
    ("LinkedIn thought-leadership post", 2, 5, 2, False),
    ("X (Twitter) community replies", 3, 3, 3, False),
]


async def seed_plates(session: AsyncSession, ids: dict[str, int]) -> list[str]:
    """The demo's work items, due relative to today, so the queue, the week plan, the
    matrix and the plate flow show something on a fresh install; once."""
    created = []
    today = clock.now().date()
    for email, plate in ((AWARENESS, OLIVIA_PLATE), (ENGAGEMENT, JONATHAN_PLATE)):
        owner_id = ids[email]
        if (await session.exec(select(WorkItem.id).where(
                WorkItem.owner_id == owner_id).limit(1))).first() is not None:
            continue
        for title, effort, impact, due_in, fixed in plate:
            due = (None if due_in is None else datetime.combine(
                today + timedelta(days=due_in), time(21), UTC))
            await planning.create_item(session, WorkItemCreate(
                title=title, owner_id=owner_id, effort_hours=effort, impact=impact,
                deadline=due, is_fixed=fixed), actor=None)
        created.append(f"{len(plate)} work items for {email}")
    return created


async def seed_demo(url: str, progress: Callable[[str], None] | None = None) -> str:
    """Create whatever of the demo team is missing; existing rows are left as they are.
    `progress` hears each step as it starts."""
    say = progress or (lambda step: None)
    engine = make_async_engine(url)
    created: list[str] = []
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            by_email: dict[str, Member] = {}
            say("team and networks")
            for data in DEMO_MEMBERS:
                member = (await session.exec(
                    select(Member).where(Member.email == data.email))).first()
                if member is None:
                    member = await team.create_member(session, data, actor=None)
                    created.append(data.name)
                by_email[data.email] = member
            for slug, name, purpose, audience, owner_email in DEMO_NETWORKS:
                if (await session.exec(select(Network).where(Network.slug == slug))).first():
                    continue
                await team.create_network(session, NetworkCreate(
                    slug=slug, name=name, purpose=purpose, audience=audience,
                    owner_id=by_email[owner_email].id), actor=None)
                created.append(slug)
            quarter = quarter_of(utcnow().date())
            for name, description, networks, audiences in DEMO_PILLARS:
                if (await session.exec(select(Pillar).where(
                        Pillar.quarter == quarter, Pillar.name == name))).first():
                    continue
                await team.create_pillar(session, PillarCreate(
                    quarter=quarter, name=name, description=description, networks=networks,
                    audiences=audiences), actor=None)
                created.append(f"pillar '{name}'")
            say("two quarters of posts and metric snapshots")
            ids = {email: m.id or 0 for email, m in by_email.items()}
            created += await demo_metrics.seed(session)
            say("work items on the strategists' plates")
            created += await seed_plates(session, ids)
    finally:
        await engine.dispose()
    return (f"demo data: created {', '.join(created)}" if created
            else "demo data already present")
