import time

import pytest

from devstack.devtoken import issue_token

pytestmark = pytest.mark.unit


def _token(issuer_dir, **overrides):
    args = {"subject": "u-37-0001", "tenant": "37", "roles": ["agent"]}
    args.update(overrides)
    return issue_token(issuer_dir / "dev-issuer-key.pem", **args)


async def test_valid_token_reaches_the_endpoint_with_tenant_from_token(kit_client, issuer_dir):
    body = {"phone": "13812345678", "summary": "停电", "count": 1, "tenant": "370102"}
    response = await kit_client.post("/orders", json=body, headers={"Authorization": f"Bearer {_token(issuer_dir)}"})
    # extra "tenant" in the body is ignored: the token's tenant wins
    assert response.status_code == 200
    assert response.json()["tenant"] == "37"


async def test_bad_input_gets_field_level_messages_in_both_languages(kit_client, issuer_dir):
    body = {"phone": "12345", "summary": "x" * 21}
    response = await kit_client.post("/orders", json=body, headers={"Authorization": f"Bearer {_token(issuer_dir)}"})
    assert response.status_code == 422
    error = response.json()["error"]
    by_loc = {f["loc"]: f for f in error["fields"]}
    assert set(by_loc) == {"body.phone", "body.summary", "body.count"}
    assert by_loc["body.phone"]["message_zh"] == "格式不正确"
    assert by_loc["body.summary"]["message_zh"] == "长度不能超过20个字符"
    assert by_loc["body.count"]["message_zh"] == "必填字段缺失"
    assert all(f["message_en"] for f in error["fields"])


async def test_malformed_json_is_422_not_500(kit_client, issuer_dir):
    headers = {"Authorization": f"Bearer {_token(issuer_dir)}", "content-type": "application/json"}
    response = await kit_client.post("/orders", content=b"{not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["message_zh"] == "请求体不是有效的JSON"


async def test_oversized_body_is_refused_with_413(kit_client, issuer_dir):
    headers = {"Authorization": f"Bearer {_token(issuer_dir)}", "content-type": "application/json"}
    response = await kit_client.post("/orders", content=b"[" + b"1," * 200_000 + b"1]", headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["message_zh"] == "请求体过大"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"now": time.time() - 10 * 3600, "ttl_seconds": 3600}, "token_expired"),
        ({"audience": "someone-else"}, "invalid_token"),
        ({"issuer": "evil-issuer"}, "invalid_token"),
    ],
)
async def test_expired_or_foreign_tokens_are_401(kit_client, issuer_dir, overrides, code):
    token = _token(issuer_dir, **overrides)
    response = await kit_client.post("/orders", json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


async def test_tampered_and_foreign_key_tokens_are_401(kit_client, issuer_dir, tmp_path_factory):
    from devstack.devtoken import ensure_dev_issuer

    header, payload, signature = _token(issuer_dir).split(".")
    tampered = ".".join([header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature])
    other = ensure_dev_issuer(tmp_path_factory.mktemp("other-issuer"))
    forged = issue_token(other, subject="x", tenant="37", roles=["centre_director"])
    for token in (tampered, forged, "not-a-jwt"):
        response = await kit_client.post("/orders", json={}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


async def test_missing_token_is_401_in_both_languages(kit_client):
    response = await kit_client.post("/orders", json={})
    assert response.status_code == 401
    assert response.json()["error"]["message_zh"] == "缺少身份令牌"


async def test_not_found_and_unknown_route_are_bilingual_404s(kit_client):
    assert (await kit_client.get("/orders/x")).json()["error"]["message_zh"] == "工单不存在"
    unknown = await kit_client.get("/nowhere")
    assert unknown.status_code == 404 and unknown.json()["error"]["message_en"] == "not found"


async def test_unexpected_error_is_a_bilingual_500_with_correlation_id(kit_client):
    response = await kit_client.get("/boom", headers={"X-Correlation-ID": "trace-1"})
    assert response.status_code == 500
    assert response.json()["correlation_id"] == "trace-1"
    assert response.headers["x-correlation-id"] == "trace-1"
    assert "unexpected" not in response.text


async def test_metrics_count_requests_by_route_template(kit_client):
    await kit_client.get("/orders/abc")
    await kit_client.get("/orders/def")
    text = (await kit_client.get("/metrics")).text
    assert 'hotline_http_requests_total{method="GET",route="/orders/{order_id}",service="kit-test",status="404"} 2.0' in text


async def test_healthz_answers_without_dependencies_and_readyz_says_not_ready(kit_client):
    assert (await kit_client.get("/healthz")).json()["status"] == "ok"
    ready = await kit_client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["kafka"] is False


async def test_hot_path_route_answers_like_a_routed_one(kit_client, issuer_dir, monkeypatch):
    from fastapi.routing import APIRoute

    async def routed(*_):
        raise AssertionError("a hot_path route went through FastAPI's routing")

    monkeypatch.setattr(APIRoute, "handle", routed)
    auth = {"Authorization": f"Bearer {_token(issuer_dir)}", "X-Correlation-ID": "hot-1"}
    created = await kit_client.post("/fast-orders", json={"phone": "13812345678", "summary": "停电", "count": 1}, headers=auth)
    assert created.status_code == 201 and created.json()["tenant"] == "37"
    assert created.headers["x-correlation-id"] == "hot-1"
    bad = await kit_client.post("/fast-orders", json={"phone": "12345", "summary": "停电"}, headers=auth)
    assert bad.status_code == 422
    assert {f["loc"] for f in bad.json()["error"]["fields"]} == {"body.phone", "body.count"}
    anonymous = await kit_client.post("/fast-orders", json={})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["message_zh"] == "缺少身份令牌"
    monkeypatch.undo()
    text = (await kit_client.get("/metrics")).text
    assert 'hotline_http_requests_total{method="POST",route="/fast-orders",service="kit-test",status="201"} 1.0' in text
    assert 'hotline_http_requests_total{method="POST",route="/fast-orders",service="kit-test",status="422"} 1.0' in text


async def test_hot_path_leaves_other_methods_and_failures_to_the_usual_handling(kit_client, issuer_dir):
    wrong_method = await kit_client.get("/fast-orders")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["message_zh"] == "不支持该请求方法"
    auth = {"Authorization": f"Bearer {_token(issuer_dir)}", "X-Correlation-ID": "hot-2"}
    boom = await kit_client.post("/fast-orders", json={"phone": "13812345678", "summary": "boom", "count": 1}, headers=auth)
    assert boom.status_code == 500 and boom.json()["correlation_id"] == "hot-2"
    assert "unexpected" not in boom.text


def test_hot_path_refuses_an_endpoint_with_declared_parameters(kit_settings):
    from fastapi import APIRouter

    from servicekit.access import Permissions
    from servicekit.http import create_http_app, hot_path
    from servicekit.runtime import Runtime

    router = APIRouter()

    @router.post("/orders/{order_id}")
    @hot_path
    async def declared(order_id: str) -> dict[str, str]:
        return {"order_id": order_id}

    with pytest.raises(TypeError, match="hot_path"):
        create_http_app(Runtime.build(kit_settings), permissions=Permissions("kit-test", {}), title="kit", description="kit",
                        routers=[router], start_dependencies=False)
