"""Each service's committed AsyncAPI document matches what its subscribers and `PUBLISHES` declaration give now."""

import pytest

from devstack.codegen import asyncapi_path, rendered_asyncapi
from devstack.services import SERVICES

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.name)
def test_committed_asyncapi_is_current(svc):
    committed = asyncapi_path(svc.name).read_text(encoding="utf-8")
    assert committed == rendered_asyncapi(svc.module), f"run ./dev contracts to refresh services/{svc.name}/asyncapi.json"
