"""Outage notice settings; environment variables start with OUTAGE_NOTICE_."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """停电信息服务配置 / Outage notice settings."""

    model_config = SettingsConfigDict(env_prefix="OUTAGE_NOTICE_", extra="ignore")

    service_name: str = "outage-notice"
    http_port: int = 8103

    # Where notices go: "file" = JSON lines under notify_sink_dir (embedded stack), "http_sms" = an SMS gateway.
    notify_gateway: Literal["file", "http_sms"] = "file"
    notify_sink_dir: str = ".devstack/notices"
    sms_gateway_url: str | None = None
    sms_gateway_username: str | None = None
    sms_gateway_password: SecretStr | None = None

    # The scheduler queues re-notices and sends due notices; it also reloads the in-memory outage index
    # so changes made by another replica are seen within one interval.
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = Field(default=5.0, gt=0)
    notice_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Recipients per stored notice batch (one document per outage, notice kind, channel and chunk).
    notice_chunk_size: int = Field(default=1000, ge=1, le=1000)
    # Account → grid position cache for lookups (repeat IVR/agent calls during an outage); 0 turns it off.
    # Entries expire after the TTL so a customer moved to another transformer area is seen within it.
    place_cache_size: int = Field(default=50_000, ge=0)
    place_cache_ttl_seconds: float = Field(default=60.0, gt=0)
    # Time zone the scripts and notice texts are written in.
    display_timezone: str = "Asia/Shanghai"
