"""The five services as the embedded stack runs them: module, port and environment."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceDef:
    """One service: its name, Python module, env prefix and port."""

    name: str
    module: str
    env_prefix: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SERVICES = (
    ServiceDef("intake", "intake", "INTAKE_", 8101),
    ServiceDef("dispatch", "dispatch", "DISPATCH_", 8102),
    ServiceDef("outage-notice", "outage_notice", "OUTAGE_NOTICE_", 8103),
    ServiceDef("survey", "survey", "SURVEY_", 8104),
    ServiceDef("analytics", "analytics", "ANALYTICS_", 8105),
)


def service_env(
    svc: ServiceDef,
    *,
    base_env: dict[str, str],
    kafka: str,
    mongo_uri: str,
    tenants: list[str],
    jwks_path: Path,
    port: int | None = None,
    db_prefix: str = "hotline",
) -> dict[str, str]:
    """The environment a service process gets: the same variable names compose and the chart use."""
    p = svc.env_prefix
    env = dict(base_env)
    env.update(
        {
            f"{p}HTTP_HOST": "127.0.0.1",
            f"{p}HTTP_PORT": str(port or svc.port),
            f"{p}KAFKA_BOOTSTRAP_SERVERS": kafka,
            f"{p}MONGO_URI": mongo_uri,
            f"{p}MONGO_DB_PREFIX": db_prefix,
            f"{p}TIER": "province",
            f"{p}HOSTED_TENANTS": json.dumps(tenants),
            f"{p}AUTH_JWKS_PATH": str(jwks_path),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def service_argv(svc: ServiceDef) -> list[str]:
    return [sys.executable, "-m", svc.module]
