"""Custom reports: saved definitions, annotations, rendering, and signed share links."""

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete as sa_delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.auth import Principal
from services.api.concurrency import check_if_match
from services.api.db import utcnow
from services.api.errors import NotFound, Unprocessable
from services.api.events import service as events
from services.api.models import AppSecret, Report, ReportAnnotation, ShareLink
from services.api.posts.service import _insert, _table
from services.api.reports import service
from services.api.reports.periods import Period, check
from services.api.reports.schemas import (
    AnnotationCreate,
    AnnotationPublic,
    RenderedReport,
    ReportCreate,
    ReportUpdate,
    SectionIn,
    ShareLinkCreate,
)
from services.api.reports.sections import SECTIONS, Context, validate

TOKEN_CONTEXT = b"share-link:v1:"


async def _sections(sections: list[SectionIn]) -> list[dict[str, object]]:
    result: list[dict[str, object]] = []
    keys: set[str] = set()
    for i, s in enumerate(sections):
        params = validate(i, s.kind, s.params)
        key = s.key or f"s{i + 1}"
        if key in keys:
            raise Unprocessable(f"Two sections use the key '{key}'.")
        keys.add(key)
        result.append({"key": key, "kind": s.kind,
                       "title": s.title or SECTIONS[s.kind].default_title, "params": params})
    return result


async def create_report(session: AsyncSession, data: ReportCreate, *,
                        actor: Principal) -> Report:
    check(Period(data.period_from, data.period_to))
    await service.resolve_networks(session, data.networks)
    report = Report(name=data.name, description=data.description, period_from=data.period_from,
                    period_to=data.period_to, networks=sorted(set(data.networks)),
                    sections=await _sections(data.sections), created_by_key_id=actor.key_id)
    session.add(report)
    await session.flush()
    await events.record(session, "report.created", "report", report.id, {"name": report.name},
                        actor=actor)
    await session.commit()
    return report


async def get_report(session: AsyncSession, report_id: int) -> Report:
    report = await session.get(Report, report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id}.")
    return report


async def update_report(session: AsyncSession, report_id: int, data: ReportUpdate, *,
                        if_match: str, actor: Principal) -> Report:
    report = await get_report(session, report_id)
    check_if_match(report, if_match)
    changes = data.model_dump(exclude_unset=True)
    start = changes.get("period_from", report.period_from)
    end = changes.get("period_to", report.period_to)
    check(Period(start, end))
    if "networks" in changes:
        await service.resolve_networks(session, changes["networks"])
        changes["networks"] = sorted(set(changes["networks"]))
    if data.sections is not None:
        changes["sections"] = await _sections(data.sections)
    for name, value in changes.items():
        setattr(report, name, value)
    report.updated_at = utcnow()
    session.add(report)
    await events.record(session, "report.updated", "report", report_id,
                        {"fields": sorted(changes)}, actor=actor)
    await session.commit()
    return report


async def delete_report(session: AsyncSession, report_id: int, *, if_match: str,
                        actor: Principal) -> None:
    report = await get_report(session, report_id)
    check_if_match(report, if_match)
    for table in (ReportAnnotation, ShareLink):
        await session.exec(sa_delete(table).where(
            col(table.report_id) == report_id))
    await session.delete(report)
    await events.record(session, "report.deleted", "report", report_id, {}, actor=actor)
    await session.commit()


async def add_annotation(session: AsyncSession, report_id: int, data: AnnotationCreate, *,
                         actor: Principal) -> ReportAnnotation:
    report = await get_report(session, report_id)
    keys = [s["key"] for s in report.sections]
    if data.section_key not in keys:
        raise Unprocessable(f"The report has no section '{data.section_key}' "
                            f"(sections: {', '.join(keys)}).")
    note = ReportAnnotation(report_id=report_id, section_key=data.section_key, body=data.body,
                            author_key_id=actor.key_id)
    session.add(note)
    await session.flush()
    await events.record(session, "report.annotated", "report", report_id,
                        {"annotation_id": note.id, "section_key": data.section_key},
                        actor=actor)
    await session.commit()
    return note


async def annotations(session: AsyncSession, report_id: int) -> list[ReportAnnotation]:
    return list((await session.exec(select(ReportAnnotation).where(
        ReportAnnotation.report_id == report_id).order_by(col(ReportAnnotation.id)))).all())


async def delete_annotation(session: AsyncSession, report_id: int, annotation_id: int, *,
                            actor: Principal) -> None:
    note = await session.get(ReportAnnotation, annotation_id)
    if note is None or note.report_id != report_id:
        raise NotFound(f"Report {report_id} has no annotation {annotation_id}.")
    await session.delete(note)
    await events.record(session, "report.annotation_deleted", "report", report_id,
                        {"annotation_id": annotation_id}, actor=actor)
    await session.commit()


