"""Outage notice settings; environment variables start with OUTAGE_NOTICE_."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """停电信息服务配置 / Outage notice settings."""

    model_config = SettingsConfigDict(env_prefix="OUTAGE_NOTICE_", extra="ignore")

    service_name: str = "outage-notice"
    http_port: int = 8103
