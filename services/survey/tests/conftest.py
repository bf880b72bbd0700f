"""Fixtures shared by the survey tests: a dev token issuer and bearer headers."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def issuer_key(tmp_path: Path) -> Path:
    from devstack.devtoken import ensure_dev_issuer

    return ensure_dev_issuer(tmp_path / "issuer")


@pytest.fixture
def bearer(issuer_key: Path):
    from devstack.devtoken import issue_token

    def make(tenant: str, *roles: str, subject: str | None = None) -> dict[str, str]:
        token = issue_token(issuer_key, subject=subject or f"agent:u-{tenant}", tenant=tenant, roles=list(roles))
        return {"Authorization": f"Bearer {token}"}

    return make