async def render(session: AsyncSession, report: Report, *,
                 stale_after_hours: int) -> RenderedReport:
    """Compute every section from current data, with its annotations."""
    period = Period(report.period_from, report.period_to)
    ctx = Context(session, period, report.networks, stale_after_hours)
    notes = await annotations(session, report.id or 0)
    sections = []
    for s in report.sections:
        kind = SECTIONS[s["kind"]]
        built = await kind.build(ctx, kind.params.model_validate(s["params"]), s["title"])
        built.key = s["key"]
        built.annotations = [AnnotationPublic.model_validate(n, from_attributes=True)
                             for n in notes if n.section_key == s["key"]]
        sections.append(built)
    networks = await service.resolve_networks(session, report.networks)
    return RenderedReport(
        id=report.id or 0, name=report.name, description=report.description,
        period=service.period_public(period), generated_at=utcnow(),
        freshness=await service.freshness(session, networks,
                                          stale_after_hours=stale_after_hours),
        sections=sections)


# Share links


async def share_secret(session: AsyncSession, configured: str | None) -> bytes:
    """SHARE_SECRET when set; otherwise a random secret created in the database on first use,
    so every API process signs and checks with the same key and it survives restarts."""
    if configured:
        return configured.encode()
    found = await session.get(AppSecret, "share_links")
    if found is None:
        stmt = _insert(session, _table(AppSecret)).values(
            name="share_links", value=secrets.token_urlsafe(48), created_at=utcnow())
        await (await session.connection()).execute(
            stmt.on_conflict_do_nothing(index_elements=["name"]))
        await session.commit()
        found = await session.get(AppSecret, "share_links")
        assert found is not None
    return found.value.encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sign(secret: bytes, report_id: int, link_id: int, expires: int) -> str:
    payload = f"{report_id}.{link_id}.{expires}".encode()
    mac = hmac.new(secret, TOKEN_CONTEXT + payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def unb64(text: str) -> bytes:
    """The bytes `_b64` encoded as `text`, and only from that spelling: the decoder alone
    would accept other characters in the unused low bits of the last one (I and J both end a
    32-byte MAC), and skip characters outside the alphabet."""
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(raw) != text:
        raise ValueError("not the canonical encoding")
    return raw


def _unsign(secret: bytes, token: str) -> tuple[int, int, int] | None:
    try:
        payload_b64, mac_b64 = token.split(".")
        payload = unb64(payload_b64)
        mac = unb64(mac_b64)
        expected = hmac.new(secret, TOKEN_CONTEXT + payload, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            return None
        report_id, link_id, expires = (int(p) for p in payload.decode().split("."))
    except ValueError:  # also UnicodeDecodeError and binascii.Error
        return None
    return report_id, link_id, expires


class LinkInvalid(NotFound):
    pass


INVALID = "This share link is not valid. Ask the person who shared it for a new one."


async def create_link(session: AsyncSession, report_id: int, data: ShareLinkCreate, *,
                      actor: Principal, configured_secret: str | None) -> tuple[ShareLink, str]:
    await get_report(session, report_id)
    secret = await share_secret(session, configured_secret)
    now = utcnow().replace(microsecond=0)
    link = ShareLink(report_id=report_id, label=data.label, created_by_key_id=actor.key_id,
                     expires_at=now + timedelta(days=data.expires_in_days), created_at=now)
    session.add(link)
    await session.flush()
    assert link.id is not None
    token = sign(secret, report_id, link.id, int(link.expires_at.timestamp()))
    await events.record(session, "report.shared", "report", report_id,
                        {"link_id": link.id, "expires_at": link.expires_at.isoformat()},
                        actor=actor)
    await session.commit()
    return link, token


async def links(session: AsyncSession, report_id: int) -> list[ShareLink]:
    await get_report(session, report_id)
    return list((await session.exec(select(ShareLink).where(
        ShareLink.report_id == report_id).order_by(col(ShareLink.id)))).all())


async def revoke_link(session: AsyncSession, report_id: int, link_id: int, *,
                      actor: Principal) -> ShareLink:
    link = await session.get(ShareLink, link_id)
    if link is None or link.report_id != report_id:
        raise NotFound(f"Report {report_id} has no share link {link_id}.")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        session.add(link)
        await events.record(session, "report.share_revoked", "report", report_id,
                            {"link_id": link_id}, actor=actor)
        await session.commit()
    return link


async def open_link(session: AsyncSession, token: str, *,
                    configured_secret: str | None) -> Report:
    """The report a valid token opens. Tampered, expired, revoked or deleted all give the
    same 404, so a caller learns nothing about which."""
    if len(token) > 300:
        raise LinkInvalid(INVALID)
    parts = _unsign(await share_secret(session, configured_secret), token)
    now = utcnow()
    if parts is None or parts[2] <= now.timestamp():
        raise LinkInvalid(INVALID)
    report_id, link_id, _ = parts
    link = await session.get(ShareLink, link_id)
    if link is None or link.report_id != report_id or link.revoked_at is not None \
            or link.expires_at <= now:
        raise LinkInvalid(INVALID)
    report = await session.get(Report, report_id)
    if report is None:
        raise LinkInvalid(INVALID)
    return report
