"""Caller identity from a verified JWT bearer token (JWKS): user, tenant (org unit) and roles (身份认证)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from fastapi import Request

from hotline_contracts.tenancy import TENANT_CODE_PATTERN
from servicekit.errors import AppError, forbidden, unauthorized
from servicekit.settings import ServiceSettings

# Asymmetric only: an HMAC algorithm would let anyone holding the public key sign (key confusion).
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
_KEY_TYPES = {"RSA", "EC"}
KINDS = ("user", "service")
MIN_REFRESH_SECONDS = 10.0  # an unknown kid refreshes the JWKS at most this often (forged kids must not flood the IdP)


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
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._loaded_at = -1e9
        self._file_mtime: float | None = None

    async def jwk_for(self, kid: str | None) -> jwt.PyJWK:
        """The key for `kid` (a lone key also answers tokens without a kid), or 401."""
        age = time.monotonic() - self._loaded_at
        if age > self.ttl or self._file_changed() or (kid not in self._keys and age > MIN_REFRESH_SECONDS):
            await self._load()
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        if kid not in self._keys:
            raise unauthorized("令牌签名密钥未知", "unknown signing key", code="unknown_key")
        return self._keys[kid]

    async def key_for(self, kid: str | None) -> Any:
        return (await self.jwk_for(kid)).key

    def _file_changed(self) -> bool:
        if self.url or not self.path:
            return False
        try:
            return Path(self.path).stat().st_mtime != self._file_mtime
        except OSError:
            return False

    async def _load(self) -> None:
        if self.url:
            async with httpx.AsyncClient(timeout=5.0) as client:
                try:
                    response = await client.get(self.url)
                    response.raise_for_status()
                    document = response.json()
                except (httpx.HTTPError, ValueError):
                    if self._keys:  # keep serving the keys we have while the provider is down
                        self._loaded_at = time.monotonic()
                        return
                    raise unauthorized("认证服务不可用", "identity provider unavailable", code="jwks_unavailable") from None
        elif self.path and (read := await asyncio.to_thread(_read_jwks_file, Path(self.path))) is not None:
            self._file_mtime, document = read
        else:
            raise unauthorized("认证未配置", "authentication is not configured", code="auth_not_configured")
        self._keys = _signing_keys(document)
        self._loaded_at = time.monotonic()


def _read_jwks_file(path: Path) -> tuple[float, dict[str, Any]] | None:
    """(mtime, document) of a JWKS file, None when there is none; run in a thread, off the event loop."""
    if not path.exists():
        return None
    return path.stat().st_mtime, json.loads(path.read_text(encoding="utf-8"))


def _signing_keys(document: dict[str, Any]) -> dict[str | None, jwt.PyJWK]:
    """Public signature keys only: symmetric (`oct`) and encryption keys in a JWKS are ignored."""
    keys: dict[str | None, jwt.PyJWK] = {}
    for jwk in document.get("keys", []):
        if jwk.get("kty") not in _KEY_TYPES or jwk.get("use", "sig") != "sig" or "d" in jwk:
            continue
        try:
            parsed = jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            continue
        if parsed.algorithm_name in ALGORITHMS:
            keys[jwk.get("kid")] = parsed
    return keys


class TokenVerifier:
    """Checks signature, expiry, audience and issuer; tenant and roles come only from the token.

    A token that verified is remembered for at most `cache_seconds` (and never past its `exp`):
    an agent console sends the same token with every request, and the RSA check and JWT parsing
    were a tenth of an order's CPU. The cache key is the whole token, so any change to it is a
    miss; a key withdrawn from the JWKS stops being honoured within `cache_seconds`.
    """

    def __init__(self, settings: ServiceSettings, keys: JwksKeys | None = None, *, cache_seconds: float = 60.0,
                 cache_size: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self.keys = keys or JwksKeys(url=settings.auth_jwks_url, path=settings.auth_jwks_path)
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self.clock = clock
        self._verified: dict[str, tuple[float, Principal]] = {}

    async def verify(self, token: str) -> Principal:
        now = self.clock()
        hit = self._verified.get(token)
        if hit is not None and now < hit[0]:
            return hit[1]
        self._verified.pop(token, None)
        principal = await self._verify(token)
        if len(self._verified) >= self.cache_size:
            self._verified.pop(next(iter(self._verified)))  # oldest first: dicts keep insertion order
        exp = float(principal.claims.get("exp", now))
        self._verified[token] = (min(now + self.cache_seconds, exp), principal)
        return principal

    async def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("令牌格式错误", "malformed token", code="malformed_token") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise unauthorized("令牌算法不被接受", "token algorithm not accepted", code="bad_algorithm")
        jwk = await self.keys.jwk_for(header.get("kid"))
        if jwk.algorithm_name != alg:
            # The header may not choose the algorithm: the key decides (RS256 key, RS256 token only).
            raise unauthorized("令牌算法不被接受", "token algorithm not accepted", code="bad_algorithm")
        try:
            claims = jwt.decode(
                token,
                jwk.key,
                algorithms=[alg],
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
    kind = claims.get("kind", "user")
    if (
        not isinstance(tenant, str)
        or not re.fullmatch(TENANT_CODE_PATTERN, tenant)
        or not isinstance(roles, list)
        or not all(isinstance(r, str) for r in roles)
        or kind not in KINDS
    ):
        raise unauthorized("令牌缺少租户或角色", "token lacks tenant or roles", code="incomplete_token")
    return Principal(
        subject=str(claims["sub"]),
        tenant=tenant,
        roles=frozenset(roles),
        name=str(claims.get("name", "")),
        kind=kind,
        claims=claims,
    )


def presented_subject(token: str) -> str | None:
    """The `sub` an unverified token claims, for the audit log of a refusal (never the token itself)."""
    try:
        sub = jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return None
    return str(sub)[:128] if isinstance(sub, (str, int)) else None


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("缺少身份令牌", "missing bearer token", code="missing_token")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = await verifier.verify(token.strip())
    except AppError:
        request.state.presented_subject = presented_subject(token.strip())
        raise
    request.state.principal = principal
    return principal


def require_roles(principal: Principal, *roles: str) -> None:
    """403 unless the caller holds one of `roles`."""
    if not principal.has_any(*roles):
        raise forbidden(code="role_required")


__all__ = ["AppError", "JwksKeys", "Principal", "TokenVerifier", "current_principal", "presented_subject", "require_roles"]
