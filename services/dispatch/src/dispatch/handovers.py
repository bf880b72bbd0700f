"""Shift handover use cases (交接班): build the record, confirm on both sides; the second confirmation publishes it."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

from dispatch.commands import BuildHandover, ConfirmHandover
from dispatch.deps import Deps
from dispatch.domain.clocks import evaluate, nearest_due
from dispatch.domain.handover import ShiftWindow, select_for_handover, waiting_on_outages
from dispatch.events import utc
from dispatch.ports import StaleHandover
from hotline_contracts.events.shift import HandoverConfirmation, ShiftHandoverPublishedV1
from servicekit.errors import FieldError, conflict, invalid, not_found

CST = timezone(timedelta(hours=8))


def _bad(loc: str, zh: str, en: str):
    return invalid("请求参数校验失败", "request validation failed", fields=[FieldError(loc, zh, en)])


async def shift_window(centre: str, name: str, loc: str, deps: Deps) -> ShiftWindow:
    """"2026-11-26/day" → the day shift of that local date, from the centre's shift table."""
    day_text, _, shift_id = name.partition("/")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise _bad(loc, "班次格式须为 YYYY-MM-DD/班次", "shift must look like YYYY-MM-DD/<shift>") from None
    rows = {r["id"]: r for r in await deps.rules.active(centre, "shifts", deps.clock())}
    if shift_id not in rows:
        raise _bad(loc, f"未知班次，可选：{'、'.join(rows)}", f"unknown shift; one of: {', '.join(rows)}")
    starts = datetime.combine(day, time.fromisoformat(rows[shift_id]["starts"]), CST)
    ends = datetime.combine(day, time.fromisoformat(rows[shift_id]["ends"]), CST)
    return ShiftWindow(name, starts, ends if ends > starts else ends + timedelta(days=1))


async def build(centre: str, cmd: BuildHandover, *, deps: Deps) -> dict:
    """List every unresolved order of the leaving shift across `scope` (the centre and its descendants)."""
    leaving, arriving, agents = cmd.leaving_shift, cmd.arriving_shift, list(cmd.agents)
    if leaving == arriving:
        raise _bad("body.arriving_shift", "交接双方班次须不同", "leaving and arriving shift must differ")
    window = await shift_window(centre, leaving, "body.leaving_shift", deps)
    await shift_window(centre, arriving, "body.arriving_shift", deps)
    now = deps.clock()
    picked, waiting = [], {}
    for tenant in cmd.scope:
        orders = await deps.orders.for_handover(tenant, window.starts_at, window.ends_at, agents)
        for outage_id, n in waiting_on_outages(orders, window, frozenset(agents)).items():
            waiting[f"{tenant}/{outage_id}"] = n
        rules, calendar = await deps.clock_rules(tenant, now), await deps.calendar(tenant, now)
        due = {o.ticket_id: nearest_due(evaluate(o, rules, calendar, now)) for o in orders}
        picked += [(due[o.ticket_id], o) for o in select_for_handover(orders, window, frozenset(agents), due)]
    picked.sort(key=lambda pair: (pair[0] if pair[0] is not None else float("inf"), pair[1].created_at))
    record = {
        "tenant": centre, "handover_id": f"HO-{centre}-{leaving.replace('/', '-')}-{uuid.uuid4().hex[:6]}",
        "leaving_shift": leaving, "arriving_shift": arriving, "window": [window.starts_at, window.ends_at],
        "agents": agents, "important_matters": cmd.important_matters, "shift_leader": cmd.actor, "created_at": now,
        "orders": [{"ticket_id": o.ticket_id, "tenant": o.tenant, "state": o.state.value, "owner_unit": o.owner_unit,
                    "business_type": o.business_type, "due_at": utc(d) if d is not None else None} for d, o in picked],
        "awaiting_outage": waiting,  # tenant/outage → orders waiting on it (closed by its restoration)
        "leaving_confirmed_by": None, "arriving_confirmed_by": None, "checks": [], "comments": [], "published_at": None,
    }
    async with deps.uow(centre) as uow:
        uow.add_handover(record)
        await uow.commit()
    return record


async def confirm(centre: str, cmd: ConfirmHandover, *, deps: Deps) -> dict:
    """Each side confirms; the arriving side adds its checks and comments; both done → published.

    Optimistic: the update applies only if neither side's confirmation changed since the record was
    read, so two confirmations at once cannot both miss (or both send) the publication.
    """
    side, actor = cmd.side, cmd.actor
    async with deps.uow(centre) as uow:
        record = await uow.get_handover(cmd.handover_id)
        if record is None:
            raise not_found("交接班记录", "handover record")
        if record["published_at"] is not None:
            raise conflict("交接班记录已发布", "handover already published", code="handover_published")
        other = record["arriving_confirmed_by" if side == "leaving" else "leaving_confirmed_by"]
        if other == actor:
            raise conflict("交班与接班须为不同人员", "leaving and arriving sides must be different people", code="same_person")
        expect = {k: record[k] for k in ("leaving_confirmed_by", "arriving_confirmed_by", "published_at")}
        changes: dict = {f"{side}_confirmed_by": actor}
        if side == "arriving":
            changes |= {"comments": record["comments"] + list(cmd.comments),
                        "checks": record["checks"] + [dict(c) for c in cmd.checks]}
        record |= changes
        if record["leaving_confirmed_by"] and record["arriving_confirmed_by"]:
            record["published_at"] = changes["published_at"] = deps.clock()
            uow.record(_published(record), subject=record["handover_id"])
        uow.update_handover(cmd.handover_id, changes, expect=expect)
        try:
            await uow.commit()
        except StaleHandover:
            raise conflict("交接班记录已被他人更新，请重试", "handover changed meanwhile, retry", code="stale_handover") from None
    return record


def _published(record: dict) -> ShiftHandoverPublishedV1:
    return ShiftHandoverPublishedV1(
        handover_id=record["handover_id"], centre=record["tenant"], leaving_shift=record["leaving_shift"],
        arriving_shift=record["arriving_shift"], open_ticket_ids=[o["ticket_id"] for o in record["orders"]],
        confirmed_by=HandoverConfirmation(leaving=record["leaving_confirmed_by"], arriving=record["arriving_confirmed_by"]),
        shift_leader=record["shift_leader"], important_matters=record["important_matters"],
        comments=[c[:200] for c in record["comments"]], at=record["published_at"],
    )
