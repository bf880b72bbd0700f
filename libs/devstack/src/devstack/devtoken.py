"""The local stack's own token issuer: a generated key pair, its JWKS file, and signed dev tokens.

Development only. Services never sign tokens: `servicekit.auth.TokenVerifier` verifies them against
the JWKS this module writes (`AUTH_JWKS_PATH`) or a real identity provider's (`AUTH_JWKS_URL`).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "dev-issuer-key.pem"
JWKS_FILE = "jwks.json"
KID = "hotline-dev-1"


def ensure_dev_issuer(directory: Path) -> Path:
    """Create the dev signing key and JWKS in `directory` once (never committed: .devstack/ is ignored)."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / KEY_FILE
    if not key_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        key_path.write_bytes(pem)
        key_path.chmod(0o600)
    private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError(f"{key_path} holds a {type(private).__name__}, not the RSA key RS256 signs with")
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": KID, "use": "sig", "alg": "RS256"})
    (directory / JWKS_FILE).write_text(json.dumps({"keys": [jwk]}, indent=2), encoding="utf-8")
    return key_path


def issue_token(
    key_path: Path,
    *,
    subject: str,
    tenant: str,
    roles: list[str],
    name: str = "",
    kind: str = "user",
    issuer: str = "hotline-dev",
    audience: str = "hotline",
    ttl_seconds: int = 8 * 3600,
    kid: str = KID,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": subject,
        "name": name,
        "tenant": tenant,
        "roles": roles,
        "kind": kind,
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key_path.read_bytes(), algorithm="RS256", headers={"kid": kid})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="签发本地开发令牌 / issue a development token for the local stack")
    parser.add_argument("--tenant", required=True, help="org unit code, e.g. 37, 3701, 370102")
    parser.add_argument("--roles", default="agent", help="comma-separated, e.g. agent,shift_leader")
    parser.add_argument("--sub", default=None, help="user id (default: dev-<tenant>)")
    parser.add_argument("--name", default="开发用户")
    parser.add_argument("--kind", default="user", choices=["user", "service"])
    parser.add_argument("--ttl", type=int, default=8 * 3600)
    parser.add_argument("--dir", default=".devstack", help="where the dev issuer key lives")
    args = parser.parse_args(argv)
    key = ensure_dev_issuer(Path(args.dir))
    roles = [r for r in args.roles.split(",") if r]
    print(issue_token(key, subject=args.sub or f"dev-{args.tenant}", tenant=args.tenant, roles=roles, name=args.name, kind=args.kind, ttl_seconds=args.ttl))


if __name__ == "__main__":
    main()
