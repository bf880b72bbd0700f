"""The outage rule tables (规则表) as their editors send them, and the checks the rule store runs on every save.

Pydantic models at the edge: the HTTP API documents and normalises bodies with them, and `RULE_TABLES`
registers them with `servicekit.rules` as each table's validator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotline_contracts.events.common import OutageType
from outage_notice.service import LEAD_TIME, NOTICE
from servicekit.errors import FieldError
from servicekit.i18n import field_errors
from servicekit.rules import Validator

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class LeadRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outage_type: OutageType | Literal["*"]
    min_lead_minutes: int = Field(ge=0, le=60 * 24 * 90)


class LeadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    change_notice_minutes: int = Field(ge=0, le=60 * 24 * 7)


class LeadTimeTable(BaseModel):
    """报送提前量规则表; a "*" row covers every type not listed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "rows": [{"outage_type": "planned", "min_lead_minutes": 10080}, {"outage_type": "orderly_use", "min_lead_minutes": 1440},
                 {"outage_type": "*", "min_lead_minutes": 30}],
        "settings": {"change_notice_minutes": 60}, "effective_from": "2027-01-01T00:00:00+08:00",
    }]})
    description: str | None = Field(default=None, max_length=500)
    rows: list[LeadRow] = Field(min_length=1)
    settings: LeadSettings
    effective_from: AwareDatetime | None = None

    @field_validator("rows")
    @classmethod
    def _one_row_per_type_and_a_default(cls, rows: list[LeadRow]) -> list[LeadRow]:
        types = [str(r.outage_type) for r in rows]
        if len(set(types)) != len(types) or "*" not in types:
            raise ValueError("one row per outage type, plus a '*' row for the others")
        return rows


class NoticeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quiet_start: str = Field(pattern=HHMM)
    quiet_end: str = Field(pattern=HHMM)
    timezone: str
    renotice_before_minutes: int = Field(ge=0, le=24 * 60)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value


class NoticeTable(BaseModel):
    """通知规则表: quiet hours and the re-notice lead."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "settings": {"quiet_start": "22:00", "quiet_end": "07:00", "timezone": "Asia/Shanghai", "renotice_before_minutes": 30},
    }]})
    description: str | None = Field(default=None, max_length=500)
    rows: list[dict[str, Any]] = Field(default_factory=list, max_length=0)
    settings: NoticeSettings
    effective_from: AwareDatetime | None = None


MODELS: dict[str, type[BaseModel]] = {LEAD_TIME: LeadTimeTable, NOTICE: NoticeTable}


def _checked_by(model: type[BaseModel]) -> Validator:
    def check(tenant: str, version: Mapping[str, Any]) -> list[FieldError]:
        try:
            model.model_validate(version)
        except ValidationError as exc:
            return field_errors(exc.errors())
        return []

    return check


RULE_TABLES: dict[str, Validator] = {name: _checked_by(model) for name, model in MODELS.items()}  # registered with servicekit.rules
