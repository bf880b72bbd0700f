"""Intake settings; environment variables start with INTAKE_."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """受理服务配置 / Intake settings."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    http_port: int = 8101
    consumer_group: str = Field(default="intake", min_length=1, max_length=100)
    # Caches in front of the database: a call storm must not read the outage table per call.
    outage_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    rules_cache_seconds: float = Field(default=30.0, ge=0, le=3600)
    order_number_block: int = Field(default=200, ge=1, le=100_000)
    # Audit records and outage call counts: small, frequent writes keep order latency flat.
    flush_seconds: float = Field(default=0.05, gt=0, le=60)
