"""Customer registry, knowledge base and rule-table API (客户档案、知识库、规则)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from hotline_contracts.events.customer import CustomerUpsertedV1
from intake.commands import PublishArticle, SearchArticles
from intake.deps import Deps
from intake.domain.model import Customer
from intake.entrypoints.translate import upsert_command
from intake.knowledge import publish_article, search_articles
from intake.permissions import authorize
from intake.projection import upsert_customer
from servicekit.auth import Principal, current_principal
from servicekit.errors import FieldError, invalid, not_found
from servicekit.i18n import field_errors
from servicekit.masking import mask_address, mask_phone

CSV_EXAMPLE = "account_no,name,phone,address,unit_code,station_code,feeder_code,ta_code,area_class,important,dedicated_transformer,arrears_status,updated_at\n3701020458,王建国,13805310001,济南市历下区泉城路188号,370102,GDS-370102-03,10kV-QC-112,TA-370102-0457,urban,false,false,none,2026-11-26T09:00:00+08:00\n"


class ArticleIn(BaseModel):
    """知识条目（新版本）; a new version of an article."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "article_id": "KB-0012", "title": "阶梯电价计算方法", "category": "电价电费", "body": "居民阶梯电价按年度累计用电量分三档……",
        "effective_from": "2026-01-01T00:00:00+08:00"}]})

    article_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    title: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=64)
    body: str = Field(min_length=1, max_length=20000)
    effective_from: datetime
    effective_to: datetime | None = None


