"""Token hardening: algorithm confusion, unknown keys, JWKS refresh, claims only from the token."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from devstack.devtoken import KID, ensure_dev_issuer, issue_token
from servicekit.auth import TokenVerifier, presented_subject
from servicekit.errors import AppError
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.unit


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _claims(**over) -> dict:
    now = int(time.time())
    claims = {"sub": "u-37-0001", "tenant": "37", "roles": ["agent"], "iss": "hotline-dev", "aud": "hotline", "iat": now, "exp": now + 600}
    claims.update(over)
    return claims


@pytest.fixture
def issuer(tmp_path):
    return ensure_dev_issuer(tmp_path)


@pytest.fixture
def verifier(tmp_path, issuer):
    return TokenVerifier(ServiceSettings(auth_jwks_path=str(tmp_path / "jwks.json")))


async def code_of(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AppError) as caught:
        await verifier.verify(token)
    assert caught.value.status == 401
    return caught.value.code


async def test_a_dev_token_yields_tenant_and_roles_from_its_claims(verifier, issuer):
    principal = await verifier.verify(issue_token(issuer, subject="u-370102-0001", tenant="370102", roles=["unit_staff"]))
    assert (principal.subject, principal.tenant, principal.roles, principal.kind) == (
        "u-370102-0001", "370102", frozenset({"unit_staff"}), "user")


async def test_alg_none_is_refused(verifier):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': KID})}.{_b64(_claims())}."
    assert await code_of(verifier, token) == "bad_algorithm"


async def test_hs256_signed_with_the_public_key_is_refused(verifier, issuer):
    # The classic confusion attack: the attacker knows the public key and uses it as an HMAC secret.
    public_pem = serialization.load_pem_private_key(issuer.read_bytes(), None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': KID})}.{_b64(_claims(roles=['centre_director']))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert await code_of(verifier, token) == "bad_algorithm"


async def test_a_header_naming_another_asymmetric_algorithm_than_the_key_is_refused(verifier):
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(_claims(), other, algorithm="ES256", headers={"kid": KID})
    assert await code_of(verifier, token) == "bad_algorithm"


async def test_a_token_without_exp_or_with_a_bad_tenant_or_kind_is_refused(verifier, issuer):
    key = issuer.read_bytes()
    no_exp = {k: v for k, v in _claims().items() if k != "exp"}
    assert await code_of(verifier, jwt.encode(no_exp, key, algorithm="RS256", headers={"kid": KID})) == "invalid_token"
    bad_tenant = jwt.encode(_claims(tenant="37; drop"), key, algorithm="RS256", headers={"kid": KID})
    assert await code_of(verifier, bad_tenant) == "incomplete_token"
    bad_kind = jwt.encode(_claims(kind="root"), key, algorithm="RS256", headers={"kid": KID})
    assert await code_of(verifier, bad_kind) == "incomplete_token"


async def test_an_unknown_kid_reloads_the_jwks_so_a_rotated_key_is_accepted(tmp_path, verifier, issuer):
    await verifier.verify(issue_token(issuer, subject="a", tenant="37", roles=["agent"]))
    rotated_dir = tmp_path / "rotated"
    rotated = ensure_dev_issuer(rotated_dir)
    jwks = json.loads((tmp_path / "jwks.json").read_text())
    new_key = json.loads((rotated_dir / "jwks.json").read_text())["keys"][0] | {"kid": "hotline-dev-2"}
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": jwks["keys"] + [new_key]}))
    principal = await verifier.verify(issue_token(rotated, subject="b", tenant="37", roles=["agent"], kid="hotline-dev-2"))
    assert principal.subject == "b"
    assert await code_of(verifier, issue_token(rotated, subject="c", tenant="37", roles=["agent"], kid="nobody")) == "unknown_key"


async def test_symmetric_keys_in_a_jwks_are_never_used(tmp_path, verifier):
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{"kty": "oct", "kid": "shared", "k": _b64({"x": 1}), "alg": "HS256"}]}))
    token = jwt.encode(_claims(), b"x" * 32, algorithm="HS256", headers={"kid": "shared"})
    assert await code_of(verifier, token) == "bad_algorithm"


def test_presented_subject_reads_an_unverified_sub_but_nothing_from_garbage():
    assert presented_subject(f"{_b64({'alg': 'none'})}.{_b64({'sub': 'mallory'})}.") == "mallory"
    assert presented_subject("not-a-jwt") is None
