"""Made-up but plausible names and numbers: people, institutions, companies, phones, places.

Every function takes the caller's `random.Random`, so the output depends only on the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# Common surnames, weighted roughly by frequency in Shandong (于, 姜, 曲 are typical of Jiaodong).
_SURNAMES = (
    ("王", 10), ("张", 9), ("李", 9), ("刘", 8), ("陈", 4), ("杨", 4), ("赵", 4), ("孙", 5),
    ("徐", 3), ("马", 3), ("高", 3), ("于", 4), ("宋", 2), ("郭", 2), ("姜", 2), ("曲", 1),
    ("周", 2), ("吴", 2), ("朱", 2), ("胡", 1), ("林", 1), ("韩", 2), ("董", 2), ("田", 1),
    ("崔", 1), ("邢", 1), ("丁", 1), ("任", 1), ("吕", 1), ("孟", 1), ("曹", 1), ("袁", 1),
)
_SURNAME_LIST = tuple(s for s, _ in _SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in _SURNAMES)

_GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞斌波宇浩凯健俊峰建国志文东晨龙海林成"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英红梅琳燕倩婷雪慧颖欣悦佳琪蕾萍洁兰凤晶"

# Valid mobile number segments (China Mobile, Unicom, Telecom, Broadnet).
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147",
    "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "172", "173",
    "175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187",
    "188", "189", "191", "192", "193", "195", "196", "197", "198", "199",
)

_COMMUNITY_PREFIX = (
    "阳光", "锦绣", "翠苑", "海景", "泉景", "金色", "和谐", "幸福", "明湖", "山水", "书香", "丽都",
    "华侨", "凤凰", "紫薇", "银座", "绿城", "天宸", "万科", "鲁能", "中海", "东方", "佳和", "新世纪",
)
_COMMUNITY_SUFFIX = ("花园", "小区", "家园", "新村", "苑", "公寓", "华庭", "名邸")
_VILLAGE_SUFFIX = ("家庄", "家村", "庄", "家疃", "官庄", "家屯", "家洼", "店")
_VILLAGE_FIRST = ("东", "西", "南", "北", "前", "后", "大", "小", "上", "下")

_FEEDER_WORDS = (
    "东风", "建设", "和平", "幸福", "新华", "兴隆", "前进", "光明", "胜利", "工业", "开发", "南关",
    "北关", "园区", "泉城", "海港", "金山", "银河", "朝阳", "长青", "锦华", "龙泉", "文化", "科技",
    "安康", "顺河", "青龙", "凤鸣", "白鹤", "松山", "柳林", "桃园", "杏林", "玉泉", "石门", "滨河",
)

_INSTITUTIONS = (  # {county}: 历下区; {town}: 泉城路 (a street's schools and care homes)
    "{county}人民医院", "{county}中医医院", "{county}妇幼保健院", "{county}第{n}中学", "{town}第{n}小学",
    "{town}实验学校", "{county}人民政府", "{county}公安分局", "{county}自来水公司", "{town}供热站",
    "{county}污水处理厂", "{town}消防救援站", "{county}通信枢纽机房", "{county}数据中心",
    "{county}疾病预防控制中心", "{town}养老院",
)
_RURAL_INSTITUTIONS = (  # {town}: 东阿镇; {village}: 王家庄
    "{town}卫生院", "{town}中心小学", "{town}初级中学", "{town}人民政府", "{town}派出所",
    "{town}供水站", "{town}敬老院", "{village}小学", "{village}村卫生室", "{village}村民委员会",
    "{village}供水站", "{village}幼儿园",
)
_COMPANY_TYPES = (
    "机械有限公司", "食品有限公司", "商贸有限公司", "化工有限公司", "纺织有限公司", "建材有限公司",
    "物流有限公司", "大酒店", "购物中心", "冷链仓储有限公司", "电子科技有限公司", "包装有限公司",
)
_COMPANY_WORDS = (
    "鲁信", "华泰", "瑞丰", "鑫源", "宏达", "金鼎", "泰和", "恒通", "德润", "盛世", "海丰", "正元",
    "永兴", "信诚", "齐鲁", "泉润", "胶东", "半岛", "蓝海", "远航", "三和", "万隆", "昌盛", "东岳",
)


def person_name(rng: random.Random) -> str:
    """A common two- or three-character Chinese personal name (张伟, 于秀英)."""
    surname = rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
    pool = _GIVEN_MALE if rng.random() < 0.5 else _GIVEN_FEMALE
    given_len = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(pool) for _ in range(given_len))


class PhoneBook:
    """Hands out 11-digit mobile numbers, never the same one twice."""

    def __init__(self, rng: random.Random, taken: frozenset[str] = frozenset()) -> None:
        self._rng = rng
        self._taken = taken  # numbers another book already gave out
        self._used: set[str] = set()

    @property
    def used(self) -> frozenset[str]:
        return frozenset(self._used | self._taken)

    def new(self) -> str:
        while True:
            phone = self._rng.choice(_MOBILE_PREFIXES) + f"{self._rng.randrange(10**8):08d}"
            if phone not in self._used and phone not in self._taken:
                self._used.add(phone)
                return phone


class UniqueNames:
    """Remembers names already given out in one scope (a county's feeders, say)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def claim(self, name: str) -> bool:
        """True, and the name is now taken, when nobody had it yet."""
        if name in self._used:
            return False
        self._used.add(name)
        return True

    def take(self, make: Callable[[], str], attempts: int = 200) -> str:
        """The first fresh name `make` produces; numbered as a last resort."""
        for _ in range(attempts):
            name = make()
            if self.claim(name):
                return name
        n = 2
        while not self.claim(f"{name}{n}"):  # pragma: no cover - the pools are far larger than needed
            n += 1
        return f"{name}{n}"


def community_name(rng: random.Random) -> str:
    """An urban residential compound (阳光花园)."""
    return rng.choice(_COMMUNITY_PREFIX) + rng.choice(_COMMUNITY_SUFFIX)


def village_name(rng: random.Random) -> str:
    """A village (王家庄, 东李家疃)."""
    surname = rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
    first = rng.choice(_VILLAGE_FIRST) if rng.random() < 0.3 else ""
    return first + surname + rng.choice(_VILLAGE_SUFFIX)


def feeder_name(rng: random.Random) -> str:
    """A 10 kV feeder (10kV东风线, 10kV建设Ⅱ线)."""
    suffix = rng.choice(("", "", "", "Ⅰ", "Ⅱ"))
    return f"10kV{rng.choice(_FEEDER_WORDS)}{suffix}线"


def institution_name(rng: random.Random, county: str, town: str, village: str | None) -> str:
    """A hospital, school, government office or utility (历下区人民医院, 东阿镇卫生院); rural with a village."""
    if village:
        name = rng.choice(_RURAL_INSTITUTIONS).format(town=town, village=village)
        return name.replace("街道人民政府", "街道办事处")  # a 街道 has an office, not a government
    return rng.choice(_INSTITUTIONS).format(county=county, town=town, n=rng.choice("一二三四五六七八九"))


def company_name(rng: random.Random, place: str) -> str:
    """An enterprise with its own transformer (龙口鑫源食品有限公司)."""
    return place + rng.choice(_COMPANY_WORDS) + rng.choice(_COMPANY_TYPES)
