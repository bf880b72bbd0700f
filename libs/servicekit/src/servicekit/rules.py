"""Effective-dated rule tables per tenant (规则表): one store, one semantics, for every service.

A table (`routing`, `return_visit`, `calendar`, ...) is a sequence of versions in the tenant's own
database, collection `rules_<table>`: `{tenant, table, version, effective_from, effective_to, rows,
saved_by, saved_at}` plus the table's own fields, `extra` (`settings`, `description`, `source`).

- `active(tenant, table, at)` is the rows of the version in force at `at`; `active_version` is that
  whole version. In force: `effective_from <= at < effective_to` (no `effective_to`: open-ended);
  should two overlap (data written before this store), the highest version wins. No version in force
  raises `RuleTableMissing` (404, code `rule_table_missing`): services ship defaults
  (`ensure_defaults` at start-up), so a table is never missing in practice. A table name the
  service did not register with its store raises `LookupError` (a programming error).
- `save` adds version n+1 from `effective_from` and closes the version before it there (its
  `effective_to` becomes the new `effective_from`), so a table's versions tile time without gaps.
  A version may not start before the one it follows, nor name a field the store keeps itself. Every
  save is checked by the validator the service registered for that table and refused with
  field-level bilingual errors (`RuleTableInvalid`, 422, locs `body.rows.3.to_unit`); two saves
  racing for one version number: the second gets `RuleTableConflict` (409). Saves and refusals are
  audited (`rule_table.save`, target the table, detail the version) through `servicekit.audit.AuditLog`.
- `ensure_defaults(tenant, defaults)` stores the shipped defaults as version 1 of every table the
  tenant has no version of (never over an edited table).

`servicekit.rules_mongo.MongoRuleStore` is the real one, `MemoryRuleStore` its fake with the same
semantics (both pass libs/servicekit/tests/test_rules_contract.py), `CachedRuleStore` the
read-through cache hot paths wrap around either. Read results are shared with the cache: treat them as read-only.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from servicekit.auth import Principal
from servicekit.errors import AppError, FieldError
from servicekit.refreshing import RefreshingCache

Validator = Callable[[str, Mapping[str, Any]], list[FieldError]]
"""(tenant, version as sent: `{"rows": [...], **extra}`) -> problems, locs relative to it (`rows.3.to_unit`)."""

DEFAULTS_FROM = datetime(2000, 1, 1, tzinfo=UTC)  # shipped defaults without their own `effective_from`
DEFAULTS_BY = "system:defaults"
AUDIT_ACTION = "rule_table.save"  # the audit entry of every save and refusal, in every service
RESERVED = frozenset({"_id", "tenant", "table", "version", "effective_from", "effective_to", "rows", "saved_by", "saved_at"})
_NOT_DEFAULT_FIELDS = frozenset({"name", "version", "effective_to"})  # a defaults file's bookkeeping, renumbered here


class RuleTableMissing(AppError):
    """No version of the table is in force at that time."""

    def __init__(self, table: str, at: datetime) -> None:
        super().__init__(f"规则表 {table} 在 {at.isoformat()} 无生效版本", f"rule table {table} has no version in force at {at.isoformat()}",
                         code="rule_table_missing", status=404)


class RuleTableInvalid(AppError):
    """A version refused by the table's validator (or starting before the version it follows)."""

    def __init__(self, fields: list[FieldError]) -> None:
        fields = [FieldError(f"body.{f.loc}", f.message_zh, f.message_en, f.type) for f in fields]
        super().__init__("规则表校验失败", "rule table is invalid", code="validation_failed", fields=fields, status=422)


class RuleTableConflict(AppError):
    """Another save took the version number first."""

    def __init__(self) -> None:
        super().__init__("规则表刚被他人修改，请刷新后重试", "the rule table was changed meanwhile: reload and try again",
                         code="rule_table_conflict", status=409)


