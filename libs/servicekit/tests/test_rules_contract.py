"""The rule store's contract, run against the in-memory fake (unit) and against real SecantusDB (integration).

Whatever a service sees from `MemoryRuleStore` in its unit tests it sees from `MongoRuleStore` in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from servicekit.audit import AuditLog, MemoryAuditLog
from servicekit.auth import Principal
from servicekit.errors import FieldError
from servicekit.mongo import TenantDatabases, make_client
from servicekit.rules import DEFAULTS_FROM, MemoryRuleStore, RuleTableInvalid, RuleTableMissing
from servicekit.rules_mongo import MongoRuleStore
from servicekit.settings import ServiceSettings

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 1, tzinfo=CST)
DIRECTOR = Principal(subject="u-370102-0007", tenant="370102", roles=frozenset({"centre_director"}))


def check_windows(tenant: str, version: dict[str, Any]) -> list[FieldError]:
    return [FieldError(f"rows.{i}.window_hours", "须为正数", "must be positive")
            for i, row in enumerate(version["rows"]) if not (isinstance(row.get("window_hours"), int | float) and row["window_hours"] > 0)]


def check_settings(tenant: str, version: dict[str, Any]) -> list[FieldError]:
    return [] if isinstance(version.get("settings"), dict) else [FieldError("settings", "须给出设置", "settings are required")]


TABLES = {"repeat_calls": check_windows, "notice": check_settings}
DEFAULTS = {
    "repeat_calls": [{"business_type": "*", "window_hours": 24}],
    "notice": {"version": 3, "name": "notice", "description": "通知规则", "effective_from": "2023-01-01T00:00:00+08:00",
               "rows": [], "settings": {"quiet_start": "22:00"}},
}


@dataclass
class Env:
    store: MemoryRuleStore | MongoRuleStore
    audit: Any
    raw: Any  # (tenant, table, doc) -> None: a version written by an earlier release, as it lies in the database


@pytest.fixture(params=[pytest.param("memory", marks=pytest.mark.unit), pytest.param("secantus", marks=pytest.mark.integration)])
async def env(request):
    if request.param == "memory":
        audit = MemoryAuditLog()
        store = MemoryRuleStore(TABLES, audit=audit)

        async def raw(tenant: str, table: str, doc: dict[str, Any]) -> None:
            store.stored.setdefault((tenant, table), []).append(dict(doc, tenant=tenant))

        yield Env(store, audit, raw)
        return
    mongo_uri, unique_name = request.getfixturevalue("mongo_uri"), request.getfixturevalue("unique_name")
    settings = ServiceSettings(service_name="kit-rules", mongo_uri=mongo_uri, mongo_db_prefix=f"r{unique_name}",
                               hosted_tenants=["37", "370102", "370124"])
    client = make_client(settings)
    dbs = TenantDatabases(client, settings)
    audit = AuditLog(dbs, "kit-rules")

    async def raw(tenant: str, table: str, doc: dict[str, Any]) -> None:
        await dbs.for_tenant(tenant)[f"rules_{table}"].insert_one(dict(doc, tenant=tenant))

    yield Env(MongoRuleStore(dbs, TABLES, audit=audit), audit, raw)
    await client.close()


async def test_a_table_without_a_version_in_force_is_missing_with_a_clear_error(env):
    with pytest.raises(RuleTableMissing) as missing:
        await env.store.active("370102", "repeat_calls", T0)
    assert (missing.value.status, missing.value.code) == (404, "rule_table_missing") and "repeat_calls" in missing.value.message_en
    await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 1}], effective_from=T0, by=DIRECTOR)
    with pytest.raises(RuleTableMissing):
        await env.store.active_version("370102", "repeat_calls", T0 - timedelta(milliseconds=1))  # before its first version
    with pytest.raises(LookupError):
        await env.store.active("370102", "no_such_table", T0)


async def test_shipped_defaults_load_once_as_version_1_and_never_over_an_edited_table(env):
    assert sorted(await env.store.ensure_defaults("370102", DEFAULTS)) == ["notice", "repeat_calls"]
    notice = await env.store.active_version("370102", "notice", T0)
    assert notice["version"] == 1 and notice["settings"] == {"quiet_start": "22:00"} and notice["description"] == "通知规则"
    assert notice["effective_from"] == datetime(2022, 12, 31, 16, tzinfo=UTC) and notice["saved_by"] == "system:defaults"
    assert "name" not in notice and notice["table"] == "notice" and notice["tenant"] == "370102"
    repeat = await env.store.active_version("370102", "repeat_calls", T0)
    assert repeat["effective_from"] == DEFAULTS_FROM and repeat["rows"] == DEFAULTS["repeat_calls"]

    await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 2}], effective_from=T0, by=DIRECTOR)
    assert await env.store.ensure_defaults("370102", DEFAULTS) == []
    assert (await env.store.active("370102", "repeat_calls", T0))[0]["window_hours"] == 2
    assert await env.store.ensure_defaults("370124", {"repeat_calls": DEFAULTS["repeat_calls"]}) == ["repeat_calls"]
    loaded = [e for e in await env.audit.query("370102") if e["detail"].get("defaults")]
    assert sorted(e["target"] for e in loaded) == ["notice", "repeat_calls"] and {e["actor"] for e in loaded} == {None}


async def test_saving_a_version_closes_the_one_before_it_where_the_new_one_starts(env):
    await env.store.ensure_defaults("370102", {"repeat_calls": DEFAULTS["repeat_calls"]})
    v2 = await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 2}], effective_from=T0, by=DIRECTOR)
    later = T0 + timedelta(days=30)  # scheduled ahead: the current version stays in force until then
    v3 = await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 3}], effective_from=later, by=DIRECTOR)
    assert (v2["version"], v3["version"], v3["effective_to"], v3["saved_by"]) == (2, 3, None, DIRECTOR.subject)
    history = await env.store.versions("370102", "repeat_calls")
    assert [(v["version"], v["effective_from"], v["effective_to"]) for v in history] == [
        (1, DEFAULTS_FROM, T0), (2, T0, later), (3, later, None)]
    hours = [(await env.store.active("370102", "repeat_calls", at))[0]["window_hours"]
             for at in (T0 - timedelta(seconds=1), T0, later - timedelta(milliseconds=1), later, later + timedelta(days=400))]
    assert hours == [24, 2, 2, 3, 3]
    assert [v["version"] for v in await env.store.versions("370102", "repeat_calls", since=T0 + timedelta(days=1))] == [2, 3]


async def test_an_invalid_version_is_refused_field_by_field_in_both_languages_stored_nowhere_and_audited(env):
    await env.store.ensure_defaults("370102", DEFAULTS)
    with pytest.raises(RuleTableInvalid) as bad:
        await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 0}, {"business_type": "complaint"}],
                             effective_from=T0, by=DIRECTOR)
    assert (bad.value.status, bad.value.code) == (422, "validation_failed")
    assert [(f.loc, f.message_zh, f.message_en) for f in bad.value.fields] == [
        ("body.rows.0.window_hours", "须为正数", "must be positive"), ("body.rows.1.window_hours", "须为正数", "must be positive")]
    with pytest.raises(RuleTableInvalid) as no_settings:
        await env.store.save("370102", "notice", [], effective_from=T0, by=DIRECTOR, extra={"description": "x"})
    assert [f.loc for f in no_settings.value.fields] == ["body.settings"]
    assert [v["version"] for v in await env.store.versions("370102", "repeat_calls")] == [1]
    [entry, *_] = await env.audit.query("370102")
    assert (entry["action"], entry["target"], entry["result"], entry["actor"]) == ("rule_table.save", "notice", "validation_failed", DIRECTOR.subject)
    assert entry["detail"] == {"fields": ["body.settings"]}
    with pytest.raises(RuleTableInvalid) as own_field:
        await env.store.save("370102", "notice", [], effective_from=T0, by=DIRECTOR, extra={"settings": {}, "version": 9})
    assert [f.loc for f in own_field.value.fields] == ["body.version"]


async def test_a_version_may_not_start_before_the_one_it_follows(env):
    await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 2}], effective_from=T0, by=DIRECTOR)
    with pytest.raises(RuleTableInvalid) as early:
        await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 3}],
                             effective_from=T0 - timedelta(days=1), by=DIRECTOR)
    assert [f.loc for f in early.value.fields] == ["body.effective_from"] and "version 1" in early.value.fields[0].message_en
    same = await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 3}], effective_from=T0, by=DIRECTOR)
    assert same["version"] == 2 and (await env.store.active("370102", "repeat_calls", T0))[0]["window_hours"] == 3


async def test_every_save_is_audited_with_who_saved_which_version(env):
    saved = await env.store.save("370102", "notice", [], effective_from=T0, by=DIRECTOR, extra={"settings": {"quiet_start": "23:00"}})
    [entry] = await env.audit.query("370102")
    assert (entry["action"], entry["target"], entry["result"]) == ("rule_table.save", "notice", "ok")
    assert (entry["actor"], entry["actor_tenant"], entry["roles"]) == (DIRECTOR.subject, "370102", ["centre_director"])
    assert entry["detail"] == {"version": saved["version"], "effective_from": "2026-10-31T16:00:00+00:00"}


async def test_times_come_back_as_the_database_keeps_them_and_reads_are_copies(env):
    start = datetime(2026, 11, 1, 8, 30, 0, 123456, tzinfo=CST)
    saved = await env.store.save("370102", "notice", [], effective_from=start, by=DIRECTOR, extra={"settings": {"a": [1, 2]}})
    expected = datetime(2026, 11, 1, 0, 30, 0, 123000, tzinfo=UTC)
    assert saved["effective_from"] == expected and saved["effective_from"].utcoffset() == timedelta(0)
    read = await env.store.active_version("370102", "notice", start)
    assert read["effective_from"] == expected and read["saved_at"].tzinfo is not None
    read["settings"]["a"].append(3)
    assert (await env.store.active_version("370102", "notice", start))["settings"] == {"a": [1, 2]}


async def test_tenants_are_apart(env):
    await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 2}], effective_from=T0, by=DIRECTOR)
    with pytest.raises(RuleTableMissing):
        await env.store.active("370124", "repeat_calls", T0)
    assert await env.audit.query("370124") == []


async def test_versions_an_earlier_release_left_open_are_read_highest_first_and_closed_by_the_next_save(env):
    for version, start in ((1, DEFAULTS_FROM), (2, T0)):  # dispatch used to leave every version open
        await env.raw("370102", "repeat_calls", {"name": "repeat_calls", "version": version, "effective_from": start,
                                                 "effective_to": None, "rows": [{"business_type": "*", "window_hours": version}], "by": "u-1"})
    assert (await env.store.active("370102", "repeat_calls", T0 + timedelta(days=1)))[0]["window_hours"] == 2
    assert (await env.store.active("370102", "repeat_calls", T0 - timedelta(days=1)))[0]["window_hours"] == 1
    later = T0 + timedelta(days=10)
    await env.store.save("370102", "repeat_calls", [{"business_type": "*", "window_hours": 3}], effective_from=later, by=DIRECTOR)
    history = await env.store.versions("370102", "repeat_calls")
    assert [(v["version"], v["effective_to"]) for v in history] == [(1, later), (2, later), (3, None)]
    assert (await env.store.active("370102", "repeat_calls", T0 + timedelta(days=1)))[0]["window_hours"] == 2
    assert history[0]["table"] == "repeat_calls"
