"""Chinese renderings of pydantic validation errors, so every 422 speaks both languages."""

from __future__ import annotations

from typing import Any

from servicekit.errors import FieldError

_ZH: dict[str, str] = {
    "missing": "必填字段缺失",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文本",
    "string_too_short": "长度不能少于{min_length}个字符",
    "string_too_long": "长度不能超过{max_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "greater_than": "必须大于{gt}",
    "greater_than_equal": "必须大于或等于{ge}",
    "less_than": "必须小于{lt}",
    "less_than_equal": "必须小于或等于{le}",
    "literal_error": "取值无效，可选值：{expected}",
    "enum": "取值无效，可选值：{expected}",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "日期时间格式不正确",
    "datetime_from_date_parsing": "日期时间格式不正确",
    "date_parsing": "日期格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "list_type": "应为列表",
    "too_short": "至少需要{min_length}项",
    "too_long": "最多{max_length}项",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "请求体不是有效的JSON",
    "json_type": "请求体不是有效的JSON",
    "uuid_parsing": "应为UUID",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "union_tag_invalid": "类型标识无效",
    "union_tag_not_found": "缺少类型标识",
}


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def field_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    """Turn pydantic/FastAPI error dicts into bilingual field errors."""
    out: list[FieldError] = []
    for err in errors:
        kind = str(err.get("type", "value_error"))
        ctx = {k: v for k, v in (err.get("ctx") or {}).items()}
        template = _ZH.get(kind, "取值无效")
        try:
            zh = template.format(**ctx)
        except (KeyError, IndexError):
            zh = template
        if kind == "value_error" and ctx.get("error"):
            # Our own validators raise ValueError("中文 / English"): keep both halves.
            zh = str(ctx["error"]).split(" / ")[0]
        out.append(FieldError(loc=_loc(err.get("loc", ())), message_zh=zh, message_en=str(err.get("msg", kind)), type=kind))
    return out
