"""Cutting a document into passages: a paragraph each, long ones at sentence ends, with their heading path.

Every chunk is a slice of `document.text` (`text == document.text[start:end]`), chunks do not overlap and
together hold every non-blank character but the salutations that would open a passage (各位代表：): they
address the audience, and a passage that opens with one reads as if it were about it. Heading lines and
short lines ride along with the next paragraph instead of becoming passages of their own; a heading always
opens its passage, so short lines before it close the passage before. The title and the lines under it
(date, speaker) are a passage of their own.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache

from indexer.ingest.metadata import find_title
from indexer.ingest.structure import MAX_HEADING_CHARS, detect_heading, is_salutation, point_patterns
from indexer.records import Chunk, Document

DEFAULT_MAX_CHARS = 350
# Lines shorter than this ("各位代表：", "下面，我讲三方面意见：") are not passages on their own.
MIN_CHUNK_CHARS = 20
_SENTENCE_END = re.compile(r"[。！？；][”’」』）]*")
# A front-matter line (date, speaker) is no sentence.
_FRONT_LINE_END = re.compile(r"[。！？；!?;]")
_CLAUSE_END = re.compile(r"[，、][”’」』）]*")
# A line ending in a comma was broken inside a sentence; the sentence goes on in the next line.
_CONTINUES = ("，", "、", ",")
# Cost weights for choosing cut places in a long paragraph (see `_best_cuts`).
_COST_PER_PIECE = 1.0
_COST_CUT_INSIDE_POINT = 0.3
_COST_SHORT_PIECE = 10.0


@dataclass(frozen=True)
class _Block:
    """A paragraph (one line or a line broken inside a sentence) with the heading lines riding on it."""

    start: int
    body_start: int
    end: int
    heading_path: tuple[str, ...]


@dataclass(frozen=True)
class _Pending:
    """Heading and short lines waiting for the paragraph they ride on; `level` of the last heading among them,
    None when no heading opens them."""

    start: int
    end: int
    heading_path: tuple[str, ...]
    level: int | None

    @property
    def headed(self) -> bool:
        return self.level is not None


def chunk_id(doc_id: str, text: str) -> str:
    """Content hash, so re-indexing an unchanged passage keeps its id."""
    return hashlib.sha1(f"{doc_id}\n{text}".encode()).hexdigest()[:16]


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line, without surrounding whitespace."""
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        stripped = match.group().strip()
        if stripped:
            start = match.start() + match.group().index(stripped)
            spans.append((start, start + len(stripped)))
    return spans


def _is_front_line(line: str, number: int, title: str) -> bool:
    """A line of the front matter: the title as first line, then lines that are no sentence (a date line,
    the speaker) up to the first heading, salutation or paragraph."""
    if number == 0 and (line == title or find_title(line) == line):
        return True
    return number > 0 and len(line) <= MAX_HEADING_CHARS and not _FRONT_LINE_END.search(line)


def _close(blocks: list[_Block], pending: _Pending) -> None:
    """Short lines with no paragraph of their own: they end the passage before them, where there is one."""
    if blocks and not pending.headed:
        last = blocks.pop()
        blocks.append(_Block(last.start, last.body_start, pending.end, last.heading_path))
    else:
        blocks.append(_Block(pending.start, pending.start, pending.end, pending.heading_path))


def _blocks(text: str, title: str, max_chars: int) -> list[_Block]:
    """Group lines into paragraphs, attach pending heading and short lines, track the heading path."""
    lines = _lines(text)
    path: list[tuple[int, str]] = []
    blocks: list[_Block] = []
    pending: _Pending | None = None
    open_start: int | None = None  # start of a paragraph whose last line ended inside a sentence
    front = True  # still in the title's lines
    for number, (start, end) in enumerate(lines):
        line = text[start:end]
        if open_start is None and is_salutation(line):
            # It opens no passage: short lines before it close the one before, a heading waits for its text.
            if pending is not None and not pending.headed:
                _close(blocks, pending)
                pending = None
            front = False
            continue
        heading = detect_heading(line) if open_start is None else None
        if front and heading is None and open_start is None and _is_front_line(line, number, title):
            first = blocks.pop() if blocks else _Block(start, start, end, ())
            blocks.append(_Block(first.start, first.start, end, ()))
            continue
        front = False
        riding = (heading is not None and heading.whole_line) or end - start < MIN_CHUNK_CHARS
        if pending is not None and heading is not None and (pending.level or heading.level) >= heading.level:
            # A heading applies only to what follows it: short lines before it close the passage before, and
            # a heading with no text of its own (a one-line point: 二是…。) is a passage before its sibling.
            _close(blocks, pending)
            pending = None
        if pending is not None and riding and end - pending.start > max_chars // 2:
            # A run of short lines (a table, a list of names) becomes a passage of its own.
            blocks.append(_Block(pending.start, pending.start, pending.end, pending.heading_path))
            pending = None
        if heading is not None:
            path = [(level, name) for level, name in path if level < heading.level]
            path.append((heading.level, heading.text))
        current_path = tuple(name for _, name in path)
        if open_start is None and riding:
            pending = (
                _Pending(start, end, current_path, heading.level if heading else None)
                if pending is None
                else _Pending(pending.start, end, current_path, heading.level if heading else pending.level)
            )
            continue
        if line.endswith(_CONTINUES) and number + 1 < len(lines):
            open_start = start if open_start is None else open_start
            continue
        body_start = start if open_start is None else open_start
        block_start = body_start if pending is None else pending.start
        blocks.append(_Block(block_start, body_start, end, current_path))
        pending, open_start = None, None
    if pending is not None:
        _close(blocks, pending)
    return blocks


