"""Rule tables over HTTP (规则配置): read the version in force, save a new effective-dated version (validated)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError

from outage_notice.deps import Deps
from outage_notice.permissions import authorize
from outage_notice.rule_tables import MODELS, LeadTimeTable
from servicekit.auth import Principal, current_principal
from servicekit.errors import not_found
from servicekit.runtime import Runtime


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
        return await deps.rules.active_version(tenant, name, at or deps.clock.now())

    @router.put("/{name}", summary="保存新版本 / save a new version (validated)")
    async def save(name: str, table: dict[str, Any] = Body(openapi_examples={"lead_time": {"value": LeadTimeTable.model_config["json_schema_extra"]["examples"][0]}}),
                   unit: str | None = Query(default=None), who: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = unit or who.tenant
        authorize(who, "rules.write", tenant)
        model = model_for(name)
        start = _effective_from(table.get("effective_from")) or deps.clock.now()
        # A valid table is stored as its model writes it; an invalid one goes on as sent, for the store to refuse.
        with contextlib.suppress(ValidationError):
            table = model.model_validate(table).model_dump(mode="json", exclude_none=True)
        extra = {k: v for k, v in table.items() if k not in ("rows", "effective_from") and v is not None}
        # Checked per table (RULE_TABLES), refused field by field and audited by the store (servicekit.rules).
        return await deps.rules.save(tenant, name, table.get("rows", []), effective_from=start, by=who, extra=extra)

    return router


def _effective_from(value: Any) -> datetime | None:
    try:
        return _START.validate_python(value)
    except ValidationError as exc:
        raise RequestValidationError([dict(e, loc=("body", "effective_from", *e["loc"])) for e in exc.errors()]) from None


_START: TypeAdapter[datetime | None] = TypeAdapter(AwareDatetime | None)
