"""Return visit and survey settings; environment variables start with SURVEY_."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    """回访与调查服务配置 / Return visit and survey settings."""

    model_config = SettingsConfigDict(env_prefix="SURVEY_", extra="ignore")

    service_name: str = "survey"
    http_port: int = 8104
