"""Cleaning raw report text: site ads, watermarks, width and whitespace.

`clean_text` produces the text users see and chunks index into: boilerplate lines go, the rest stays as
written except for width and whitespace. Folding for search is `indexer.text.normalize`, never for display.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from indexer.text.rules import rule_rows

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Full-width digits and Latin letters become ASCII so "１９５５年" and "1955年" read and match alike.
_FULL_WIDTH_ALNUM = {
    code: code - 0xFEE0
    for code in [
        *range(ord("０"), ord("９") + 1),
        *range(ord("Ａ"), ord("Ｚ") + 1),
        *range(ord("ａ"), ord("ｚ") + 1),
    ]
}
_WIDTH_TABLE = {**_FULL_WIDTH_ALNUM, 0xA0: " "}
_HALF_TO_FULL_PUNCTUATION = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
# A half-width mark between two digits is part of a number or a time ("1,000", "9:30") and stays.
_HALF_PUNCTUATION = re.compile(r"(?<![0-9])[,;:!?]|[,;:!?](?![0-9])")
_PARENTHESISED_CHINESE = re.compile(r"[(（]([^()（）\n]*?[\u3400-\u9fff][^()（）\n]*?)[)）]")
_INNER_SPACES = re.compile(r" {2,}")
# A line that ends with one of these ends a sentence or a clause that the next line does not continue.
_LINE_END_MARKS = "。！？；：!?;:…”’」』）)"
_NEW_ITEM = re.compile(
    r"^(?:[一二三四五六七八九十]+[、是]|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[.．、]|——)"
)
_BARE_ITEM_MARK = re.compile(_NEW_ITEM.pattern + "$")
_ZERO_WIDTH_ONLY_LINE = re.compile(r"^[\u200b-\u200f\u2060\ufeff]+\n", re.MULTILINE)
# "1 9 9 3 年": digits spaced out by a typesetting export.
_SPACED_DIGITS = re.compile(r"(?<=\d) (?=[\d年月日％%])")
_NEVER_STARTS_LINE = "。，、；：！？》）」』”"
_NEVER_ENDS_LINE = "《（「『“"
# Fewer than this many lone breaks per blank-line break: the text's paragraphs are blank-line separated.
_SOFT_BREAK_RATIO = 3
_CHINESE_LINE_SHARE = 0.3


@cache
def _boilerplate_rules() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    rows = rule_rows("boilerplate.txt")
    inline = tuple(re.compile(pattern) for kind, pattern in rows if kind == "inline")
    whole_line = tuple(re.compile(pattern) for kind, pattern in rows if kind == "line")
    if len(inline) + len(whole_line) != len(rows):
        raise ValueError("boilerplate.txt: every rule must be of kind 'inline' or 'line'")
    return inline, whole_line


def _is_boilerplate_line(line: str) -> bool:
    return any(pattern.search(line) for pattern in _boilerplate_rules()[1])


def _to_chinese_punctuation(line: str) -> str:
    """Half-width , ; : ! ? ( ) in Chinese prose become the Chinese marks, so headings and sentences parse."""
    non_space = len(line.replace(" ", ""))
    if not non_space or len(_CJK.findall(line)) / non_space < _CHINESE_LINE_SHARE:
        return line
    line = _HALF_PUNCTUATION.sub(lambda match: _HALF_TO_FULL_PUNCTUATION[match.group()], line)
    return _SPACED_DIGITS.sub("", _PARENTHESISED_CHINESE.sub(r"（\1）", line))


def _clean_line(line: str) -> str:
    line = line.translate(_WIDTH_TABLE).strip()
    for pattern in _boilerplate_rules()[0]:
        line = pattern.sub("", line).strip()
    line = _INNER_SPACES.sub(" ", _to_chinese_punctuation(line))
    return "" if _is_boilerplate_line(line) else line


def join_lines(lines: list[str], continues: Callable[[str, str], bool]) -> list[str]:
    """Append each non-empty line to the one before it when `continues(previous, line)` says the break
    between them is not a real one."""
    joined: list[str] = []
    for line in lines:
        previous = joined[-1] if joined else ""
        if previous and line and continues(previous, line):
            joined[-1] = previous + line
        else:
            joined.append(line)
    return joined


def _join_soft_breaks(lines: list[str]) -> list[str]:
    """Re-join lines that an export broke inside a sentence (wikisource puts each link on its own line).

    A break is soft when it cannot end a line in prose: the next line opens with 。，》…, the previous
    ends with 《“（ or is a bare item mark such as "一是". In a text whose paragraphs are separated by
    blank lines, a lone break that follows no sentence end and neither ends a heading nor starts a
    numbered item is soft too. Texts with one paragraph a line (most .txt reports) keep their breaks.
    """
    single_breaks = sum(1 for before, after in zip(lines, lines[1:], strict=False) if before and after)
    blank_breaks = sum(1 for before, after in zip(lines, lines[1:], strict=False) if before and not after)
    paragraphs_by_blank_lines = single_breaks < _SOFT_BREAK_RATIO * blank_breaks

    def soft(previous: str, line: str) -> bool:
        return bool(
            line[0] in _NEVER_STARTS_LINE
            or previous[-1] in _NEVER_ENDS_LINE
            or _BARE_ITEM_MARK.match(previous)
            or (
                paragraphs_by_blank_lines
                and previous[-1] not in _LINE_END_MARKS
                and not _NEW_ITEM.match(previous)
                and not _NEW_ITEM.match(line)
            )
        )

    return join_lines(lines, soft)


def _drop_repeats_and_blank_runs(lines: list[str]) -> list[str]:
    """Adjacent repeated lines (a title printed twice by the site) keep one copy; blank runs become one."""
    kept: list[str] = []
    last_text = None
    for line in lines:
        if not line:
            if kept and kept[-1]:
                kept.append("")
            continue
        if line != last_text:
            kept.append(line)
        last_text = line
    while kept and not kept[-1]:
        kept.pop()
    return kept


def clean_text(text: str) -> str:
    """Remove site boilerplate (rules in data/boilerplate.txt) and normalise width and whitespace."""
    # A line of only zero-width characters is a wrap artefact, not a paragraph break: drop it entirely.
    text = _ZERO_WIDTH_ONLY_LINE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_clean_line(line) for line in text.split("\n")]
    # Line rules run again on joined lines: a footer split over several lines is recognisable only whole.
    lines = [line for line in _join_soft_breaks(lines) if not _is_boilerplate_line(line)]
    return "\n".join(_drop_repeats_and_blank_runs(lines))
