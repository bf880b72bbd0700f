"""A tiny service built with the kit, for exercising its HTTP shell and auth without processes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Body, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from devstack.devtoken import ensure_dev_issuer
from hotline_contracts.events.ticket import TicketCreatedV1
from servicekit.access import Permissions
from servicekit.auth import Principal, current_principal
from servicekit.errors import not_found
from servicekit.http import body_spec, create_http_app, hot_path, read_body
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

# The kit's tests use a table of their own: the kit knows no service's actions.
KIT_PERMISSIONS = Permissions("kit-test", {})


class Order(BaseModel):
    phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    summary: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=1)


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/orders")
    async def create(order: Order, who: Principal = Depends(current_principal)) -> dict[str, str]:
        return {"tenant": who.tenant, "summary": order.summary}

    @router.post("/fast-orders", openapi_extra=body_spec(Order))
    @hot_path
    async def create_fast(request: Request) -> Response:
        who = await current_principal(request)
        order = await read_body(request, Order)
        if order.summary == "boom":
            raise RuntimeError("unexpected")
        return JSONResponse({"tenant": who.tenant, "summary": order.summary}, status_code=201)

    @router.post("/imports")
    async def import_csv(text: str = Body(media_type="text/csv")) -> dict[str, int]:
        return {"lines": len(text.splitlines())}

    @router.get("/orders/{order_id}")
    async def read(order_id: str) -> dict[str, str]:
        raise not_found("工单", "ticket")

    @router.get("/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError("unexpected")

    return router


@pytest.fixture
def issuer_dir(tmp_path: Path) -> Path:
    ensure_dev_issuer(tmp_path)
    return tmp_path


@pytest.fixture
def kit_settings(issuer_dir: Path) -> ServiceSettings:
    return ServiceSettings(service_name="kit-test", auth_jwks_path=str(issuer_dir / "jwks.json"), hosted_tenants=["37", "370102"])


@pytest.fixture
def kit_app(kit_settings: ServiceSettings) -> FastAPI:
    runtime = Runtime.build(kit_settings)
    return create_http_app(runtime, permissions=KIT_PERMISSIONS, title="kit", description="kit", routers=[_router()],
                           start_dependencies=False, body_models=[Order])


@pytest.fixture
async def kit_client(kit_app: FastAPI):
    transport = httpx.ASGITransport(app=kit_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        yield client


EXAMPLES = Path(__file__).parents[2] / "contracts" / "examples"


@pytest.fixture
def ticket_created() -> TicketCreatedV1:
    """The committed example TicketCreatedV1 payload (ticket 370102-20261126-000001)."""
    example = json.loads((EXAMPLES / "ticket.created.v1" / "example-1.json").read_text(encoding="utf-8"))
    return TicketCreatedV1.model_validate(dict(example["data"], ticket_id="370102-20261126-000001"))
