"""The shape of a cleaned report: heading lines and their levels, and compilations of several reports.

Markers and title patterns are data (indexer/text/data/headings.txt); this module only applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from indexer.text.rules import rule_rows

# A heading phrase longer than this is prose that happens to start with a marker.
MAX_HEADING_CHARS = 60
_SENTENCE_END = re.compile(r"[。！？；：]")
_CLAUSE_END = re.compile(r"[，。！？；：]")


@dataclass(frozen=True)
class Heading:
    """A heading found at the start of a line: `text` is what heading paths show."""

    level: int
    text: str
    whole_line: bool


@dataclass(frozen=True)
class Compilation:
    """A file's text split into reports; `title` is the compilation's own title line when it has one."""

    title: str | None
    parts: tuple[str, ...]


@cache
def _patterns(kind: str) -> tuple[tuple[int, re.Pattern[str]], ...]:
    return tuple(
        (int(level), re.compile(pattern))
        for row_kind, level, pattern in rule_rows("headings.txt")
        if row_kind == kind
    )


def point_patterns() -> tuple[re.Pattern[str], ...]:
    """Words that open a point inside a paragraph (一是, 另一方面 …): preferred cut places for long ones."""
    return tuple(pattern for _, pattern in _patterns("point"))


def detect_heading(line: str) -> Heading | None:
    """The heading a line opens with, or None.

    A short line that is only a marker and a phrase ("（一）坚定不移深化改革开放。") is a heading line; a
    paragraph that opens with a marker ("一是工作开展不平衡。一方面，…") is headed by its first sentence.
    """
    line = line.strip()
    level = next((level for level, pattern in _patterns("heading") if pattern.match(line)), None)
    if level is None:
        return None
    sentence_end = _SENTENCE_END.search(line)
    if len(line) <= MAX_HEADING_CHARS and (sentence_end is None or sentence_end.end() == len(line)):
        return Heading(level, line.rstrip("。！？；："), whole_line=True)
    for boundary in (sentence_end, _CLAUSE_END.search(line)):
        if boundary is not None and boundary.start() <= MAX_HEADING_CHARS:
            return Heading(level, line[: boundary.start()], whole_line=False)
    return None


def is_salutation(line: str) -> bool:
    """Whether a line only addresses the audience (各位代表：, 同志们、朋友们：, 各位代表！)."""
    return any(pattern.match(line.strip()) for _, pattern in _patterns("salutation"))


def is_part_title(line: str) -> bool:
    """Whether a line is the title of one report in a compilation ("xx镇2021年政府工作报告(2)")."""
    return any(pattern.match(line.strip()) for _, pattern in _patterns("part_title"))


def split_compilation(text: str) -> Compilation:
    """Split a cleaned text at its part-title lines when it holds two or more reports.

    Text before the first part title is the compilation's title when it is a single line, else a part of its
    own; a part that has nothing but its title (the site cut the rest off) is dropped.
    """
    lines = text.split("\n")
    starts = [number for number, line in enumerate(lines) if is_part_title(line)]
    if len(starts) < 2:
        return Compilation(None, (text,))
    preamble = [line for line in lines[: starts[0]] if line.strip()]
    title = preamble[0].strip() if len(preamble) == 1 else None
    bounds = [*([0] if len(preamble) > 1 else []), *starts, len(lines)]
    parts = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        part = "\n".join(lines[start:end]).strip()
        if len([line for line in part.split("\n") if line.strip()]) > 1:
            parts.append(part)
    return Compilation(title, tuple(parts))
