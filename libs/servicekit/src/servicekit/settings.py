"""Settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline_contracts.tenancy import TENANT_CODE_PATTERN

EMBEDDED_MONGO_URI = "mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false"


class ServiceSettings(BaseSettings):
    """Connection, tenancy, auth and logging settings; subclasses set `env_prefix`.

    The defaults point at the embedded stack (tansu on 9092, SecantusDB on 27017); real Kafka
    and MongoDB are a matter of setting the same variables.
    """

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    service_name: str = "service"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8100, ge=1, le=65535)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    # tansu never wakes a waiting fetch early, so the wait is the latency floor (docs/EMBEDDED-STACK.md).
    # Only consumers on a latency target poll that often; every other consumer polls at the
    # background wait, because each 10 ms poll costs the service and the broker CPU even when idle.
    kafka_fetch_max_wait_ms: int = Field(default=10, ge=1, le=5000)
    kafka_background_fetch_max_wait_ms: int = Field(default=250, ge=1, le=5000)

    mongo_uri: SecretStr = SecretStr(EMBEDDED_MONGO_URI)
    mongo_db_prefix: str = Field(default="hotline", pattern=r"^[a-z][a-z0-9_]{0,30}$")

    tier: Literal["province", "city", "county"] = "province"
    hosted_tenants: list[str] = Field(default_factory=lambda: ["37"])

    auth_issuer: str = "hotline-dev"
    auth_audience: str = "hotline"
    auth_jwks_url: str | None = None
    auth_jwks_path: str | None = ".devstack/jwks.json"

    log_level: str = "INFO"

    # Outbox relay (servicekit.outbox): one per process; the owner id must be unique per running process
    # (default: host + random suffix). A paused relay keeps every event stored with its state and
    # publishes nothing until it runs again (a broker migration; fault tests stop a service this way
    # after its state is stored and before its events are published).
    outbox_owner: str | None = Field(default=None, max_length=100)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_checkpoint_seconds: float = Field(default=1.0, gt=0, le=60)
    outbox_linger_seconds: float = Field(default=0.005, ge=0, le=1)
    outbox_stale_after_seconds: float = Field(default=30.0, gt=0, le=3600)
    outbox_paused: bool = False

    @field_validator("hosted_tenants")
    @classmethod
    def _tenant_codes(cls, codes: list[str]) -> list[str]:
        import re

        bad = [c for c in codes if not re.fullmatch(TENANT_CODE_PATTERN, c)]
        if bad:
            raise ValueError(f"not administrative division codes: {bad}")
        return codes

    def hosts(self, tenant: str) -> bool:
        """True when this deployment hosts `tenant` (its data lives here)."""
        return tenant in self.hosted_tenants
