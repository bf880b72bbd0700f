"""Channel webhooks (多渠道接入): IVR/CTI, web/app/WeChat, SMS, e-mail, fax/letter → one Contact each."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from intake.deps import Deps
from intake.domain.model import Contact
from intake.entrypoints.schemas import EmailIn, IvrCallIn, MailIn, OnlineIn, SmsIn, TicketOut
from intake.entrypoints.submit import owner_of, submit
from servicekit.auth import Principal, current_principal
from servicekit.errors import FieldError, invalid

_ACCOUNT_IN_TEXT = re.compile(r"(?<!\d)(\d{10})(?!\d)")


def classify(rows: list[dict[str, Any]], text: str) -> tuple[str, str | None]:
    """Business type of free text by the tenant's keyword table (first hit wins; "*" is the fallback)."""
    fallback = ("consultation", None)
    for row in rows:
        if row["keyword"] == "*":
            fallback = (row["business_type"], row.get("sub_type"))
        elif row["keyword"] in text:
            return row["business_type"], row.get("sub_type")
    return fallback


def channels_router(deps: Deps) -> APIRouter:
    router = APIRouter(prefix="/api/v1/channels", tags=["渠道接入 channels"])
    rules = deps.rules

    async def rows(principal: Principal, name: str) -> list[dict[str, Any]]:
        tenant = principal.tenant if principal.tenant in deps.hosted else deps.hosted[0]
        return await rules.active(tenant, name, datetime.now(UTC))

    @router.post("/ivr", status_code=201, response_model=TicketOut, summary="IVR/CTI 来电回调 / IVR call webhook")
    async def ivr(body: IvrCallIn, principal: Principal = Depends(current_principal)) -> Response:
        menu = {r["choice"]: r for r in await rows(principal, "ivr_menu")}
        choice = menu.get(body.ivr_choices[0])
        if choice is None:
            raise invalid("IVR按键无对应业务", "IVR choice maps to no business type", fields=[FieldError("body.ivr_choices.0", "按键无效", "unknown choice")])
        summary = body.transcript or f"IVR来电，按键 {'-'.join(body.ivr_choices)}"
        contact = Contact(channel="ivr", business_type=choice["business_type"], sub_type=choice.get("sub_type"), summary=summary,
                          owner=owner_of(principal), account_no=body.account_no, contact_phone=body.caller_number,
                          idempotency_key=f"ivr:{body.call_id}")
        return await submit(deps, principal, contact, unit=None)

    @router.post("/online", status_code=201, response_model=TicketOut, summary="网站/App/微信提交 / web, app or WeChat submission")
    async def online(body: OnlineIn, principal: Principal = Depends(current_principal)) -> Response:
        contact = Contact(channel=body.source, business_type=body.business_type.value, sub_type=body.sub_type, summary=body.description,
                          owner=owner_of(principal), account_no=body.account_no, contact_phone=body.phone, address_text=body.address,
                          idempotency_key=f"{body.source}:{body.submission_id}")
        return await submit(deps, principal, contact, unit=None)

    @router.post("/sms", status_code=201, response_model=TicketOut, summary="短信上行 / inbound SMS")
    async def sms(body: SmsIn, principal: Principal = Depends(current_principal)) -> Response:
        business_type, sub_type = classify(await rows(principal, "channel_keywords"), body.text)
        account = _ACCOUNT_IN_TEXT.search(body.text)
        contact = Contact(channel="sms", business_type=business_type, sub_type=sub_type, summary=body.text, owner=owner_of(principal),
                          account_no=account.group(1) if account else None, contact_phone=body.from_number,
                          idempotency_key=f"sms:{body.message_id}")
        return await submit(deps, principal, contact, unit=None)

    @router.post("/email", status_code=201, response_model=TicketOut, summary="电子邮件 / inbound e-mail")
    async def email(body: EmailIn, principal: Principal = Depends(current_principal)) -> Response:
        business_type, sub_type = classify(await rows(principal, "channel_keywords"), f"{body.subject} {body.body}")
        contact = Contact(channel="email", business_type=business_type, sub_type=sub_type, summary=f"{body.subject}\n{body.body}"[:2000],
                          owner=owner_of(principal), account_no=body.account_no, contact_phone=body.phone,
                          idempotency_key=f"email:{body.message_id}", extra={"from_address": body.from_address})
        return await submit(deps, principal, contact, unit=None)

    @router.post("/mail", status_code=201, response_model=TicketOut, summary="传真/信函 / fax or letter (scanned)")
    async def mail(body: MailIn, principal: Principal = Depends(current_principal)) -> Response:
        contact = Contact(channel=body.kind, business_type=body.business_type.value, sub_type=body.sub_type, summary=body.summary,
                          owner=owner_of(principal), account_no=body.account_no, contact_phone=body.phone, address_text=body.address,
                          attachment_ref=body.attachment_ref, idempotency_key=f"{body.kind}:{body.attachment_ref}",
                          referred_from=body.referred_from.value if body.referred_from else None)
        return await submit(deps, principal, contact, unit=body.unit)

    return router
