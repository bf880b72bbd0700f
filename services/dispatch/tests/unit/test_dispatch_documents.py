"""The stored work-order document: every field of the order, and nothing shared with the live object."""

from __future__ import annotations

import dataclasses

from dispatch.adapters.mongo import from_doc, to_doc
from dispatch.domain.model import HistoryEntry, Pause, State
from dispatch_builders import local, make_order


def busy_order():
    order = make_order(state=State.SUSPENDED, crew_code="370102-S01-C1", suspended_from="on_site",
                       reply={"kind": "repair", "fault_class": {"level1": "低压故障"}, "parts": ["熔断器"]},
                       marks={"arrival": {"level": 2, "breached": False}}, audit_reasons=["照片不清晰"])
    order.milestones["on_site"] = local(2026, 11, 26, 9, 40)
    order.pauses.append(Pause(local(2026, 11, 26, 10, 0), "waiting_customer", "客户不在家", "crew:x"))
    order.history.append(HistoryEntry(local(2026, 11, 26, 9, 1), "system:dispatch", "dispatch", "created", "dispatched", "rule r1"))
    return order


def test_document_holds_what_asdict_would_and_reads_back_equal():
    order = busy_order()
    expected = dataclasses.asdict(order) | {"state": "suspended"}
    assert to_doc(order) == expected
    assert from_doc(to_doc(order)) == order


def test_changing_the_order_afterwards_leaves_the_document_alone():
    order = busy_order()
    doc = to_doc(order)
    order.milestones["arrived"] = local(2026, 11, 26, 11, 0)
    order.marks["arrival"]["level"] = 3
    order.reply["fault_class"]["level1"] = "高压故障"
    order.pauses[0].ended_at = local(2026, 11, 26, 11, 0)
    assert "arrived" not in doc["milestones"] and doc["marks"]["arrival"]["level"] == 2
    assert doc["reply"]["fault_class"]["level1"] == "低压故障" and doc["pauses"][0]["ended_at"] is None
