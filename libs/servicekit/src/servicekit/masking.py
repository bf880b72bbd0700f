"""Masking of phone numbers, ID numbers and addresses for logs, lists and exports (隐私保护)."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?)(\d{3,4})(\d{4})(?!\d)")


def mask_phone(phone: str | None) -> str | None:
    """138****5678: keep the first three and last four digits, hide the middle."""
    if not phone:
        return phone
    phone = phone.strip()
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(id_number: str | None) -> str | None:
    """110101********123X: keep the region code and the last four characters."""
    if not id_number:
        return id_number
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_address(address: str | None, keep: int = 6) -> str | None:
    """济南市历下区****: keep the first characters (district level), hide the rest."""
    if not address:
        return address
    if len(address) <= keep:
        return address[:2] + "*" * max(len(address) - 2, 0)
    return address[:keep] + "*" * 4


def mask_text(text: str) -> str:
    """Mask every phone or ID number found in free text (log lines, summaries)."""
    text = _ID_CARD.sub(lambda m: m.group(1) + "********" + m.group(3), text)
    text = _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _LANDLINE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