class AuditSink(Protocol):
    """`servicekit.audit.AuditLog` (or `MemoryAuditLog`)."""

    async def record(self, tenant: str, *, actor: Principal | None, action: str, target: str, result: str,
                     detail: dict[str, Any] | None = None) -> None: ...


class RuleStore(Protocol):
    tables: Mapping[str, Validator]

    async def active(self, tenant: str, table: str, at: datetime) -> list[dict[str, Any]]: ...
    async def active_version(self, tenant: str, table: str, at: datetime) -> dict[str, Any]: ...
    async def versions(self, tenant: str, table: str, since: datetime | None = None) -> list[dict[str, Any]]: ...
    async def save(self, tenant: str, table: str, rows: Sequence[Mapping[str, Any]], *, effective_from: datetime,
                   by: Principal, extra: Mapping[str, Any] | None = None) -> dict[str, Any]: ...
    async def ensure_defaults(self, tenant: str, defaults: Mapping[str, Any]) -> list[str]: ...


def in_force(version: Mapping[str, Any], at: datetime) -> bool:
    return version["effective_from"] <= at and (version.get("effective_to") is None or at < version["effective_to"])


def pick(versions: Sequence[dict[str, Any]], at: datetime) -> dict[str, Any] | None:
    """The version in force at `at`: the highest-numbered one whose window holds it."""
    return max((v for v in versions if in_force(v, at)), key=lambda v: v["version"], default=None)


def stored_time(at: datetime) -> datetime:
    """A time as the database keeps it: UTC, whole milliseconds."""
    if at.tzinfo is None:
        raise ValueError("rule table times must carry a time zone")
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _default(value: Any) -> tuple[list[dict[str, Any]], datetime, dict[str, Any]]:
    """A shipped default: bare rows, or `{rows, effective_from?, extra fields}`."""
    if not isinstance(value, Mapping):
        return list(value), DEFAULTS_FROM, {}
    start = value.get("effective_from") or DEFAULTS_FROM
    start = datetime.fromisoformat(start) if isinstance(start, str) else start
    extra = {k: v for k, v in value.items() if k not in RESERVED | _NOT_DEFAULT_FIELDS}
    return list(value["rows"]), start, extra


