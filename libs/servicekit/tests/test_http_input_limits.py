"""The body limit holds however the body is framed, and JSON endpoints take only JSON (415 otherwise)."""

import asyncio
import contextlib
import socket

import pytest
import uvicorn

from devstack.devtoken import issue_token
from servicekit.http import MAX_BODY_BYTES

pytestmark = pytest.mark.unit

TEN_MB = 10 * 1024 * 1024
CHUNK = 16 * 1024
ORDER = b'{"phone": "13812345678", "summary": "\xe5\x81\x9c\xe7\x94\xb5", "count": 1}'


def _token(issuer_dir):
    return issue_token(issuer_dir / "dev-issuer-key.pem", subject="u-37-0001", tenant="37", roles=["agent"])


class Sender:
    """A chunked request body of `total` bytes (a JSON array, so only its size can refuse it) that counts what was taken."""

    def __init__(self, total: int = TEN_MB) -> None:
        self.total = total
        self.taken = 0

    async def __aiter__(self):
        yield b"["
        self.taken += 1
        while self.taken < self.total:
            chunk = b"1," * (CHUNK // 2)
            self.taken += len(chunk)
            yield chunk


@pytest.mark.parametrize("path", ["/orders", "/fast-orders"])
async def test_a_chunked_10_mb_body_is_refused_413_having_read_no_further_than_the_limit(kit_client, issuer_dir, path):
    body = Sender()
    headers = {"Authorization": f"Bearer {_token(issuer_dir)}", "content-type": "application/json"}
    response = await kit_client.post(path, content=body, headers=headers)
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["message_zh"], error["message_en"]) == ("body_too_large", "请求体过大", "request body too large")
    assert response.headers["connection"] == "close"
    assert body.taken <= MAX_BODY_BYTES + CHUNK  # the chunk that crossed the limit, and nothing after it


async def test_a_chunked_body_under_the_limit_is_read_as_usual(kit_client, issuer_dir):
    async def chunks():
        for part in (ORDER[:10], ORDER[10:30], ORDER[30:]):
            yield part

    headers = {"Authorization": f"Bearer {_token(issuer_dir)}", "content-type": "application/json"}
    created = await kit_client.post("/fast-orders", content=chunks(), headers=headers)
    assert created.status_code == 201 and created.json()["summary"] == "停电"


async def test_a_declared_length_over_the_limit_closes_the_connection(kit_client, issuer_dir):
    headers = {"Authorization": f"Bearer {_token(issuer_dir)}", "content-type": "application/json"}
    response = await kit_client.post("/fast-orders", content=b"[" + b"1," * 200_000 + b"1]", headers=headers)
    assert response.status_code == 413 and response.headers["connection"] == "close"


@pytest.mark.parametrize("path", ["/orders", "/fast-orders"])
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"],
)
async def test_a_json_endpoint_refuses_other_media_types_with_a_bilingual_415(kit_client, issuer_dir, path, content_type):
    headers = {"Authorization": f"Bearer {_token(issuer_dir)}", "content-type": content_type}
    response = await kit_client.post(path, content=ORDER, headers=headers)
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert "请使用 application/json" in error["message_zh"] and "application/json" in error["message_en"]


async def test_an_endpoint_that_declares_another_media_type_takes_that_one_only(kit_client):
    csv = await kit_client.post("/imports", content=b"a,b\n1,2\n", headers={"content-type": "text/csv; charset=utf-8"})
    assert csv.status_code == 200 and csv.json() == {"lines": 2}
    plain = await kit_client.post("/imports", content=b"a,b\n1,2\n", headers={"content-type": "text/plain"})
    assert plain.status_code == 415 and "text/csv" in plain.json()["error"]["message_en"]


@pytest.mark.parametrize("path", ["/orders", "/fast-orders"])
async def test_a_body_without_a_content_type_is_refused_415(kit_client, issuer_dir, path):
    response = await kit_client.post(path, content=ORDER, headers={"Authorization": f"Bearer {_token(issuer_dir)}"})
    assert response.status_code == 415


@pytest.mark.parametrize("path", ["/orders", "/fast-orders"])
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"]
)
async def test_json_and_json_suffixed_media_types_are_accepted(kit_client, issuer_dir, path, content_type):
    headers = {"Authorization": f"Bearer {_token(issuer_dir)}", "content-type": content_type}
    response = await kit_client.post(path, content=ORDER, headers=headers)
    assert response.status_code in (200, 201), response.text


async def test_body_less_requests_and_endpoints_without_a_body_are_unaffected(kit_client, issuer_dir):
    auth = {"Authorization": f"Bearer {_token(issuer_dir)}"}
    empty = await kit_client.post("/fast-orders", headers={**auth, "content-type": "text/plain"})
    assert empty.status_code == 422  # no body: the usual validation answer, not 415
    no_body_route = await kit_client.request("GET", "/orders/x", content=b"hello", headers={"content-type": "text/plain"})
    assert no_body_route.status_code == 404  # the route reads no body, so its media type is not its concern


async def test_refusals_are_counted_by_route(kit_client, issuer_dir):
    await kit_client.post("/fast-orders", content=ORDER, headers={"Authorization": f"Bearer {_token(issuer_dir)}", "content-type": "text/plain"})
    text = (await kit_client.get("/metrics")).text
    assert 'hotline_http_requests_total{method="POST",route="/fast-orders",service="kit-test",status="415"} 1.0' in text


async def test_openapi_documents_413_and_415_on_operations_with_a_body(kit_client):
    schema = (await kit_client.get("/openapi.json")).json()
    for path in ("/orders", "/fast-orders"):
        responses = schema["paths"][path]["post"]["responses"]
        assert {"413", "415"} <= set(responses), path
        assert responses["415"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "413" not in schema["paths"]["/orders/{order_id}"]["get"]["responses"]
    assert {"error", "correlation_id"} <= set(schema["components"]["schemas"]["ErrorResponse"]["properties"])


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # leave Ctrl-C and SIGTERM to pytest
        yield


@contextlib.asynccontextmanager
async def _served(app, http: str):
    """The app behind a real uvicorn server on a free port, in this event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http=http, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=1)
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.mark.parametrize("http", ["httptools", "h11"])
@pytest.mark.parametrize("path", ["/orders", "/fast-orders"])
async def test_a_real_server_answers_413_before_the_client_has_finished_and_closes_the_connection(kit_app, issuer_dir, http, path):
    async with _served(kit_app, http) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            head = (f"POST {path} HTTP/1.1\r\nHost: kit\r\nAuthorization: Bearer {_token(issuer_dir)}\r\n"
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            writer.write(head.encode())
            for _ in range(MAX_BODY_BYTES // CHUNK + 2):  # just past the limit, and never the last chunk: the body is unfinished
                writer.write(b"%x\r\n%s\r\n" % (CHUNK, b"1" * CHUNK))
                await writer.drain()
            # Without the limit the server would wait for the rest of the body and never answer.
            answer = await asyncio.wait_for(reader.read(), timeout=10)  # returns at EOF: the server closed the connection
        finally:
            writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b"body_too_large" in rest and b"connection: close" in rest.lower()
