"""Rule tables over HTTP (规则配置): read the version in force, save a new effective-dated version (validated)."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Body, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from hotline_contracts.events.common import OutageType
from outage_notice.deps import Deps
from outage_notice.permissions import authorize
from outage_notice.service import LEAD_TIME, NOTICE
from servicekit.audit import is_access_refusal
from servicekit.auth import Principal, current_principal
from servicekit.errors import AppError, not_found
from servicekit.runtime import Runtime

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class LeadRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outage_type: OutageType | Literal["*"]
    min_lead_minutes: int = Field(ge=0, le=60 * 24 * 90)


class LeadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    change_notice_minutes: int = Field(ge=0, le=60 * 24 * 7)


class LeadTimeTable(BaseModel):
    """报送提前量规则表; a "*" row covers every type not listed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "rows": [{"outage_type": "planned", "min_lead_minutes": 10080}, {"outage_type": "orderly_use", "min_lead_minutes": 1440},
                 {"outage_type": "*", "min_lead_minutes": 30}],
        "settings": {"change_notice_minutes": 60}, "effective_from": "2027-01-01T00:00:00+08:00",
    }]})
    description: str | None = Field(default=None, max_length=500)
    rows: list[LeadRow] = Field(min_length=1)
    settings: LeadSettings
    effective_from: AwareDatetime | None = None

    @field_validator("rows")
    @classmethod
    def _one_row_per_type_and_a_default(cls, rows: list[LeadRow]) -> list[LeadRow]:
        types = [str(r.outage_type) for r in rows]
        if len(set(types)) != len(types) or "*" not in types:
            raise ValueError("one row per outage type, plus a '*' row for the others")
        return rows


class NoticeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quiet_start: str = Field(pattern=HHMM)
    quiet_end: str = Field(pattern=HHMM)
    timezone: str
    renotice_before_minutes: int = Field(ge=0, le=24 * 60)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value


class NoticeTable(BaseModel):
    """通知规则表: quiet hours and the re-notice lead."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "settings": {"quiet_start": "22:00", "quiet_end": "07:00", "timezone": "Asia/Shanghai", "renotice_before_minutes": 30},
    }]})
    description: str | None = Field(default=None, max_length=500)
    rows: list[dict[str, Any]] = Field(default_factory=list, max_length=0)
    settings: NoticeSettings
    effective_from: AwareDatetime | None = None


MODELS: dict[str, type[BaseModel]] = {LEAD_TIME: LeadTimeTable, NOTICE: NoticeTable}


def rules_router(runtime: Runtime, deps: Deps) -> APIRouter:
    router = APIRouter(prefix="/api/v1/outage-rules", tags=["规则 rules"])

    def model_for(name: str) -> type[BaseModel]:
        if name not in MODELS:
            raise not_found("规则表", "rule table")
        return MODELS[name]

    @router.get("/{name}", summary="现行规则 / the version in force")
    async def read(name: str, at: AwareDatetime | None = None, unit: str | None = Query(default=None),
                   who: Principal = Depends(current_principal)) -> dict[str, Any]:
        model_for(name)
        tenant = unit or who.tenant
        authorize(who, "rules.read", tenant)
        return await deps.rules.effective(tenant, name, at or deps.clock.now())

    @router.put("/{name}", summary="保存新版本 / save a new version (validated)")
    async def save(name: str, table: dict[str, Any] = Body(openapi_examples={"lead_time": {"value": LeadTimeTable.model_config["json_schema_extra"]["examples"][0]}}),
                   unit: str | None = Query(default=None), who: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = unit or who.tenant
        try:
            authorize(who, "rules.write", tenant)
            parsed = _validate(model_for(name), table)
            doc = parsed.model_dump(mode="json", exclude_none=True) | {"effective_from": getattr(parsed, "effective_from", None)}
            saved = await deps.rules.save(tenant, name, doc, who.subject)
        except AppError as exc:
            if runtime.settings.hosts(tenant) and not is_access_refusal(exc):
                await runtime.audit.record(tenant, actor=who, action="rules.write", target=name, result=exc.code)
            raise
        await runtime.audit.record(tenant, actor=who, action="rules.write", target=name, result="ok", detail={"version": saved["version"]})
        return saved

    return router


def _validate(model: type[BaseModel], table: dict[str, Any]) -> BaseModel:
    from fastapi.exceptions import RequestValidationError
    from pydantic import ValidationError

    try:
        return model.model_validate(table)
    except ValidationError as exc:
        raise RequestValidationError([dict(e, loc=("body", *e["loc"])) for e in exc.errors()]) from None
