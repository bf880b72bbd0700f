"""Notice gateways (通知网关): a JSON-lines file sink for the embedded stack, an SMS HTTP gateway for production."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx

from outage_notice.domain.notices import Notice
from outage_notice.ports import Delivery


def _masked(notice: Notice) -> str:
    from outage_notice.notify import masked_recipient

    return masked_recipient(notice)


class FileSinkGateway:
    """Appends each message to `<dir>/<tenant>-<YYYYMMDD>.jsonl` (recipient masked): the local outbox."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._lock = asyncio.Lock()

    async def send(self, notice: Notice, text: str) -> Delivery:
        now = datetime.now(UTC)
        line = {
            "at": now.isoformat(), "tenant": notice.tenant, "outage_id": notice.outage_id, "kind": notice.stored_kind,
            "account_no": notice.account_no, "channel": notice.channel, "recipient": _masked(notice), "text": text,
        }
        async with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            with (self.directory / f"{notice.tenant}-{now:%Y%m%d}.jsonl").open("a", encoding="utf-8") as sink:
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
        return Delivery("sent", provider_message_id=f"FILE-{notice.account_no}-{notice.channel}")


class HttpSmsGateway:
    """POSTs {phone, text} to an SMS provider; other channels are suppressed until their gateway is plugged in."""

    def __init__(self, url: str, username: str | None, password: str | None, timeout: float = 5.0) -> None:
        auth = httpx.BasicAuth(username, password or "") if username else None
        self.url = url
        self.client = httpx.AsyncClient(timeout=timeout, auth=auth)

    async def send(self, notice: Notice, text: str) -> Delivery:
        if notice.channel not in ("sms",) or not notice.phone:
            return Delivery("suppressed", detail=f"渠道{notice.channel}未接入网关 / channel not connected")
        try:
            response = await self.client.post(self.url, json={"phone": notice.phone, "text": text, "ref": notice.outage_id})
        except httpx.HTTPError as exc:
            return Delivery("failed", detail=f"短信网关不可达 / gateway unreachable: {type(exc).__name__}")
        if response.status_code >= 400:
            return Delivery("failed", detail=f"短信网关拒收 / gateway answered {response.status_code}")
        return Delivery("sent", provider_message_id=str(response.json().get("message_id", ""))[:128] or None)
