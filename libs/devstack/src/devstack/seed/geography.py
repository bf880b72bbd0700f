"""The demo province's org-unit tree (省/市/县供电公司) and the local place names it uses.

Place names are real streets, towns and roads of each district or county, so that addresses
and station names read naturally; the people and numbers generated on top of them are not real.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline_contracts.tenancy import OrgLevel, OrgUnit

PROVINCE_CODE = "37"
PROVINCE_NAME = "国网山东省电力公司"


@dataclass(frozen=True)
class City:
    """市公司: a city company."""

    code: str
    short: str  # 济南

    @property
    def company_name(self) -> str:
        return f"国网{self.short}供电公司"


@dataclass(frozen=True)
class County:
    """县公司: a district or county company and the places it serves."""

    code: str
    city: str
    short: str  # 历下区 / 平阴县 / 胶州市
    urban: bool  # a city district (mostly urban) rather than a county (mostly rural)
    towns: tuple[str, ...]  # 街道 / 镇, one supply station each; a county's seat (城关) first
    roads: tuple[str, ...]

    @property
    def company_name(self) -> str:
        if self.short.endswith("区"):
            return f"国网{CITIES[self.city].short}市{self.short}供电公司"
        return f"国网{self.short}供电公司"

    @property
    def address_prefix(self) -> str:
        """市 + 区 for districts (济南市历下区); the county or county-level city alone otherwise."""
        if self.short.endswith("区"):
            return f"{CITIES[self.city].short}市{self.short}"
        return self.short


CITIES: dict[str, City] = {
    "3701": City("3701", "济南"),
    "3702": City("3702", "青岛"),
    "3706": City("3706", "烟台"),
}

COUNTIES: dict[str, County] = {
    c.code: c
    for c in (
        County(
            "370102", "3701", "历下区", True,
            ("泉城路街道", "大明湖街道", "解放路街道", "千佛山街道", "趵突泉街道", "文东街道",
             "姚家街道", "龙洞街道"),
            ("泉城路", "解放路", "经十路", "历山路", "文化东路", "和平路", "山大路", "燕子山路",
             "千佛山路", "黑虎泉北路"),
        ),
        County(
            "370124", "3701", "平阴县", False,
            ("榆山街道", "锦水街道", "东阿镇", "玫瑰镇", "洪范池镇", "孔村镇", "孝直镇", "安城镇"),
            ("榆山路", "青龙路", "翠屏街", "锦东路", "府前街", "黄河路", "会仙路"),
        ),
        County(
            "370202", "3702", "市南区", True,
            ("八大峡街道", "云南路街道", "中山路街道", "江苏路街道", "八大关街道", "湛山街道",
             "香港中路街道", "金门路街道"),
            ("香港中路", "中山路", "湛山路", "云南路", "江苏路", "宁夏路", "延安三路", "南京路",
             "福州南路", "东海西路"),
        ),
        County(
            "370281", "3702", "胶州市", False,
            ("阜安街道", "中云街道", "三里河街道", "胶东街道", "胶北街道", "李哥庄镇", "铺集镇",
             "里岔镇", "洋河镇", "胶莱镇"),
            ("福州支路", "郑州东路", "广州北路", "兰州西路", "澳门路", "扬州路", "常州路",
             "三里河路"),
        ),
        County(
            "370602", "3706", "芝罘区", True,
            ("向阳街道", "东山街道", "毓璜顶街道", "通伸街道", "芝罘岛街道", "世回尧街道",
             "黄务街道", "只楚街道"),
            ("南大街", "北马路", "胜利路", "环山路", "青年南路", "西大街", "只楚路", "幸福南路"),
        ),
        County(
            "370681", "3706", "龙口市", False,
            ("东莱街道", "龙港街道", "新嘉街道", "徐福街道", "黄山馆镇", "北马镇", "芦头镇",
             "下丁家镇", "七甲镇"),
            ("港城大道", "东莱街", "振华路", "府前街", "环城北路", "文化路", "南山路"),
        ),
    )
}


def town_short(town: str) -> str:
    """泉城路街道 → 泉城路, 东阿镇 → 东阿 (the name a supply station takes)."""
    for suffix in ("街道", "镇", "乡"):
        if town.endswith(suffix):
            return town[: -len(suffix)]
    return town


def org_units() -> list[OrgUnit]:
    """The tree `{prefix}_platform.org_units` holds: province, cities, counties, parents first."""
    units = [OrgUnit(code=PROVINCE_CODE, name=PROVINCE_NAME, level=OrgLevel.PROVINCE)]
    for city in CITIES.values():
        units.append(OrgUnit(code=city.code, name=city.company_name, level=OrgLevel.CITY, parent_code=PROVINCE_CODE))
    for county in COUNTIES.values():
        units.append(
            OrgUnit(code=county.code, name=county.company_name, level=OrgLevel.COUNTY, parent_code=county.city)
        )
    return units


def tenant_codes() -> list[str]:
    """Every tenant of the demo province: province, then cities, then counties."""
    return [PROVINCE_CODE, *CITIES, *COUNTIES]