@cache
def _point_start() -> re.Pattern[str]:
    alternatives = "|".join(pattern.pattern for pattern in point_patterns())
    return re.compile(rf"(?<=[，：；。！？])(?={alternatives})")


def _segments(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int, bool]]:
    """Sentence-sized pieces of text[start:end] as (start, end, opens_point); none longer than max_chars."""
    cuts = {start, end}
    cuts.update(match.end() for match in _SENTENCE_END.finditer(text, start, end))
    point_cuts = {start + match.start() for match in _point_start().finditer(text[start:end])}
    cuts.update(point_cuts)
    ordered = sorted(cut for cut in cuts if start <= cut <= end)
    segments = []
    for left, right in zip(ordered, ordered[1:], strict=False):
        for piece_start, piece_end in _split_long_sentence(text, left, right, max_chars):
            segments.append((piece_start, piece_end, piece_start in point_cuts))
    return segments


def _split_long_sentence(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A sentence longer than max_chars is cut into even pieces at commas, or hard where no comma fits."""
    pieces = []
    while end - start > max_chars:
        target = start + (end - start) / -(-(end - start) // max_chars)
        commas = [
            match.end() for match in _CLAUSE_END.finditer(text, start + MIN_CHUNK_CHARS, start + max_chars)
        ]
        cut = min(commas, key=lambda comma: abs(comma - target), default=start + max_chars)
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _best_cuts(segments: list[tuple[int, int, bool]], max_chars: int) -> list[tuple[int, int]]:
    """Group segments into pieces of at most max_chars, as few and as even as possible.

    Dynamic programming over cut places: each piece costs a constant plus its squared fill (so pieces come
    out even), cutting anywhere but before a point (一是, 另一方面 …) costs a little, and a piece under
    MIN_CHUNK_CHARS costs a lot.
    """
    count = len(segments)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * count
    for stop in range(1, count + 1):
        for begin in range(stop - 1, -1, -1):
            length = segments[stop - 1][1] - segments[begin][0]
            if length > max_chars and stop - begin > 1:
                break
            cost = best[begin][0] + _COST_PER_PIECE + (length / max_chars) ** 2
            if stop < count and not segments[stop][2]:
                cost += _COST_CUT_INSIDE_POINT
            if length < MIN_CHUNK_CHARS:
                cost += _COST_SHORT_PIECE
            if cost < best[stop][0]:
                best[stop] = (cost, begin)
    pieces = []
    stop = count
    while stop > 0:
        begin = best[stop][1]
        pieces.append((segments[begin][0], segments[stop - 1][1]))
        stop = begin
    return pieces[::-1]


def chunk_document(document: Document, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """One chunk per paragraph, long paragraphs cut into pieces of at most max_chars at sentence ends."""
    text = document.text
    chunks: list[Chunk] = []
    for block in _blocks(text, document.title, max_chars):
        if block.end - block.start <= max_chars:
            spans = [(block.start, block.end)]
        else:
            # The riding heading lines count against the first piece's size.
            prefix = block.body_start - block.start
            segments = _segments(text, block.body_start, block.end, max(max_chars - prefix, MIN_CHUNK_CHARS))
            segments[0] = (block.start, segments[0][1], segments[0][2])
            spans = _best_cuts(segments, max_chars)
        for start, end in spans:
            piece = text[start:end]
            chunks.append(
                Chunk(
                    chunk_id(document.doc_id, piece),
                    document.doc_id,
                    len(chunks),
                    start,
                    end,
                    piece,
                    block.heading_path,
                )
            )
    return chunks
