"""Dispatch settings; environment variables start with DISPATCH_."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """调度服务配置 / Dispatch settings."""

    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    service_name: str = "dispatch"
    http_port: int = 8102
    # How often the time-limit scanner evaluates every open order (0 switches it off).
    scan_interval_seconds: float = Field(default=30.0, ge=0)
    # Kafka consumer group of the dispatch consumers (tests use a fresh one per run).
    consumer_group: str = "dispatch"