class RuleTableIn(BaseModel):
    """规则表新版本; a new effective-dated version of a rule table."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "effective_from": "2026-12-01T00:00:00+08:00", "rows": [{"business_type": "*", "window_hours": 48}]}]})

    effective_from: AwareDatetime
    effective_to: datetime | None = Field(default=None, description="由下一版本的生效时间决定，须为空; set when the next version is saved: leave it empty")
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=500)


def _customer_view(c: Customer, masked: bool) -> dict[str, Any]:
    view = dict(c.__dict__)
    if masked:
        view.update(phone=mask_phone(c.phone), address=mask_address(c.address))
    return view


def customers_router(deps: Deps) -> APIRouter:
    router = APIRouter(prefix="/api/v1/customers", tags=["客户档案 customers"])
    directory = deps.customers

    @router.get("", summary="查找客户（脱敏） / find customers by account, phone or address (masked)")
    async def find(
        principal: Principal = Depends(current_principal),
        account_no: Annotated[str | None, Query(pattern=r"^\d{10}$")] = None,
        phone: Annotated[str | None, Query(pattern=r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")] = None,
        address: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    ) -> list[dict[str, Any]]:
        tenants = [t for t in deps.routing.readable(principal)]
        for t in tenants:
            authorize(principal, "customer.read", t)
        if account_no:
            groups = [[c] if c else [] for c in await asyncio.gather(*(directory.by_account(t, account_no) for t in tenants))]
        elif phone:
            groups = await asyncio.gather(*(directory.by_phone(t, phone) for t in tenants))
        elif address:
            groups = await asyncio.gather(*(directory.by_address(t, address, 20) for t in tenants))
        else:
            raise invalid("请提供户号、电话或地址", "give an account number, phone or address", fields=[FieldError("query", "缺少查询条件", "no search term")])
        return [_customer_view(c, masked=True) for group in groups for c in group]

    @router.get("/{account_no}", summary="客户档案（完整） / one customer, unmasked for authorised users")
    async def read(account_no: str, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = await deps.routing.tenant_for(principal, unit=None, account_no=account_no, phone=None)
        authorize(principal, "customer.read", tenant)
        customer = await directory.by_account(tenant, account_no)
        if customer is None:
            raise not_found("客户", "customer")
        return _customer_view(customer, masked=False)

    @router.post("/import", summary="CSV 导入客户档案 / import customers from CSV",
                 openapi_extra={"requestBody": {"content": {"text/csv": {"example": CSV_EXAMPLE}}}})
    async def import_csv(principal: Principal = Depends(current_principal), text: str = Body(media_type="text/csv", examples=[CSV_EXAMPLE])) -> dict[str, int]:
        records, problems = _parse_csv(text)
        if problems:
            raise invalid("CSV 数据有误，未导入", "CSV rows invalid, nothing imported", fields=problems)
        for record in records:
            authorize(principal, "customer.import", record.unit_code)
        stored = 0
        for record in records:
            stored += await upsert_customer(*upsert_command(record), deps=deps)
        for tenant in {r.unit_code for r in records}:
            deps.audit.record(tenant, actor=principal, action="customer.import", target=f"{len(records)} rows", result="ok")
        return {"rows": len(records), "stored": stored}

    return router


def _parse_csv(text: str) -> tuple[list[CustomerUpsertedV1], list[FieldError]]:
    records, problems = [], []
    for i, row in enumerate(csv.DictReader(io.StringIO(text.lstrip("\ufeff")))):
        values: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
        for flag in ("important", "dedicated_transformer"):
            if flag in values:
                values[flag] = values[flag].strip().lower() in ("1", "true", "yes", "是")
        values.pop("channels", None)
        try:
            records.append(CustomerUpsertedV1.model_validate(values))
        except ValidationError as exc:
            for f in field_errors(list(exc.errors())):
                problems.append(FieldError(f"body.rows.{i}.{f.loc.split('.')[-1]}", f.message_zh, f.message_en))
    if not records and not problems:
        problems.append(FieldError("body", "CSV 无数据行", "CSV has no rows"))
    return records, problems


def knowledge_router(deps: Deps) -> APIRouter:
    router = APIRouter(prefix="/api/v1/knowledge", tags=["知识库 knowledge"])

    @router.post("/articles", status_code=201, summary="发布知识条目新版本 / publish an article version (shift leaders)")
    async def create(body: ArticleIn, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        authorize(principal, "knowledge.write", principal.tenant)
        if principal.tenant not in deps.hosted:
            raise not_found("单位", "unit")
        saved = await publish_article(principal.tenant, PublishArticle(**body.model_dump(), author=principal.subject), deps=deps)
        deps.audit.record(principal.tenant, actor=principal, action="knowledge.write", target=saved.article_id, result="ok")
        return dict(saved.__dict__)

    @router.get("/search", summary="知识库检索（中文分词） / Chinese full-text search")
    async def find(q: Annotated[str, Query(min_length=1, max_length=200)], principal: Principal = Depends(current_principal)) -> list[dict[str, Any]]:
        authorize(principal, "knowledge.read", principal.tenant)
        hits = await search_articles(principal.tenant, SearchArticles(q, datetime.now(UTC)), deps=deps)
        return [{**a.__dict__, "score": round(score, 3)} for a, score in hits]

    return router


def rules_router(deps: Deps) -> APIRouter:
    router = APIRouter(prefix="/api/v1/rules", tags=["规则 rules"])
    names = tuple(deps.rules_admin.tables)

    @router.get("/{name}", summary="当前生效规则 / the rule table in force")
    async def read(name: str, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        if name not in names:
            raise not_found("规则表", "rule table")
        authorize(principal, "rules.read", principal.tenant)
        return await deps.rules_admin.active_version(_own(deps, principal), name, datetime.now(UTC))

    @router.put("/{name}", status_code=201, summary="保存规则新版本（校验） / save a validated new version")
    async def save(name: str, body: RuleTableIn, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        if name not in names:
            raise not_found("规则表", "rule table")
        tenant = _own(deps, principal)
        authorize(principal, "rules.write", tenant)
        if body.effective_to is not None:
            raise invalid("规则表校验失败", "rule table is invalid", code="validation_failed", fields=[FieldError(
                "body.effective_to", "失效时间由下一版本的生效时间决定", "a version ends where the next one starts: leave effective_to empty")])
        # Validated per table and audited by the store (servicekit.rules).
        saved = await deps.rules_admin.save(tenant, name, body.rows, effective_from=body.effective_from, by=principal)
        deps.rules.invalidate(tenant, name)
        return {"name": name, "version": saved["version"]}

    return router


def _own(deps: Deps, principal: Principal) -> str:
    if principal.tenant not in deps.hosted:
        raise not_found("单位", "unit")
    return principal.tenant
