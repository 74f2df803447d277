"""China's 31 provinces (GB/T 2260 codes) and the national aggregate `China`.

These names are part of the interface contract (DESIGN.md §4): `region` values are the English
province names below, with non-index coordinates `region_code` and `region_zh`.
"""

from __future__ import annotations

import difflib

NATIONAL = "China"
NATIONAL_CODE = 0
NATIONAL_ZH = "全国"

#: (GB/T 2260 two-digit code, English name, Chinese name), in code order.
PROVINCES: tuple[tuple[int, str, str], ...] = (
    (11, "Beijing", "北京"),
    (12, "Tianjin", "天津"),
    (13, "Hebei", "河北"),
    (14, "Shanxi", "山西"),
    (15, "Inner Mongolia", "内蒙古"),
    (21, "Liaoning", "辽宁"),
    (22, "Jilin", "吉林"),
    (23, "Heilongjiang", "黑龙江"),
    (31, "Shanghai", "上海"),
    (32, "Jiangsu", "江苏"),
    (33, "Zhejiang", "浙江"),
    (34, "Anhui", "安徽"),
    (35, "Fujian", "福建"),
    (36, "Jiangxi", "江西"),
    (37, "Shandong", "山东"),
    (41, "Henan", "河南"),
    (42, "Hubei", "湖北"),
    (43, "Hunan", "湖南"),
    (44, "Guangdong", "广东"),
    (45, "Guangxi", "广西"),
    (46, "Hainan", "海南"),
    (50, "Chongqing", "重庆"),
    (51, "Sichuan", "四川"),
    (52, "Guizhou", "贵州"),
    (53, "Yunnan", "云南"),
    (54, "Tibet", "西藏"),
    (61, "Shaanxi", "陕西"),
    (62, "Gansu", "甘肃"),
    (63, "Qinghai", "青海"),
    (64, "Ningxia", "宁夏"),
    (65, "Xinjiang", "新疆"),
)

PROVINCE_NAMES: tuple[str, ...] = tuple(name for _, name, _ in PROVINCES)
CODE_BY_NAME: dict[str, int] = {name: code for code, name, _ in PROVINCES} | {NATIONAL: NATIONAL_CODE}
NAME_BY_CODE: dict[int, str] = {code: name for name, code in CODE_BY_NAME.items()}
ZH_BY_NAME: dict[str, str] = {name: zh for _, name, zh in PROVINCES} | {NATIONAL: NATIONAL_ZH}


def closest_names(name: str, choices=None, n: int = 3) -> list[str]:
    """Names among ``choices`` (default: provinces and China) closest to ``name``."""
    pool = list(choices) if choices is not None else [*PROVINCE_NAMES, NATIONAL]
    found = difflib.get_close_matches(name, pool, n=n, cutoff=0.5)
    if not found:
        lower = {c.lower(): c for c in pool}
        found = [lower[name.lower()]] if name.lower() in lower else []
    return found


def _alias_table() -> dict[str, str]:
    """Every accepted spelling of a region (lower-cased) → its English name."""
    table: dict[str, str] = {}
    for name, code in CODE_BY_NAME.items():
        zh = ZH_BY_NAME[name]
        for alias in (name, zh, f"{code:02d}", str(code)):
            table[alias.lower()] = name
        # Chinese names as often written in tables: 广东省, 北京市, 内蒙古自治区 ...
        for suffix in ("省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区"):
            table[zh + suffix] = name
    table["中国"] = NATIONAL
    return table


#: Accepted spellings (lower-cased English name, Chinese name, GB/T 2260 code) → English name.
ALIASES: dict[str, str] = _alias_table()


def resolve_region(text: str | int) -> str | None:
    """English name of a region given in any accepted spelling, or ``None`` if unknown.

    Accepted: the English name in any letter case (``guangdong``), the Chinese name with or
    without its administrative suffix (``广东``, ``广东省``), the GB/T 2260 two-digit code
    (``44`` or ``"44"``), and for the nation ``China``, ``全国``, ``中国`` or ``0``.

    Examples
    --------
    >>> [resolve_region(x) for x in ("guangdong", "广东", "44", 44, "Guangzou")]
    ['Guangdong', 'Guangdong', 'Guangdong', 'Guangdong', None]
    """
    key = str(text).strip().lower()
    return ALIASES.get(key)


def check_region(name: str | int) -> str:
    """English name of a province or ``China`` given in any accepted spelling
    (:func:`resolve_region`); ``ValueError`` naming close ones otherwise."""
    found = resolve_region(name)
    if found is not None:
        return found
    name = str(name)
    hint = closest_names(name)
    extra = f"; did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
    raise ValueError(
        f"unknown region {name!r}{extra} Known regions: {', '.join(PROVINCE_NAMES)}, {NATIONAL}"
    )
