"""China's administrative divisions (data/divisions.txt), and the government a report names as its own.

A division code carries the hierarchy: its length is the level (2 provincial, 4 prefecture, 6 county), its
first two digits are the province and its first four the prefecture. Where a report names its government
is data too (data/regions.txt): anywhere in the title, and in the opening only in a governing context
("我代表杭州市人民政府", "在浙江省第十四届人民代表大会第三次会议上"), never a place mentioned in passing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from indexer.records import Level
from indexer.text.rules import rule_rows

_LEVELS = {2: Level.PROVINCE, 4: Level.CITY, 6: Level.COUNTY}
# What a provincial name sheds to give the short form reports also use (浙江, 内蒙古, 广西, 香港).
_PROVINCE_SUFFIX = re.compile(r"(?:省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$")


@dataclass(frozen=True)
class Division:
    """One administrative unit: its code (cut to its level), official name and kind (省, 地级市, 县 …)."""

    code: str
    name: str
    kind: str

    @property
    def level(self) -> Level:
        return _LEVELS[len(self.code)]


@dataclass(frozen=True)
class Place:
    """A government a report names as its own: its name, its province (None where the name is ambiguous)
    and its level."""

    region: str
    province: str | None
    level: Level


@cache
def divisions() -> dict[str, Division]:
    """Every division by code."""
    return {code: Division(code, name, kind) for code, name, kind in rule_rows("divisions.txt")}


def short_name(name: str) -> str:
    """浙江省 → 浙江, 广西壮族自治区 → 广西: how reports often name a province."""
    return _PROVINCE_SUFFIX.sub("", name)


@cache
def _by_name() -> dict[str, tuple[Division, ...]]:
    """Divisions by official name, and provinces by their short name too."""
    found: dict[str, list[Division]] = {}
    for division in divisions().values():
        found.setdefault(division.name, []).append(division)
        if division.level is Level.PROVINCE:
            found.setdefault(short_name(division.name), []).append(division)
    return {name: tuple(units) for name, units in found.items()}


def province_of(division: Division) -> Division:
    return divisions()[division.code[:2]]


def canonical_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names given, and each province's other form: 浙江 → 浙江, 浙江省; 浙江省 → 浙江省, 浙江."""
    expanded: list[str] = []
    for name in names:
        expanded.append(name)
        for division in _by_name().get(name, ()):
            if division.level is Level.PROVINCE:
                expanded.extend((division.name, short_name(division.name)))
    return tuple(dict.fromkeys(expanded))


@cache
def _rules() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    names = sorted(_by_name(), key=len, reverse=True)
    provinces = sorted(
        (name for name, units in _by_name().items() if units[0].level is Level.PROVINCE), key=len
    )
    placeholders = {
        "{division}": "|".join(map(re.escape, names)),
        "{province}": "|".join(map(re.escape, reversed(provinces))),
    }
    rules = []
    for kind, where, pattern in rule_rows("regions.txt"):
        for placeholder, alternation in placeholders.items():
            pattern = pattern.replace(placeholder, alternation)
        rules.append((kind, where, re.compile(pattern)))
    return tuple(rules)


def _matches(kind: str, where: str, text: str) -> Iterator[re.Match[str]]:
    for rule_kind, rule_where, pattern in _rules():
        if rule_kind == kind and rule_where == where:
            yield from pattern.finditer(text)


def _is_word(name: str, text: str, end: int) -> bool:
    """Whether a county or city name in a title may be a word rather than a government there.

    A name of two characters (沛县, 城区) or one that several divisions share (新城区, 市中区) is also a word,
    so it names a government only where what follows is what follows one (`after_short_name` rules).
    """
    units = _by_name()[name]
    if units[0].level is Level.PROVINCE or (len(name) > 2 and len(units) == 1):
        return False
    return not any(pattern.match(text, end) for kind, _, pattern in _rules() if kind == "after_short_name")


def _issuer_names(title: str | None, opening: str) -> tuple[list[str], bool]:
    """Division names that stand for the report's own government, and whether they come from the title."""
    if title:
        names = [
            match.group(1)
            for match in _matches("issuer", "title", title)
            if not _is_word(match.group(1), title, match.end(1))
        ]
        if names:
            return names, True
    return [match.group(1) for match in _matches("issuer", "opening", opening)], False


def _parents(division: Division) -> list[str]:
    """The names of the province and prefecture above a division, as a text would name them."""
    province = province_of(division)
    names = [province.name, short_name(province.name)]
    prefecture = divisions().get(division.code[:4])
    if prefecture is not None and prefecture != division:
        names.append(prefecture.name)
    return names


def _resolve(name: str, context: str) -> tuple[Division, ...]:
    """The divisions a name may mean; where several share it (西湖区), those whose province or prefecture
    the context names."""
    candidates = _by_name()[name]
    named = tuple(
        division for division in candidates if any(parent in context for parent in _parents(division))
    )
    return named if len(candidates) > 1 and named else candidates


def find_place(title: str | None, opening: str) -> tuple[Place | None, bool]:
    """The report's own government and its province, and whether the title named it; None when unnamed.

    Of several names, the lowest level wins (浙江省杭州市 is 杭州市's report).
    """
    names, in_title = _issuer_names(title, opening)
    if not names:
        return None, False
    context = f"{title or ''}\n{opening}"
    resolved = [_resolve(name, context) for name in names]
    lowest = max(resolved, key=lambda units: len(units[0].code))
    provinces = {province_of(division).name for division in lowest}
    province = provinces.pop() if len(provinces) == 1 else None
    return Place(lowest[0].name, province, lowest[0].level), in_title


def find_province(text: str) -> str | None:
    """A province the text names as its setting ("视察浙江", "在浙江省委的坚强领导下")."""
    for match in _matches("province", "text", text):
        return _by_name()[match.group(1)][0].name
    return None