class BaseRuleStore:
    """The semantics, shared by every store; a subclass stores and finds versions (`_latest`, `_insert`, `_close`,
    `_in_force`, `versions`)."""

    def __init__(self, tables: Mapping[str, Validator], *, audit: AuditSink | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.tables = dict(tables)
        self.audit = audit
        self.clock = clock

    def _known(self, table: str) -> None:
        if table not in self.tables:
            raise LookupError(f"rule table {table!r} is not registered with this store")

    async def active(self, tenant: str, table: str, at: datetime) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await self.active_version(tenant, table, at))["rows"]
        return rows

    async def active_version(self, tenant: str, table: str, at: datetime) -> dict[str, Any]:
        self._known(table)
        found = await self._in_force(tenant, table, at)
        if found is None:
            raise RuleTableMissing(table, at)
        return public_version(found, table)

    async def save(self, tenant: str, table: str, rows: Sequence[Mapping[str, Any]], *, effective_from: datetime,
                   by: Principal, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Store version n+1 from `effective_from` and close version n there; refused versions raise (and are audited)."""
        try:
            saved = await self._save(tenant, table, rows, stored_time(effective_from), by.subject, dict(extra or {}))
        except (RuleTableInvalid, RuleTableConflict) as exc:
            await self._audit(tenant, by, table, exc.code, {"fields": [f.loc for f in exc.fields]})
            raise
        await self._audit(tenant, by, table, "ok", {"version": saved["version"], "effective_from": saved["effective_from"].isoformat()})
        return saved

    async def ensure_defaults(self, tenant: str, defaults: Mapping[str, Any]) -> list[str]:
        """Load each shipped table the tenant has no version of as its version 1; returns the tables loaded."""
        loaded = []
        for table, value in defaults.items():
            self._known(table)
            rows, start, extra = _default(value)
            if await self._latest(tenant, table) is not None:
                continue
            problems = self.tables[table](tenant, {"rows": rows, **extra})
            if problems:
                raise RuleTableInvalid(problems)  # a shipped default that fails its own checks is a bug
            doc = self._doc(tenant, table, 1, rows, stored_time(start), DEFAULTS_BY, extra)
            if await self._insert(doc):
                loaded.append(table)
                await self._audit(tenant, None, table, "ok", {"version": 1, "effective_from": doc["effective_from"].isoformat(),
                                                               "defaults": True})
        return loaded

    async def _save(self, tenant: str, table: str, rows: Sequence[Mapping[str, Any]], start: datetime, by: str,
                    extra: dict[str, Any]) -> dict[str, Any]:
        self._known(table)
        problems = [FieldError(key, "该字段由系统维护，不能指定", "the store sets this field", "extra_forbidden")
                    for key in sorted(RESERVED & extra.keys())]
        problems += self.tables[table](tenant, {"rows": rows, **extra})  # as given: checking its shape is the validator's job
        latest = await self._latest(tenant, table)
        if latest is not None and start < latest["effective_from"]:
            problems.append(FieldError("effective_from", f"不能早于现行版本 {latest['version']} 的生效时间 {latest['effective_from'].isoformat()}",
                                       f"must not be before version {latest['version']} starts ({latest['effective_from'].isoformat()})"))
        if problems:
            raise RuleTableInvalid(problems)
        doc = self._doc(tenant, table, (latest["version"] if latest else 0) + 1, [dict(r) for r in rows], start, by, extra)
        if not await self._insert(doc):
            raise RuleTableConflict()
        await self._close(tenant, table, doc["version"], start)
        return public_version(doc, table)

    def _doc(self, tenant: str, table: str, version: int, rows: list[dict[str, Any]], start: datetime, by: str,
             extra: dict[str, Any]) -> dict[str, Any]:
        return {**copy.deepcopy(extra), "tenant": tenant, "table": table, "version": version, "effective_from": start,
                "effective_to": None, "rows": copy.deepcopy(rows), "saved_by": by, "saved_at": stored_time(self.clock())}

    async def _audit(self, tenant: str, actor: Principal | None, table: str, result: str, detail: dict[str, Any]) -> None:
        if self.audit is not None:
            await self.audit.record(tenant, actor=actor, action=AUDIT_ACTION, target=table, result=result, detail=detail)

    # What a subclass provides -----------------------------------------------------------------
    async def _latest(self, tenant: str, table: str) -> dict[str, Any] | None:
        raise NotImplementedError

    async def _insert(self, doc: dict[str, Any]) -> bool:
        """False when that version number is taken."""
        raise NotImplementedError

    async def _close(self, tenant: str, table: str, below: int, at: datetime) -> None:
        """Every open version numbered below `below` ends at `at`."""
        raise NotImplementedError

    async def _in_force(self, tenant: str, table: str, at: datetime) -> dict[str, Any] | None:
        raise NotImplementedError


def public_version(doc: dict[str, Any], table: str) -> dict[str, Any]:
    """A stored version as the store hands it out."""
    out = {k: v for k, v in doc.items() if k != "_id"}
    out["table"] = table  # versions stored before this store named it `name`, or not at all
    return out


class MemoryRuleStore(BaseRuleStore):
    """The in-memory fake (unit tests): what it returns is a copy, as a database read would be.

    With `defaults`, every tenant it is asked about already holds them as version 1, as if start-up
    had run `ensure_defaults` for it (the fake does not know which tenants are hosted).
    """

    def __init__(self, tables: Mapping[str, Validator], *, defaults: Mapping[str, Any] | None = None,
                 audit: AuditSink | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(tables, audit=audit, clock=clock)
        self.defaults = dict(defaults or {})
        self.stored: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def _versions(self, tenant: str, table: str) -> list[dict[str, Any]]:
        if (tenant, table) not in self.stored and table in self.defaults:
            rows, start, extra = _default(self.defaults[table])
            problems = self.tables[table](tenant, {"rows": rows, **extra})
            if problems:
                raise RuleTableInvalid(problems)
            self.stored[(tenant, table)] = [self._doc(tenant, table, 1, rows, stored_time(start), DEFAULTS_BY, extra)]
        return self.stored.setdefault((tenant, table), [])

    async def _latest(self, tenant: str, table: str) -> dict[str, Any] | None:
        return copy.deepcopy(max(self._versions(tenant, table), key=lambda v: v["version"], default=None))

    async def _insert(self, doc: dict[str, Any]) -> bool:
        versions = self._versions(doc["tenant"], doc["table"])
        if any(v["version"] == doc["version"] for v in versions):
            return False
        versions.append(copy.deepcopy(doc))
        return True

    async def _close(self, tenant: str, table: str, below: int, at: datetime) -> None:
        for v in self._versions(tenant, table):
            if v["version"] < below and v.get("effective_to") is None:
                v["effective_to"] = at

    async def _in_force(self, tenant: str, table: str, at: datetime) -> dict[str, Any] | None:
        return copy.deepcopy(pick(self._versions(tenant, table), at))

    async def versions(self, tenant: str, table: str, since: datetime | None = None) -> list[dict[str, Any]]:
        self._known(table)
        found = sorted(self._versions(tenant, table), key=lambda v: v["version"])
        return [public_version(copy.deepcopy(v), table) for v in found
                if since is None or v.get("effective_to") is None or v["effective_to"] > since]


class CachedRuleStore:
    """The read that hot paths make per event, from memory (`servicekit.refreshing.RefreshingCache`).

    Per tenant and table it keeps the versions in force from `lookback` before the read that loaded
    them onwards, and picks the one in force at `at` exactly as the store would: a version that starts
    at midnight applies from midnight, an event from an hour ago is judged by the rules of an hour
    ago. A read further back goes to the store. A save made through this wrapper shows at once; one
    made by another process within `ttl` seconds.
    """

    def __init__(self, store: RuleStore, ttl: float, *, lookback: timedelta = timedelta(days=1),
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.lookback = lookback
        self.now = now
        self._cache: RefreshingCache[tuple[str, str], tuple[datetime, list[dict[str, Any]]]] = RefreshingCache(ttl, clock=clock)

    @property
    def tables(self) -> Mapping[str, Validator]:
        return self.store.tables

    async def active(self, tenant: str, table: str, at: datetime) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await self.active_version(tenant, table, at))["rows"]
        return rows

    async def active_version(self, tenant: str, table: str, at: datetime) -> dict[str, Any]:
        async def load() -> tuple[datetime, list[dict[str, Any]]]:
            since = min(at, self.now()) - self.lookback
            return since, await self.store.versions(tenant, table, since)

        since, versions = await self._cache.get((tenant, table), load)
        if at < since:
            return await self.store.active_version(tenant, table, at)
        found = pick(versions, at)
        if found is None:
            raise RuleTableMissing(table, at)
        return found

    async def versions(self, tenant: str, table: str, since: datetime | None = None) -> list[dict[str, Any]]:
        return await self.store.versions(tenant, table, since)

    async def save(self, tenant: str, table: str, rows: Sequence[Mapping[str, Any]], *, effective_from: datetime,
                   by: Principal, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        try:
            return await self.store.save(tenant, table, rows, effective_from=effective_from, by=by, extra=extra)
        finally:
            self._cache.invalidate((tenant, table))

    async def ensure_defaults(self, tenant: str, defaults: Mapping[str, Any]) -> list[str]:
        loaded = await self.store.ensure_defaults(tenant, defaults)
        for table in loaded:
            self._cache.invalidate((tenant, table))
        return loaded
