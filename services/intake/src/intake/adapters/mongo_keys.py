"""工单唯一键 and leftovers: the key documents beside the orders, and what a stopped writer can leave behind."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

OPEN_KEY, IDEMPOTENCY_KEY, REPEAT_CONTACT = "open_key", "idempotency_key", "repeat_contact"  # `kind` of the non-order documents
_HELD = ((OPEN_KEY, "open_key"), (IDEMPOTENCY_KEY, "idempotency_key"))  # (key kind, order field holding its value)


def key_id(kind: str, value: str) -> str:
    return f"{kind}|{value}"


def key_docs(tenant: str, ticket_id: str, at: Any, *, open_key: str | None, idempotency_key: str | None) -> list[dict[str, Any]]:
    """工单唯一键: one document per unique value an order holds, keyed by `_id` in the orders' own collection.

    Not a unique secondary index: on SecantusDB every secondary index costs each insert about as much
    as the order itself (0.3 ms of its CPU, measured), even a sparse one the order does not enter.
    """
    values = ((OPEN_KEY, open_key), (IDEMPOTENCY_KEY, idempotency_key))
    return [{"_id": key_id(kind, value), "tenant": tenant, "kind": kind, "ticket_id": ticket_id, "at": at} for kind, value in values if value]


async def screen_leftovers(col: Any, tenant: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents of a stopped relay whose events may go out; leftovers of refused writes are deleted.

    An order refused for a taken key is deleted again right after the batch insert, and a repeat
    contact whose order was not updated likewise; a process that stopped in between left them with
    pending events. Such an order does not hold every key it names (the key is another order's, or
    missing), and such a contact is not among its order's contacts. Their callers never heard they
    were accepted, so they are removed instead of published.
    """
    orders = [d for d in docs if "kind" not in d]
    contacts = [d for d in docs if d.get("kind") == REPEAT_CONTACT]
    named = {key_id(kind, d[name]): d["_id"] for d in orders for kind, name in _HELD if d.get(name)}
    holders = {k["_id"]: k["ticket_id"] async for k in col.find({"_id": {"$in": list(named)}, "tenant": tenant}, {"ticket_id": 1})}
    orphans = {order for key, order in named.items() if holders.get(key) != order}
    own_keys = [key for key, order in named.items() if order in orphans and holders.get(key) == order]
    parents = {d["ticket_id"] for d in contacts}
    recorded = {c["contact_id"] async for p in col.find({"_id": {"$in": list(parents)}, "tenant": tenant}, {"contacts.contact_id": 1})
                for c in p.get("contacts", [])}
    for contact in (d for d in contacts if d["_id"] not in recorded):
        orphans.add(contact["_id"])
        if contact.get("idempotency_key"):  # its retry must attach it, not be answered as already attached
            await col.delete_one({"_id": key_id(IDEMPOTENCY_KEY, contact["idempotency_key"]), "ticket_id": contact["ticket_id"]})
    if orphans:
        await col.delete_many({"_id": {"$in": [*orphans, *own_keys]}, "tenant": tenant})
        log.warning("leftovers of refused writes removed, not published", extra={"tenant": tenant, "ids": sorted(orphans)})
    return [d for d in docs if d["_id"] not in orphans]
