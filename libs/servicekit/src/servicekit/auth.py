"""Caller identity from a verified JWT bearer token (JWKS): user, tenant (org unit) and roles."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from fastapi import Request

from servicekit.errors import AppError, forbidden, unauthorized
from servicekit.settings import ServiceSettings

ALGORITHMS = ["RS256", "ES256"]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. `tenant` is the org unit the token was issued for (its scope)."""

    subject: str
    tenant: str
    roles: frozenset[str]
    name: str = ""
    kind: str = "user"  # "user" or "service" (external systems' service accounts)
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class JwksKeys:
    """Signing keys from a JWKS file (local stack) or URL (OIDC provider), cached and refreshed on unknown kid."""

    def __init__(self, *, url: str | None, path: str | None, ttl_seconds: float = 300.0) -> None:
        self.url = url
        self.path = path
        self.ttl = ttl_seconds
        self._keys: dict[str, Any] = {}
        self._loaded_at = 0.0

    async def key_for(self, kid: str | None) -> Any:
        stale = time.monotonic() - self._loaded_at > self.ttl
        if stale or (kid not in self._keys):
            await self._load()
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        if kid not in self._keys:
            raise unauthorized("令牌签名密钥未知", "unknown signing key", code="unknown_key")
        return self._keys[kid]

    async def _load(self) -> None:
        if self.url:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                document = response.json()
        elif self.path and Path(self.path).exists():
            document = json.loads(Path(self.path).read_text(encoding="utf-8"))
        else:
            raise unauthorized("认证未配置", "authentication is not configured", code="auth_not_configured")
        keys = {}
        for jwk in document.get("keys", []):
            keys[jwk.get("kid")] = jwt.PyJWK(jwk).key
        self._keys = keys
        self._loaded_at = time.monotonic()


class TokenVerifier:
    """Checks signature, expiry, audience and issuer; tenant and roles come only from the token."""

    def __init__(self, settings: ServiceSettings, keys: JwksKeys | None = None) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self.keys = keys or JwksKeys(url=settings.auth_jwks_url, path=settings.auth_jwks_path)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("令牌格式错误", "malformed token", code="malformed_token") from None
        if header.get("alg") not in ALGORITHMS:
            raise unauthorized("令牌算法不被接受", "token algorithm not accepted", code="bad_algorithm")
        key = await self.keys.key_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("令牌已过期", "token expired", code="token_expired") from None
        except jwt.PyJWTError:
            raise unauthorized("令牌无效", "invalid token", code="invalid_token") from None
        return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    tenant = claims.get("tenant")
    roles = claims.get("roles")
    if not isinstance(tenant, str) or not isinstance(roles, list):
        raise unauthorized("令牌缺少租户或角色", "token lacks tenant or roles", code="incomplete_token")
    return Principal(
        subject=str(claims["sub"]),
        tenant=tenant,
        roles=frozenset(str(r) for r in roles),
        name=str(claims.get("name", "")),
        kind=str(claims.get("kind", "user")),
        claims=claims,
    )


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("缺少身份令牌", "missing bearer token", code="missing_token")
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(token.strip())
    request.state.principal = principal
    return principal


def require_roles(principal: Principal, *roles: str) -> None:
    """403 unless the caller holds one of `roles`."""
    if not principal.has_any(*roles):
        raise forbidden(code="role_required")


__all__ = ["AppError", "JwksKeys", "Principal", "TokenVerifier", "current_principal", "require_roles"]
