"""Metadata of one cleaned report: title, year, administrative level, region, province and document type.

Every rule is data under indexer/data/ (levels.txt, doc_types.txt, years.txt, npc_sessions.txt,
regions.txt, divisions.txt); this module reads the title first, then the opening of the text, as a reader
would. A government named in the title or the opening is looked up in the gazetteer of China's divisions,
which gives its level (上海市 and 内蒙古自治区 are provincial) and its province.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from indexer.ingest.structure import MAX_HEADING_CHARS, detect_heading
from indexer.records import DocType, Level
from indexer.text.gazetteer import Place, find_place, find_province
from indexer.text.rules import rule_rows

# Level and type show in the salutation and first paragraph; deeper text names other governments.
OPENING_CHARS = 500
_FALLBACK_TITLE_CHARS = 30
_NPC_SESSION = re.compile(r"第([一二三四五六七八九十]+)届全国人民代表大会第([一二三四五六七八九十]+)次会议")
_CHINESE_DIGITS = {character: value for value, character in enumerate("一二三四五六七八九", start=1)}


@dataclass(frozen=True)
class Metadata:
    title: str
    year: int | None
    level: Level
    region: str | None
    doc_type: DocType
    province: str | None = None


@cache
def _tagged(name: str) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    return tuple((tag, where, re.compile(pattern)) for tag, where, pattern in rule_rows(name))


def _tag(name: str, where: str, text: str | None) -> str | None:
    """The tag of the first `where` rule of a rule file that matches the text."""
    if text is None:
        return None
    return next(
        (tag for tag, rule_where, pattern in _tagged(name) if rule_where == where and pattern.search(text)),
        None,
    )


def _first_tag(name: str, title: str | None, opening: str) -> str | None:
    """The tag of the first rule matching the title (title rules), else the opening (opening rules)."""
    return _tag(name, "title", title) or _tag(name, "opening", opening)


def chinese_number(text: str) -> int:
    """一 … 九十九 as an int (届 and 次 of the National People's Congress)."""
    tens, _, units = text.rpartition("十")
    if "十" not in text:
        return _CHINESE_DIGITS[text]
    return _CHINESE_DIGITS.get(tens, 1) * 10 + _CHINESE_DIGITS.get(units, 0)


@cache
def _npc_session_years() -> dict[tuple[int, int], int]:
    years = {}
    for congress, session_years in rule_rows("npc_sessions.txt"):
        for session, year in enumerate(session_years.split(), start=1):
            years[(int(congress), session)] = int(year)
    return years


def _npc_session_year(texts: Iterable[str]) -> int | None:
    for text in texts:
        match = _NPC_SESSION.search(text[:OPENING_CHARS])
        if match is None:
            continue
        congress, session = (chinese_number(number) for number in match.groups())
        if year := _npc_session_years().get((congress, session)):
            return year
    return None


def find_year(text: str, title: str | None, doc_type: DocType = DocType.OTHER) -> int | None:
    """The year of a report: NPC session year for a resolution, else the rules in years.txt in order."""
    if doc_type is DocType.RESOLUTION and (year := _npc_session_year([title or "", text])):
        return year
    for offset, where, pattern in _tagged("years.txt"):
        source = title if where == "title" else text
        if source and (match := pattern.search(source)):
            return int(match.group(1)) + int(offset)
    return None


def find_title(text: str) -> str | None:
    """The first line when it reads as a title: short, not a sentence, salutation or numbered heading."""
    first_line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if (
        not first_line
        or len(first_line) > MAX_HEADING_CHARS
        or re.search(r"[。！？]", first_line)
        or first_line[-1] in "：:，,；"
        or first_line.startswith("——")
        or detect_heading(first_line) is not None
    ):
        return None
    return first_line


def fallback_title(text: str) -> str:
    """For a text without a title line: its first sentence, clipped, so listings still say what it is."""
    first_line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    sentence = re.split(r"[。！？]", first_line, maxsplit=1)[0]
    return sentence if len(sentence) <= _FALLBACK_TITLE_CHARS else sentence[:_FALLBACK_TITLE_CHARS] + "…"


def _level(title: str | None, opening: str, place: Place | None, named_in_title: bool) -> Level:
    """国务院 and 乡镇 by their words; else the level of a government the title names; else the words of the
    title (县政府, 全市), then those of the opening."""
    title_tag = _tag("levels.txt", "title", title)
    if title_tag in (Level.NATIONAL, Level.TOWNSHIP):
        return Level(title_tag)
    if place is not None and named_in_title:
        return place.level
    if title_tag:
        return Level(title_tag)
    opening_tag = _tag("levels.txt", "opening", opening)
    if opening_tag in (Level.NATIONAL, Level.TOWNSHIP) or place is None:
        return Level(opening_tag or Level.UNKNOWN)
    return place.level


def _region_and_province(text: str, level: Level, place: Place | None) -> tuple[str | None, str | None]:
    """The report's own government and its province: the government named, where its level is the report's
    (a township report names the county above it); else only the province, named or the text's setting."""
    if level is Level.NATIONAL:
        return None, None
    if place is not None and (place.level == level or level is Level.TOWNSHIP):
        return place.region, place.province
    province = place.province if place is not None else find_province(text)
    # A provincial report whose text names only its province is that province's own report.
    return (province if level is Level.PROVINCE else None), province


def extract_metadata(text: str, title: str | None = None, year: int | None = None) -> Metadata:
    """Metadata of a cleaned report; `title` and `year` are a record's own fields when it has them."""
    title = title or find_title(text)
    opening = text[:OPENING_CHARS]
    place, named_in_title = find_place(title, opening)
    level = _level(title, opening, place, named_in_title)
    region, province = _region_and_province(text, level, place)
    doc_type = DocType(_first_tag("doc_types.txt", title, opening) or DocType.OTHER)
    return Metadata(
        title=title or fallback_title(text),
        year=year or find_year(text, title, doc_type),
        level=level,
        region=region,
        doc_type=doc_type,
        province=province,
    )
