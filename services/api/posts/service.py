"""Posts and metrics use cases: bulk upsert with decreasing-counter flags, notes, goals and
follower counts. Knows SQL and the rules, not HTTP."""

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.auth import Principal
from services.api.db import utcnow
from services.api.errors import NotFound, Unprocessable
from services.api.events import service as events
from services.api.models import (
    METRICS,
    FollowerCount,
    MetricSnapshot,
    Network,
    NetworkGoal,
    NetworkOwnership,
    Post,
    PostNote,
    PostTag,
)
from services.api.posts.schemas import (
    BulkResult,
    BulkUpsert,
    FlaggedSnapshot,
    FollowersPut,
    GoalsPut,
    NoteCreate,
    SnapshotIn,
)
from shared.schemas.common import FieldError


def rate(engagements: int | float | None, impressions: int | float | None) -> float | None:
    if not impressions or engagements is None:
        return None
    return float(engagements) / float(impressions)


def _table(model: type[SQLModel]) -> Table:
    """The model's Core table (SQLModel's stubs do not declare `__table__`)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _values(s: SnapshotIn) -> dict[str, int]:
    values = s.model_dump(include=set(METRICS))
    if values["engagements"] is None:
        values["engagements"] = s.likes + s.comments + s.shares + s.saves
    return values


async def network_ids(session: AsyncSession, slugs: set[str]) -> dict[str, int]:
    rows = (await session.exec(select(Network.slug, Network.id).where(
        col(Network.slug).in_(slugs)))).all()
    return {slug: nid for slug, nid in rows if nid is not None}


async def owners_by_day(session: AsyncSession,
                        ids: list[int]) -> dict[int, list[tuple[date, date | None, int]]]:
    spans: dict[int, list[tuple[date, date | None, int]]] = defaultdict(list)
    rows = (await session.exec(select(
        col(NetworkOwnership.network_id), col(NetworkOwnership.starts_on),
        col(NetworkOwnership.ends_on), col(NetworkOwnership.member_id)).where(
        col(NetworkOwnership.network_id).in_(ids)))).all()
    for nid, starts, ends, member in rows:
        spans[nid].append((starts, ends, member))
    return spans


def _owner_on(spans: list[tuple[date, date | None, int]], day: date) -> int | None:
    """The owner on `day`; for a post older than the recorded ownership, the first owner."""
    for starts, ends, member in spans:
        if starts <= day and (ends is None or day < ends):
            return member
    later = sorted(s for s in spans if s[0] > day)
    return later[0][2] if later else None


async def bulk_upsert(session: AsyncSession, data: BulkUpsert, *,
                      actor: Principal | None) -> BulkResult:
    """Upsert posts keyed on (network, external_id) and their snapshots keyed on
    (post, captured_at). Sending the same data again changes nothing. A snapshot whose
    counter is lower than the previous snapshot's is stored and flagged."""
    nets = await network_ids(session, {p.network for p in data.posts})
    unknown = [FieldError(field=f"body.posts.{i}.network", pointer=f"/posts/{i}/network",
                          message=f"unknown network '{p.network}'", type="unknown_network")
               for i, p in enumerate(data.posts) if p.network not in nets]
    if unknown:
        raise Unprocessable(f"{len(unknown)} post(s) name an unknown network; nothing was "
                            "written.", errors=unknown)
    now = utcnow()
    spans = await owners_by_day(session, list(set(nets.values())))
    by_key = {(nets[p.network], p.external_id): p for p in data.posts}

    described = ("published_at", "content_type", "title", "url", "owner_id", "campaign_tags",
                 "calendar_entry_id", "request_id")
    existing_rows = (await session.exec(select(
        Post.id, Post.network_id, Post.external_id, Post.metrics_as_of,
        *[getattr(Post, m) for m in METRICS], *[getattr(Post, d) for d in described],
    ).where(col(Post.network_id).in_({k[0] for k in by_key}),
            col(Post.external_id).in_({k[1] for k in by_key})))).all()
    existing = {(r[1], r[2]): r for r in existing_rows if (r[1], r[2]) in by_key}

    post_ids: dict[tuple[int, str], int] = {}
    rows: list[dict[str, Any]] = []
    changed = 0
    for (nid, ext), p in by_key.items():
        row = {
            "network_id": nid, "external_id": ext, "published_at": p.published_at.astimezone(UTC),
            "content_type": p.content_type.value, "title": p.title, "url": p.url,
            "owner_id": _owner_on(spans.get(nid, []), p.published_at.date()),
            "campaign_tags": sorted(set(p.campaign_tags)),
            "calendar_entry_id": p.calendar_entry_id, "request_id": p.request_id,
        }
        old = existing.get((nid, ext))
        if old is not None:
            post_ids[(nid, ext)] = cast(int, old[0])  # a stored row always has an id
            if [old[4 + len(METRICS) + i] for i in range(len(described))] == \
                    [row[d] for d in described]:
                continue
            changed += 1
        rows.append({**row, "created_at": now, "updated_at": now, **{m: 0 for m in METRICS}})
    conn = await session.connection()
    # A stable order everywhere, so two collectors writing overlapping batches take row locks
    # in the same order and cannot deadlock.
    rows.sort(key=lambda r: (r["network_id"], r["external_id"]))
    if rows:
        # One cached statement run with many parameter sets (insertmanyvalues batches it);
        # building a multi-row VALUES statement per call costs more than the database work.
        stmt = _insert(session, _table(Post))
        stmt = stmt.on_conflict_do_update(
            index_elements=["network_id", "external_id"],
            set_={c: stmt.excluded[c] for c in (*described, "updated_at")},
        ).returning(_table(Post).c.id, _table(Post).c.network_id,
                    _table(Post).c.external_id)
        for pid, nid, ext in (await conn.execute(stmt, rows)).all():
            post_ids[(nid, ext)] = pid

    retagged = [post_ids[(r["network_id"], r["external_id"])] for r in rows]
    if retagged:
        await conn.execute(delete(_table(PostTag)).where(
            _table(PostTag).c.post_id.in_(retagged)))
    tags = [{"post_id": post_ids[(r["network_id"], r["external_id"])], "tag": t}
            for r in rows for t in r["campaign_tags"]]
    if tags:
        await conn.execute(insert(_table(PostTag)), tags)

    # Posts whose stored history overlaps the batch need it to find each snapshot's
    # predecessor; a batch that only appends (the usual case) needs the current values only.
    overlapping = [post_ids[k] for k, r in existing.items() if r[3] is not None
                   and by_key[k].snapshots
                   and min(s.captured_at for s in by_key[k].snapshots) <= r[3]]
    history: dict[int, dict[datetime, dict[str, int]]] = defaultdict(dict)
    if overlapping:
        for snap in (await session.exec(select(
                MetricSnapshot.post_id, MetricSnapshot.captured_at,
                *[getattr(MetricSnapshot, m) for m in METRICS]).where(
                col(MetricSnapshot.post_id).in_(overlapping)))).all():
            history[snap[0]][snap[1]] = dict(zip(METRICS, snap[2:], strict=True))

    result = BulkResult(posts_created=len(by_key) - len(existing), posts_updated=changed,
                        posts_unchanged=len(existing) - changed, snapshots_created=0,
                        snapshots_updated=0, snapshots_unchanged=0,
                        flagged=[])
    snapshot_rows: list[dict[str, Any]] = []
    current_updates: list[dict[str, Any]] = []
    for key, p in by_key.items():
        if not p.snapshots:
            continue
        pid = post_ids[key]
        old = existing.get(key)
        timeline = dict(history.get(pid, {}))
        if old is not None and old[3] is not None and old[3] not in timeline:
            timeline[old[3]] = dict(zip(METRICS, cast(tuple[int, ...], old[4:4 + len(METRICS)]),
                                        strict=True))
        stored = dict(timeline)
        for s in p.snapshots:
            timeline[s.captured_at.astimezone(UTC)] = _values(s)
        ordered = sorted(timeline)
        sent = {s.captured_at.astimezone(UTC) for s in p.snapshots}
        for i, at in enumerate(ordered):
            if at not in sent:
                continue
            values = timeline[at]
            if stored.get(at) == values:
                result.snapshots_unchanged += 1
                continue
            if at in stored:
                result.snapshots_updated += 1
            else:
                result.snapshots_created += 1
            previous = timeline[ordered[i - 1]] if i > 0 else None
            decreased = [m for m in METRICS if previous and values[m] < previous[m]]
            if decreased:
                result.flagged.append(FlaggedSnapshot(network=p.network,
                                                      external_id=p.external_id,
                                                      captured_at=at, decreased=decreased))
            snapshot_rows.append({"post_id": pid, "captured_at": at, **values,
                                  "decreased": decreased, "is_flagged": bool(decreased),
                                  "received_at": now})
        newest = ordered[-1]
        if old is None or old[3] is None or newest != old[3] or stored.get(newest) != \
                timeline[newest]:
            values = timeline[newest]
            current_updates.append({"_id": pid, "metrics_as_of": newest, **values,
                                    "rate": rate(values["engagements"],
                                                 values["impressions"]) or 0.0})

    snapshot_rows.sort(key=lambda r: (r["post_id"], r["captured_at"]))
    current_updates.sort(key=lambda r: r["_id"])
    if snapshot_rows:
        stmt = _insert(session, _table(MetricSnapshot))
        stmt = stmt.on_conflict_do_update(
            index_elements=["post_id", "captured_at"],
            set_={c: stmt.excluded[c] for c in (*METRICS, "decreased", "is_flagged",
                                                 "received_at")})
        await conn.execute(stmt, snapshot_rows)
    if current_updates:
        post = _table(Post)
        await conn.execute(
            # Never replace newer current metrics written meanwhile by another collector.
            update(post).where(post.c.id == bindparam("_id"), or_(
                post.c.metrics_as_of.is_(None),
                post.c.metrics_as_of <= bindparam("metrics_as_of"))).values(
                metrics_as_of=bindparam("metrics_as_of"), engagement_rate=bindparam("rate"),
                **{m: bindparam(m) for m in METRICS}),
            current_updates)
    if result.posts_created or result.snapshots_created or result.snapshots_updated \
            or result.posts_updated:
        await events.record(session, "metrics.upserted", "post", "bulk", {
            "posts_created": result.posts_created, "posts_updated": result.posts_updated,
            "snapshots_created": result.snapshots_created,
            "snapshots_updated": result.snapshots_updated,
            "flagged": len(result.flagged)}, actor=actor)
    else:
        await session.rollback()
        return result
    await session.commit()
    return result


