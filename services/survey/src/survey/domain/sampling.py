"""Which answered orders get a return visit (回访抽样): the one place survey decides it.

Deterministic from the order id, so a redelivered or replayed audit gets the same answer in every
process. A fuller sampling table (per unit, per channel, quotas) replaces the body of `decide`.
"""

from __future__ import annotations

import hashlib

from survey.domain.model import VisitRule

NOT_SAMPLED = "not_sampled"  # 未抽中
TYPE_NOT_VISITED = "type_not_visited"  # 该业务类型不回访


def sample_point(ticket_id: str) -> float:
    """A stable point in [0, 100) for the order: the first 4 bytes of sha256(id), scaled."""
    digest = hashlib.sha256(ticket_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 * 100.0


def decide(rule: VisitRule | None, ticket_id: str) -> str | None:
    """None when the order is to be visited, else why not (`type_not_visited`, `not_sampled`)."""
    if rule is None or rule.skip:
        return TYPE_NOT_VISITED
    if sample_point(ticket_id) >= rule.sample_percent:
        return NOT_SAMPLED
    return None
