"""Analytics and reports settings; environment variables start with ANALYTICS_."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """统计报表服务配置 / Analytics and reports settings."""

    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    service_name: str = "analytics"
    http_port: int = 8105
    # Longest date range one summary or export may cover, and most rows in one export.
    report_max_days: int = Field(default=366, ge=1, le=3660)
    export_max_rows: int = Field(default=50_000, ge=1, le=1_000_000)
