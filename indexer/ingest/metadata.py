"""Metadata of one cleaned report: title, year, administrative level, region and document type.

Every rule is data under indexer/text/data/ (levels.txt, doc_types.txt, years.txt, npc_sessions.txt,
regions.txt); this module reads the title first, then the opening of the text, as a reader would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from indexer.ingest.structure import MAX_HEADING_CHARS, detect_heading
from indexer.records import DocType, Level
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


@cache
def _tagged(name: str) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    return tuple((tag, where, re.compile(pattern)) for tag, where, pattern in rule_rows(name))


def _first_tag(name: str, title: str | None, opening: str) -> str | None:
    """The tag of the first rule matching the title (title rules), else the opening (opening rules)."""
    rules = _tagged(name)
    for where, text in (("title", title), ("opening", opening)):
        if text is None:
            continue
        for tag, rule_where, pattern in rules:
            if rule_where == where and pattern.search(text):
                return tag
    return None


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


@cache
def _region_rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    rows = rule_rows("regions.txt")
    names = sorted((value for kind, _, value in rows if kind == "name"), key=len, reverse=True)
    alternation = "|".join(map(re.escape, names))
    return tuple(
        (where, re.compile(pattern.replace("{region}", alternation)))
        for kind, where, pattern in rows
        if kind == "pattern"
    )


def find_region(text: str, title: str | None) -> str | None:
    """The province a report names as its own (placeholders such as x市 or 某市 name none)."""
    for where, pattern in _region_rules():
        source = title if where == "title" else text
        if source and (match := pattern.search(source)):
            return match.group(1)
    return None


def extract_metadata(text: str, title: str | None = None, year: int | None = None) -> Metadata:
    """Metadata of a cleaned report; `title` and `year` are a record's own fields when it has them."""
    title = title or find_title(text)
    opening = text[:OPENING_CHARS]
    level = Level(_first_tag("levels.txt", title, opening) or Level.UNKNOWN)
    doc_type = DocType(_first_tag("doc_types.txt", title, opening) or DocType.OTHER)
    return Metadata(
        title=title or fallback_title(text),
        year=year or find_year(text, title, doc_type),
        level=level,
        region=None if level is Level.NATIONAL else find_region(text, title),
        doc_type=doc_type,
    )
