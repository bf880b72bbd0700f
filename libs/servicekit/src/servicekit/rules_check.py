"""Start-up check of stored rule tables (规则表启动校验): a table stored before a rule changed fails loudly.

A version is checked when it is saved, but the checks move on (a code leaves the business catalogue,
a field becomes required) while stored versions stay. A service calls `verify_stored` in its start-up
hook, after `ensure_defaults`: every version in force now or later is run through the table's current
validator, and any problem stops the start with every table, version and field named, instead of
orders being timed or routed by a row nobody could save today.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from servicekit.rules import RESERVED, RuleStore, Validator


class StoredRuleTableInvalid(RuntimeError):
    """A stored version fails its table's current checks (规则表已存版本校验失败); the service must not start."""


async def verify_stored(store: RuleStore, validators: Mapping[str, Validator], tenant: str, now: datetime,
                        tables: Iterable[str] | None = None) -> None:
    """Raise `StoredRuleTableInvalid` naming every problem of the versions in force from `now` on."""
    lines: list[str] = []
    for table in tables if tables is not None else validators:
        for version in await store.versions(tenant, table, since=now):
            sent: dict[str, Any] = {k: v for k, v in version.items() if k not in RESERVED or k == "rows"}
            for problem in validators[table](tenant, sent):
                lines.append(f"{tenant} {table} v{version.get('version')} {problem.loc}: {problem.message_zh} / {problem.message_en}")
    if lines:
        raise StoredRuleTableInvalid("规则表校验失败 / stored rule tables fail their checks:\n" + "\n".join(lines))
