"""Generates the Grafana dashboards (deploy/helm/hotline/dashboards/*.json) from one description.

The JSON files are committed: the chart packages them (.Files.Glob) and docker compose's Grafana
provisions the same directory. After editing this file run

    .venv/bin/python deploy/tools/gen_dashboards.py

deploy/tests/test_dashboards.py fails when the committed JSON differs from what this writes.
Metric names are those fixed in CONTRIBUTING.md.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "helm" / "hotline" / "dashboards"
SERVICES = ["intake", "dispatch", "outage-notice", "survey", "analytics"]
DS = {"type": "prometheus", "uid": "${datasource}"}
SVC = 'service=~"$service"'
TEN = 'tenant=~"$tenant"'
RI = "$__rate_interval"


@dataclass
class Panel:
    """One panel: a title, its PromQL targets (legend -> expr), a kind and a unit."""

    title: str
    targets: list[tuple[str, str]]
    kind: str = "timeseries"
    unit: str = "short"
    description: str = ""
    width: int = 12
    thresholds: list[tuple[float, str]] = field(default_factory=list)


def row(title: str) -> dict:
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


# --- panel sets -----------------------------------------------------------------------------------


def http_panels(by_route: bool) -> list[Panel]:
    """Request rate, errors and duration; per endpoint (route) on a service dashboard."""
    by = "service, method, route" if by_route else "service"
    legend = "{{service}} {{method}} {{route}}" if by_route else "{{service}}"
    return [
        Panel(
            "请求速率 / Request rate" + (" per endpoint" if by_route else ""),
            [(legend, f"sum by ({by}) (rate(hotline_http_requests_total{{{SVC}}}[{RI}]))")],
            unit="reqps",
        ),
        Panel(
            "5xx 错误率 / Error ratio" + (" per endpoint" if by_route else ""),
            [
                (
                    legend,
                    f'sum by ({by}) (rate(hotline_http_requests_total{{{SVC},status=~"5.."}}[{RI}]))'
                    f" / sum by ({by}) (rate(hotline_http_requests_total{{{SVC}}}[{RI}]))",
                )
            ],
            unit="percentunit",
            thresholds=[(0, "green"), (0.05, "red")],
        ),
        Panel(
            "请求耗时 p95 / Duration p95" + (" per endpoint" if by_route else ""),
            [
                (
                    legend,
                    f"histogram_quantile(0.95, sum by ({by}, le) "
                    f"(rate(hotline_http_request_duration_seconds_bucket{{{SVC}}}[{RI}])))",
                )
            ],
            unit="s",
        ),
        Panel(
            "请求耗时 p50 / Duration p50" + (" per endpoint" if by_route else ""),
            [
                (
                    legend,
                    f"histogram_quantile(0.5, sum by ({by}, le) "
                    f"(rate(hotline_http_request_duration_seconds_bucket{{{SVC}}}[{RI}])))",
                )
            ],
            unit="s",
        ),
        Panel(
            "响应状态 / Responses by status",
            [("{{service}} {{status}}", f"sum by (service, status) (rate(hotline_http_requests_total{{{SVC}}}[{RI}]))")],
            unit="reqps",
        ),
    ]


def event_panels() -> list[Panel]:
    return [
        Panel(
            "事件消费 / Events consumed by result",
            [
                (
                    "{{service}} {{topic}} {{result}}",
                    f"sum by (service, topic, result) (rate(hotline_events_consumed_total{{{SVC}}}[{RI}]))",
                )
            ],
            unit="ops",
        ),
        Panel(
            "消费失败与死信 / Events failed and dead-lettered",
            [
                (
                    "{{service}} {{topic}} {{result}}",
                    f'sum by (service, topic, result) (rate(hotline_events_consumed_total{{{SVC},result=~"failed|dead_lettered"}}[{RI}]))',
                )
            ],
            unit="ops",
        ),
        Panel(
            "死信 / Dead letters by reason",
            [
                (
                    "{{service}} {{topic}} {{reason}}",
                    f"sum by (service, topic, reason) (increase(hotline_dead_letters_total{{{SVC}}}[{RI}]))",
                )
            ],
        ),
        Panel(
            "事件发布 / Events published",
            [("{{service}} {{topic}}", f"sum by (service, topic) (rate(hotline_events_published_total{{{SVC}}}[{RI}]))")],
            unit="ops",
        ),
        Panel(
            "消费积压 / Consumer lag",
            [("{{service}} {{topic}}", f"max by (service, topic) (hotline_consumer_lag{{{SVC}}})")],
            thresholds=[(0, "green"), (1000, "red")],
        ),
        Panel(
            "发件箱积压 / Outbox backlog",
            [("{{service}}", f"max by (service) (hotline_outbox_backlog{{{SVC}}})")],
            width=6,
            thresholds=[(0, "green"), (500, "red")],
        ),
        Panel(
            "发件箱最老事件 / Outbox oldest event age",
            [("{{service}}", f"max by (service) (hotline_outbox_oldest_age_seconds{{{SVC}}})")],
            unit="s",
            width=6,
            thresholds=[(0, "green"), (300, "red")],
        ),
    ]


BUSINESS: dict[str, list[Panel]] = {
    "intake": [
        Panel(
            "来电来信 / Contacts by channel",
            [("{{channel}}", f"sum by (channel) (rate(hotline_contacts_total{{{TEN}}}[{RI}]))")],
            unit="ops",
        ),
        Panel(
            "来电业务类型 / Contacts by business type",
            [("{{business_type}}", f"sum by (business_type) (rate(hotline_contacts_total{{{TEN}}}[{RI}]))")],
            unit="ops",
        ),
        Panel(
            "工单生成 / Tickets created by business type",
            [("{{business_type}}", f"sum by (business_type) (increase(hotline_tickets_created_total{{{TEN}}}[{RI}]))")],
        ),
        Panel(
            "停电关联来电与重复来电 / Outage-linked and repeat contacts",
            [
                ("outage-linked {{tenant}}", f"sum by (tenant) (increase(hotline_outage_linked_calls_total{{{TEN}}}[{RI}]))"),
                ("repeat {{tenant}}", f"sum by (tenant) (increase(hotline_repeat_contacts_total{{{TEN}}}[{RI}]))"),
            ],
        ),
    ],
    "dispatch": [
        Panel(
            "待办队列 / Queue depth by unit and state",
            [("{{unit}} {{state}}", f"sum by (unit, state) (hotline_queue_depth{{{TEN}}})")],
        ),
        Panel(
            "派单耗时 p95 / Dispatch latency p95",
            [
                (
                    "{{tenant}}",
                    f"histogram_quantile(0.95, sum by (tenant, le) (rate(hotline_dispatch_latency_seconds_bucket{{{TEN}}}[{RI}])))",
                )
            ],
            unit="s",
        ),
        Panel(
            "时限预警 / Time-limit warnings by level",
            [("{{level}}", f"sum by (level) (increase(hotline_timelimit_warnings_total{{{TEN}}}[{RI}]))")],
        ),
        Panel(
            "超时工单 / Time-limit breaches by clock",
            [("{{tenant}} {{clock}}", f"sum by (tenant, clock) (increase(hotline_timelimit_breaches_total{{{TEN}}}[{RI}]))")],
        ),
        Panel(
            "抢修班组利用率 / Crew utilisation by station",
            [("{{station}}", f"avg by (station) (hotline_crew_utilisation{{{TEN}}})")],
            unit="percentunit",
            width=24,
        ),
        Panel(
            "未确认节假日安排的年份 / Years without a confirmed holiday schedule (1 = due times are provisional)",
            [("{{tenant}} {{year}}", f"max by (tenant, year) (hotline_calendar_year_unconfirmed{{{TEN}}})")],
            width=24,
        ),
    ],
    "outage-notice": [
        Panel(
            "当前停电 / Active outages by type",
            [("{{type}}", f"sum by (type) (hotline_active_outages{{{TEN}}})")],
        ),
        Panel(
            "停电影响客户 / Customers affected",
            [("{{tenant}}", f"sum by (tenant) (hotline_outage_customers_affected{{{TEN}}})")],
        ),
        Panel(
            "通知发送 / Notices sent by channel and result",
            [("{{channel}} {{result}}", f"sum by (channel, result) (rate(hotline_notices_sent_total{{{TEN}}}[{RI}]))")],
            unit="ops",
        ),
        Panel(
            "停电信息报送超时 / Late outage reports by unit",
            [("{{tenant}} {{unit}}", f"sum by (tenant, unit) (increase(hotline_late_outage_reports_total{{{TEN}}}[{RI}]))")],
        ),
    ],
    "survey": [
        Panel(
            "回访结果 / Return visits by result",
            [("{{result}}", f"sum by (result) (rate(hotline_return_visits_total{{{TEN}}}[{RI}]))")],
            unit="ops",
        ),
        Panel(
            "满意率 / Satisfaction ratio",
            [("{{tenant}}", f"avg by (tenant) (hotline_satisfaction_ratio{{{TEN}}})")],
            unit="percentunit",
        ),
    ],
    "analytics": [],
}

OVERVIEW_STATS = [
    Panel(
        "服务在线 / Services up",
        [("{{service}}", f"min by (service) (up{{{SVC}}})")],
        kind="stat",
        width=8,
        thresholds=[(0, "red"), (1, "green")],
    ),
    Panel(
        "总请求速率 / Total request rate",
        [("requests", f"sum(rate(hotline_http_requests_total{{{SVC}}}[{RI}]))")],
        kind="stat",
        unit="reqps",
        width=8,
    ),
    Panel(
        "总错误率 / Total error ratio",
        [
            (
                "errors",
                f'sum(rate(hotline_http_requests_total{{{SVC},status=~"5.."}}[{RI}])) / sum(rate(hotline_http_requests_total{{{SVC}}}[{RI}]))',
            )
        ],
        kind="stat",
        unit="percentunit",
        width=8,
        thresholds=[(0, "green"), (0.05, "red")],
    ),
]

OVERVIEW_BUSINESS = [
    BUSINESS["intake"][2],
    BUSINESS["dispatch"][3],
    BUSINESS["outage-notice"][3],
    BUSINESS["survey"][1],
]

# --- JSON building ----------------------------------------------------------------------------


def panel_json(p: Panel, pid: int, x: int, y: int, height: int = 8) -> dict:
    steps = [{"color": c, "value": (None if i == 0 else v)} for i, (v, c) in enumerate(p.thresholds or [(0, "green")])]
    return {
        "id": pid,
        "type": p.kind,
        "title": p.title,
        "description": p.description,
        "datasource": DS,
        "gridPos": {"h": height if p.kind != "stat" else 4, "w": p.width, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {
                "unit": p.unit,
                "thresholds": {"mode": "absolute", "steps": steps},
                **({"custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}} if p.kind == "timeseries" else {}),
            },
            "overrides": [],
        },
        "options": (
            {"legend": {"displayMode": "table", "placement": "bottom", "showLegend": True, "calcs": ["lastNotNull", "max"]},
             "tooltip": {"mode": "multi", "sort": "desc"}}
            if p.kind == "timeseries"
            else {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "background",
                  "graphMode": "none", "textMode": "auto", "orientation": "auto"}
        ),
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend, "range": True, "instant": False}
            for i, (legend, expr) in enumerate(p.targets)
        ],
    }


def layout(sections: list[tuple[str, list[Panel]]]) -> list[dict]:
    panels: list[dict] = []
    pid, y = 1, 0
    for title, items in sections:
        if not items:
            continue
        r = row(title)
        r.update({"id": pid, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        panels.append(r)
        pid, y, x, line_h = pid + 1, y + 1, 0, 0
        for p in items:
            if x + p.width > 24:
                x, y = 0, y + line_h
            j = panel_json(p, pid, x, y)
            panels.append(j)
            pid, x, line_h = pid + 1, x + p.width, max(line_h, j["gridPos"]["h"])
        y += line_h
    return panels


def variables(service: str | None) -> list[dict]:
    ds = {"name": "datasource", "label": "数据源 / Data source", "type": "datasource", "query": "prometheus",
          "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []}
    if service is None:
        svc = {"name": "service", "label": "服务 / Service", "type": "query", "datasource": DS,
               "query": {"query": "label_values(hotline_http_requests_total, service)", "refId": "service"},
               "definition": "label_values(hotline_http_requests_total, service)",
               "multi": True, "includeAll": True, "allValue": ".*", "current": {}, "refresh": 2, "sort": 1,
               "hide": 0, "regex": "", "options": []}
    else:
        svc = {"name": "service", "label": "服务 / Service", "type": "custom", "query": service,
               "current": {"text": service, "value": service, "selected": True},
               "options": [{"text": service, "value": service, "selected": True}],
               "multi": False, "includeAll": False, "hide": 2}
    tenant_q = 'label_values({__name__=~"hotline_.+", tenant!=""}, tenant)'
    ten = {"name": "tenant", "label": "单位 / Tenant", "type": "query", "datasource": DS,
           "query": {"query": tenant_q, "refId": "tenant"}, "definition": tenant_q,
           "multi": True, "includeAll": True, "allValue": ".*", "current": {}, "refresh": 2, "sort": 1,
           "hide": 0, "regex": "", "options": []}
    return [ds, svc, ten]


def dashboard(uid: str, title: str, sections: list[tuple[str, list[Panel]]], service: str | None, tags: list[str]) -> dict:
    links = [] if service is None else [
        {"title": "Hotline overview", "type": "dashboards", "tags": ["hotline-overview"], "asDropdown": False,
         "includeVars": True, "keepTime": True, "icon": "dashboard", "targetBlank": False, "tooltip": "", "url": ""}
    ]
    return {
        "uid": uid,
        "title": title,
        "description": "95598 hotline platform; generated by deploy/tools/gen_dashboards.py",
        "tags": ["hotline", *tags],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {"list": []},
        "links": links,
        "templating": {"list": variables(service)},
        "panels": layout(sections),
    }


def build() -> dict[str, dict]:
    boards = {
        "hotline-overview": dashboard(
            "hotline-overview",
            "95598 Hotline / 总览 Overview",
            [
                ("服务 / Services", OVERVIEW_STATS),
                ("HTTP", http_panels(by_route=False)[:3]),
                ("事件 / Events", event_panels()),
                ("业务 / Business", OVERVIEW_BUSINESS),
            ],
            None,
            ["hotline-overview"],
        )
    }
    for name in SERVICES:
        sections = [
            ("HTTP (per endpoint)", http_panels(by_route=True)),
            ("事件 / Events", event_panels()),
            ("业务 / Business", BUSINESS[name]),
        ]
        boards[f"hotline-{name}"] = dashboard(f"hotline-{name}", f"95598 Hotline / {name}", sections, name, [name])
    return boards


def render(board: dict) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, board in build().items():
        (OUT / f"{name}.json").write_text(render(board), encoding="utf-8")
        print(f"wrote {OUT / (name + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
