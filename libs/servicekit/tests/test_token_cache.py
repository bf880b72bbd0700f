"""The verified-token cache: fast for the console's repeated token, never a way around expiry or key withdrawal."""

import json

import pytest

from devstack.devtoken import ensure_dev_issuer, issue_token
from servicekit.auth import TokenVerifier
from servicekit.errors import AppError
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer(tmp_path):
    return ensure_dev_issuer(tmp_path)


def make_verifier(tmp_path, clock: Clock) -> TokenVerifier:
    return TokenVerifier(ServiceSettings(auth_jwks_path=str(tmp_path / "jwks.json")), cache_seconds=60, cache_size=2, clock=clock)


async def test_a_cached_token_is_refused_once_it_expires(tmp_path, issuer):
    import time

    now = time.time()
    clock = Clock(now)
    verifier = make_verifier(tmp_path, clock)
    short = issue_token(issuer, subject="u-1", tenant="37", roles=["agent"], ttl_seconds=40)
    await verifier.verify(short)
    assert verifier._verified[short][0] == pytest.approx(now + 40, abs=1)  # the entry ends at exp, not after the cache period
    # A token remembered while valid, asked for after its exp (+ the 30 s leeway): full check again, refused.
    stale = issue_token(issuer, subject="u-1", tenant="37", roles=["agent"], ttl_seconds=40, now=now - 100)
    verifier._verified[stale] = (now - 60, (await verifier.verify(short)))
    with pytest.raises(AppError) as refused:
        await verifier.verify(stale)
    assert refused.value.code == "token_expired"


async def test_a_withdrawn_signing_key_stops_working_after_the_cache_period(tmp_path, issuer):
    import time

    clock = Clock(time.time())
    verifier = make_verifier(tmp_path, clock)
    token = issue_token(issuer, subject="u-2", tenant="37", roles=["agent"])
    await verifier.verify(token)
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": []}))  # the key is withdrawn
    verifier.keys._keys = {}  # as after the JWKS refresh
    verifier.keys._loaded_at = 0.0
    assert (await verifier.verify(token)).subject == "u-2"  # still inside the cache period
    clock.now += 61
    with pytest.raises(AppError) as refused:
        await verifier.verify(token)
    assert refused.value.status == 401


async def test_the_cache_is_bounded_and_a_changed_token_is_a_miss(tmp_path, issuer):
    import time

    clock = Clock(time.time())
    verifier = make_verifier(tmp_path, clock)
    tokens = [issue_token(issuer, subject=f"u-{i}", tenant="37", roles=["agent"]) for i in range(3)]
    for token in tokens:
        await verifier.verify(token)
    assert len(verifier._verified) == 2 and tokens[0] not in verifier._verified
    head, payload, signature = tokens[1].split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(AppError):
        await verifier.verify(tampered)