async def get_post(session: AsyncSession, post_id: int) -> tuple[Post, str]:
    row = (await session.exec(select(Post, Network.slug).join(
        Network, col(Network.id) == Post.network_id).where(Post.id == post_id))).first()
    if row is None:
        raise NotFound(f"No post with id {post_id}.")
    return row[0], row[1]


async def add_note(session: AsyncSession, post_id: int, data: NoteCreate, *,
                   actor: Principal) -> PostNote:
    await get_post(session, post_id)
    note = PostNote(post_id=post_id, body=data.body, author_key_id=actor.key_id,
                    author_member_id=actor.member_id)
    session.add(note)
    await session.flush()
    await events.record(session, "post.note_added", "post", post_id, {"note_id": note.id},
                        actor=actor)
    await session.commit()
    return note


async def notes_for(session: AsyncSession, post_ids: list[int]) -> dict[int, list[PostNote]]:
    found: dict[int, list[PostNote]] = defaultdict(list)
    if post_ids:
        for note in (await session.exec(select(PostNote).where(
                col(PostNote.post_id).in_(post_ids)).order_by(col(PostNote.id)))).all():
            found[note.post_id].append(note)
    return found


async def _network(session: AsyncSession, slug: str) -> Network:
    network = (await session.exec(select(Network).where(Network.slug == slug))).first()
    if network is None:
        raise NotFound(f"No network with slug '{slug}'.")
    return network


