"""Ticket API (工单受理接口): agent/CTI entry, single read, masked list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from intake.deps import Deps
from intake.domain.model import Contact, IntakeResult
from intake.entrypoints.schemas import TicketIn, TicketListItem, TicketOut
from intake.entrypoints.submit import owner_of, submit, ticket_out
from intake.permissions import authorize
from servicekit.auth import Principal, current_principal
from servicekit.errors import FieldError, not_found, validation_failed
from servicekit.http import body_spec, hot_path, read_body
from servicekit.masking import mask_address, mask_phone

IDEMPOTENCY_MAX = 128
IDEMPOTENCY_HEADER = {"name": "Idempotency-Key", "required": False, "description": "客户端重试幂等键; retry-safe key",
                      "schema": {"type": "string", "maxLength": IDEMPOTENCY_MAX}, "example": "cti-20261127-0001"}
_RESPONSES = {200: {"description": "重复来电或重试：返回已有工单 / repeat contact or retried request"},
              409: {"description": "同一幂等键的请求正在受理中，请稍后重试 / the same Idempotency-Key is being accepted right now, retry"}}


def idempotency_key(request: Request) -> str | None:
    """The `Idempotency-Key` header, at most 128 characters (422 otherwise)."""
    key = request.headers.get("idempotency-key")
    if key is not None and len(key) > IDEMPOTENCY_MAX:
        field = FieldError("header.Idempotency-Key", f"长度不能超过{IDEMPOTENCY_MAX}个字符", f"at most {IDEMPOTENCY_MAX} characters", type="string_too_long")
        raise validation_failed([field])
    return key


def tickets_router(deps: Deps) -> APIRouter:
    router = APIRouter(prefix="/api/v1/tickets", tags=["工单 tickets"])

    @router.post("", status_code=201, response_model=TicketOut, responses=_RESPONSES, summary="受理 / accept a contact as a work order",
                 openapi_extra=body_spec(TicketIn, [IDEMPOTENCY_HEADER]))
    @hot_path
    async def create(request: Request) -> Response:
        # The hot path: body, caller and header are read here, not declared (see servicekit.http.read_body).
        principal = await current_principal(request)
        body = await read_body(request, TicketIn)
        contact = Contact(
            channel=body.channel.value, referred_from=body.referred_from.value if body.referred_from else None,
            business_type=body.business_type.value, summary=body.summary, owner=owner_of(principal),
            sub_type=body.sub_type, account_no=body.account_no, contact_phone=body.contact_phone, address_text=body.address_text,
            unit=body.unit, urgency=body.urgency.value, kb_article_id=body.kb_article_id,
            resolved_at_first_contact=body.resolved_at_first_contact, attachment_ref=body.attachment_ref,
            idempotency_key=idempotency_key(request),
        )
        return await submit(deps, principal, contact, unit=body.unit)

    @router.get("/{ticket_id}", response_model=TicketOut, summary="查看工单 / read one order (unmasked for authorised users)")
    async def read(ticket_id: str, principal: Principal = Depends(current_principal)) -> TicketOut:
        tenant = ticket_id.split("-", 1)[0]
        if tenant not in deps.hosted:
            raise not_found("工单", "ticket")
        authorize(principal, "ticket.read", tenant)
        ticket = await deps.tickets.get(tenant, ticket_id)
        if ticket is None:
            raise not_found("工单", "ticket")
        return ticket_out(IntakeResult(ticket, created=False))

    @router.get("", response_model=list[TicketListItem], summary="工单列表（脱敏） / list orders, phone and address masked")
    async def list_tickets(
        principal: Principal = Depends(current_principal),
        unit: Annotated[str | None, Query(pattern=r"^\d{2}(\d{2}(\d{2})?)?$")] = None,
        state: Annotated[str | None, Query(max_length=32)] = None,
        business_type: Annotated[str | None, Query(max_length=32)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[TicketListItem]:
        tenant = unit or principal.tenant
        if tenant not in deps.hosted:
            raise not_found("单位", "unit")
        authorize(principal, "ticket.read", tenant)
        found = await deps.tickets.list(tenant, state=state, business_type=business_type, limit=limit)
        return [
            TicketListItem(
                ticket_id=t.ticket_id, tenant=t.tenant, business_type=t.business_type, sub_type=t.sub_type, channel=t.channel,
                state=t.state, accepted_at=t.accepted_at, account_no=t.account_no, contact_phone=mask_phone(t.contact_phone),
                address_text=mask_address(t.address_text), outage_id=t.outage_id, contact_count=t.contact_count,
            )
            for t in found
        ]

    return router
