"""Builders shared by the analytics tests (a plain module: tests import it by its unique name)."""

from __future__ import annotations

from datetime import datetime

from hotline_contracts import make_event
from hotline_contracts.events.ticket import TicketClosedV1, TicketCreatedV1

HOSTED = ["37", "3701", "3702", "370102", "370124", "370202"]
ORG_UNITS = [
    {"code": "37", "name": "国网山东省电力公司", "level": "province", "parent_code": None},
    {"code": "3701", "name": "国网济南供电公司", "level": "city", "parent_code": "37"},
    {"code": "3702", "name": "国网青岛供电公司", "level": "city", "parent_code": "37"},
    {"code": "370102", "name": "国网济南市历下区供电公司", "level": "county", "parent_code": "3701"},
    {"code": "370124", "name": "国网平阴县供电公司", "level": "county", "parent_code": "3701"},
    {"code": "370202", "name": "国网青岛市市南区供电公司", "level": "county", "parent_code": "3702"},
]


def created(tenant: str, n: int, at: str = "2026-11-26T09:31:12+08:00", **over) -> bytes:
    data = TicketCreatedV1(
        ticket_id=f"{tenant}-20261126-{n:06d}",
        business_type=over.pop("business_type", "fault_repair"),
        channel=over.pop("channel", "hotline"),
        account_no=f"{tenant[:4]}{n:06d}",
        responsible_unit=tenant,
        first_contact_owner="agent:u-37-0001",
        accepted_at=datetime.fromisoformat(at),
        summary=over.pop("summary", "客户反映家中停电，联系电话13812345678"),
        **over,
    )
    return make_event(data, tenant=tenant, source="/hotline/intake", subject=data.ticket_id).model_dump_json().encode()


def closed(tenant: str, n: int, within: bool = True, at: str = "2026-11-26T11:00:00+08:00") -> bytes:
    data = TicketClosedV1(
        ticket_id=f"{tenant}-20261126-{n:06d}",
        business_type="fault_repair",
        responsible_unit=tenant,
        resolution="resolved",
        within_time_limit=within,
        first_contact_resolved=False,
        closed_by="u-x",
        at=datetime.fromisoformat(at),
    )
    return make_event(data, tenant=tenant, source="/hotline/dispatch", subject=data.ticket_id).model_dump_json().encode()