async def put_goals(session: AsyncSession, slug: str, quarter: str, data: GoalsPut, *,
                    actor: Principal) -> list[NetworkGoal]:
    """Replace the network's goals for the quarter with `data.targets`."""
    network = await _network(session, slug)
    current = {g.metric: g for g in (await session.exec(select(NetworkGoal).where(
        NetworkGoal.network_id == network.id, NetworkGoal.quarter == quarter))).all()}
    changed = False
    for metric, goal in current.items():
        if metric not in data.targets:
            await session.delete(goal)
            changed = True
    for metric, target in data.targets.items():
        found = current.get(metric)
        if found is None:
            session.add(NetworkGoal(network_id=network.id or 0, quarter=quarter, metric=metric,
                                    target=target))
        elif found.target != target:
            found.target = target
            found.updated_at = utcnow()
            session.add(found)
        else:
            continue
        changed = True
    if changed:
        await events.record(session, "goals.set", "network", slug, {
            "quarter": quarter, "targets": {k.value: v for k, v in data.targets.items()}},
            actor=actor)
        await session.commit()
    return await goals_of(session, quarter, network_id=network.id)


async def goals_of(session: AsyncSession, quarter: str, *,
                   network_id: int | None = None) -> list[NetworkGoal]:
    stmt = select(NetworkGoal).where(NetworkGoal.quarter == quarter)
    if network_id is not None:
        stmt = stmt.where(NetworkGoal.network_id == network_id)
    return list((await session.exec(stmt.order_by(col(NetworkGoal.network_id),
                                                  col(NetworkGoal.metric)))).all())


async def put_followers(session: AsyncSession, slug: str, data: FollowersPut, *,
                        actor: Principal | None) -> int:
    network = await _network(session, slug)
    days = [c.day for c in data.counts]
    if len(set(days)) != len(days):
        raise Unprocessable("Two follower counts for the same day.")
    stored: dict[date, int] = dict((await session.exec(select(
        col(FollowerCount.day), col(FollowerCount.followers)).where(
        FollowerCount.network_id == network.id, col(FollowerCount.day).in_(days)))).all())
    changed = [c for c in data.counts if stored.get(c.day) != c.followers]
    if not changed:
        return 0
    stmt = _insert(session, _table(FollowerCount))
    stmt = stmt.on_conflict_do_update(index_elements=["network_id", "day"],
                                      set_={"followers": stmt.excluded.followers})
    await (await session.connection()).execute(
        stmt, [{"network_id": network.id, "day": c.day, "followers": c.followers}
               for c in changed])
    await events.record(session, "followers.recorded", "network", slug,
                        {"days": len(changed)}, actor=actor)
    await session.commit()
    return len(changed)
