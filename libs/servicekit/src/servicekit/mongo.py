"""MongoDB access: one AsyncMongoClient per service, one database per tenant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.errors import AppError
from servicekit.settings import ServiceSettings

Document = dict[str, Any]  # what the client hands back: BSON documents as plain dicts


def make_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    """Lazy client: nothing connects until the first operation (so import and start-up never block)."""
    return AsyncMongoClient(
        settings.mongo_uri.get_secret_value(),
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        tz_aware=True,
        appname=settings.service_name,
    )


class TenantDatabases:
    """Hands out a tenant's own database, and refuses tenants this deployment does not host."""

    def __init__(self, client: AsyncMongoClient[Document], settings: ServiceSettings) -> None:
        self.client = client
        self.prefix = settings.mongo_db_prefix
        self.hosted = frozenset(settings.hosted_tenants)

    def for_tenant(self, tenant: str) -> AsyncDatabase[Document]:
        if tenant not in self.hosted:
            # 404-shaped on purpose: the caller learns nothing about tenants hosted elsewhere.
            raise AppError("租户不存在", "tenant not found", code="tenant_not_hosted", status=404)
        return self.client[f"{self.prefix}_{tenant}"]

    def platform(self) -> AsyncDatabase[Document]:
        """Deployment-wide configuration (the org-unit tree), not tenant data."""
        return self.client[f"{self.prefix}_platform"]


async def ping(client: AsyncMongoClient[Document]) -> None:
    await client.admin.command("ping")


async def drop_superseded_indexes(collection: Any, names: Iterable[str]) -> list[str]:
    """Drop indexes an earlier release created and this one replaced; returns those dropped.

    Every index costs each insert its upkeep, so a replaced one must not linger in old databases.
    """
    present = await collection.index_information()
    dropped = [name for name in names if name in present]
    for name in dropped:
        await collection.drop_index(name)
    return dropped
