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
    # How long a crew report read before its predecessor (a completion before the arrival) waits for it,
    # and how often held reports are checked; then it is dead-lettered with the reason.
    crew_event_hold_seconds: float = Field(default=300.0, gt=0)
    crew_event_sweep_seconds: float = Field(default=5.0, gt=0)
    # Kafka consumer group of the dispatch consumers (tests use a fresh one per run).
    consumer_group: str = "dispatch"
