"""The one path every channel's contact takes: tenant → authorise → accept → audit → answer."""

from __future__ import annotations

from fastapi.responses import Response

from intake.deps import Deps
from intake.domain.model import Contact, IntakeResult
from intake.entrypoints.schemas import OutageInfo, TicketOut
from intake.permissions import authorize
from intake.service import IntakeBusy, IntakeRefused, accept_contact
from servicekit.auth import Principal
from servicekit.errors import AppError, FieldError, conflict, invalid


def owner_of(principal: Principal) -> str:
    """首问负责人: the accepting agent, or the channel system for webhooks (kind:id)."""
    kind = "system" if principal.kind == "service" else "agent"
    return f"{kind}:{principal.subject}"[:64]


async def submit(deps: Deps, principal: Principal, contact: Contact, *, unit: str | None) -> Response:
    tenant = await deps.routing.tenant_for(principal, unit=unit, account_no=contact.account_no, phone=contact.contact_phone)
    try:
        authorize(principal, "ticket.create", tenant)
        result = await accept_contact(tenant, contact, deps=deps)
    except IntakeRefused as refused:
        _audit(deps, tenant, principal, "ticket.create", "-", "validation_failed")
        fields = [FieldError(p.loc, p.message_zh, p.message_en) for p in refused.problems]
        raise invalid("受理信息不完整或有误", "the contact cannot be accepted as given", code="validation_failed", fields=fields) from None
    except IntakeBusy:
        raise conflict("同一请求正在受理中，请稍后重试", "the same request is being accepted right now, retry shortly", code="request_in_progress") from None
    except AppError as refused:
        if tenant in deps.hosted:
            _audit(deps, tenant, principal, "ticket.create", "-", refused.code)
        raise
    action = "ticket.repeat_contact" if result.repeat else "ticket.create"
    if not result.replayed:
        _audit(deps, tenant, principal, action, result.ticket.ticket_id, "ok")
    body = ticket_out(result).model_dump_json()  # serialised by pydantic-core: no dict → json.dumps round
    return Response(body, status_code=201 if result.created else 200, media_type="application/json")


def _audit(deps: Deps, tenant: str, principal: Principal, action: str, target: str, result: str) -> None:
    deps.audit.record(tenant, actor=principal, action=action, target=target, result=result)


def ticket_out(result: IntakeResult) -> TicketOut:
    t = result.ticket
    outage = None
    if result.outage is not None:
        o = result.outage
        outage = OutageInfo(outage_id=o.outage_id, match_level=o.match_level, cause=o.cause, estimated_restore_at=o.estimated_restore_at, area=o.area)
    elif t.outage_id:  # a stored order (read or retried request) answers with what it was linked to
        outage = OutageInfo(outage_id=t.outage_id, match_level=t.outage_match or "", cause=t.outage_cause or "", estimated_restore_at=t.outage_restore_at, area=None)
    zh, en = _message(result)
    return TicketOut(
        ticket_id=t.ticket_id, tenant=t.tenant, business_type=t.business_type, sub_type=t.sub_type, channel=t.channel,
        referred_from=t.referred_from, state=t.state,
        first_contact_owner=t.first_contact_owner, accepted_at=t.accepted_at, account_no=t.account_no, customer_name=t.customer_name,
        contact_phone=t.contact_phone, address_text=t.address_text, created=result.created, repeat=result.repeat,
        replayed=result.replayed, contact_count=t.contact_count, reconnection=result.reconnection,
        dispatch_requested=result.created and t.business_type == "fault_repair" and t.outage_id is None,
        outage=outage, kb_article_id=t.kb_article_id, message_zh=zh, message_en=en,
    )


def _message(result: IntakeResult) -> tuple[str, str]:
    if result.outage is not None:
        o = result.outage
        eta = o.estimated_restore_at.isoformat() if o.estimated_restore_at else "待定"
        return f"已知停电：{o.cause}，预计恢复时间 {eta}，无需重复派工", f"known outage: {o.cause}; estimated restoration {eta}"
    if result.repeat:
        return f"重复来电，已并入工单 {result.ticket.ticket_id} 并催办", f"repeat contact attached to {result.ticket.ticket_id} and owner urged"
    if result.reconnection:
        return "该户因欠费停电，已转复电申请（缴费后24小时内复电）", "account disconnected for arrears: reconnection request opened"
    if result.ticket.state == "closed":
        return "已答复并办结", "answered and closed at first contact"
    return "已受理", "accepted"
