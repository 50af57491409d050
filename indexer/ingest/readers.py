"""Reading report files (.txt .docx .pdf .md .html .jsonl) into raw text, one `RawText` per report.

Anything that cannot be read as a report raises `UnsupportedFile` with a one-line reason for people;
nothing here cleans text, that is `indexer.ingest.cleaning`.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import charset_normalizer

from indexer.errors import DocumentTooLarge, UnsupportedFile
from indexer.ingest.cleaning import join_lines
from indexer.text.rules import rule_lines

if TYPE_CHECKING:  # each format's library loads when a file of that format is read
    from docx.table import Table


@dataclass(frozen=True)
class RawText:
    """One report as read from a file, before cleaning: `extra` holds a record's other fields (url, line)."""

    source: str
    title: str | None
    text: str
    extra: dict[str, str] = field(default_factory=dict)


# Longest document accepted, in characters: real reports run to ~100,000; far larger input is a mistake or
# an attack, and would take minutes and gigabytes to clean and chunk.
MAX_DOCUMENT_CHARS = 5_000_000
# Bytes a character takes at most in any supported text encoding: larger plain files are refused unread.
_MAX_BYTES_PER_CHAR = 4
# A .docx is a zip: its XML parts are checked before parsing, so a small file cannot expand to gigabytes.
_MAX_DOCX_XML_BYTES = 64 * 1024 * 1024
_MAX_COMPRESSION_RATIO = 100
_RATIO_CHECKED_FROM_BYTES = 1024 * 1024
# UTF-8 cut mid-character loses at most this many trailing bytes.
_UTF8_TAIL = 3
# How much of a file is checked for NUL bytes, the mark of a binary file.
_SNIFF_BYTES = 8192
# Share of control characters above which decoded bytes are not text.
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_HTML_DROPPED_TAGS = ("script", "style", "nav", "noscript", "template")
_HTML_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "blockquote",
    "pre",
    "table",
    "ul",
    "ol",
    "td",
    "th",
    "title",
)
_MARKDOWN_RULES = (
    (re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.MULTILINE), ""),  # horizontal rules
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.MULTILINE), ""),  # headings
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE), ""),  # block quotes
    (re.compile(r"^[ \t]*[-*+][ \t]+(?=\S)", re.MULTILINE), ""),  # list bullets ("1." stays: it is a heading)
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: keep the alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: keep the link text
    (re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # emphasis and inline code
)
_PDF_LINE_END = "。！？；：”」』）"
# A PDF line at least this share of the page's usual line length was wrapped by the layout, not ended.
_PDF_FULL_LINE_SHARE = 0.8
# Fewer lines than this on a page say nothing about its usual line length.
_PDF_MIN_LINES = 5
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff“”（）《》、，]")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes of a text file: BOM, then strict UTF-8, then charset-normalizer (GB18030, Big5, …)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise UnsupportedFile("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and error.start >= len(data) - _UTF8_TAIL:
            return data[: error.start].decode("utf-8"), "utf-8"  # a file cut mid-character: drop the stub
    match = charset_normalizer.from_bytes(data).best()
    if match is None:
        raise UnsupportedFile("cannot detect the text encoding (binary or corrupt file)")
    text = str(match)
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise UnsupportedFile("binary file (control characters), not text")
    return text, match.encoding


def _read_txt(path: Path) -> list[RawText]:
    text, encoding = decode_text(path.read_bytes())
    return [RawText(str(path), None, text, {"encoding": encoding})]


def _read_markdown(path: Path) -> list[RawText]:
    text, encoding = decode_text(path.read_bytes())
    for pattern, replacement in _MARKDOWN_RULES:
        text = pattern.sub(replacement, text)
    return [RawText(str(path), None, text, {"encoding": encoding})]


def _table_lines(table: Table) -> list[str]:
    """One line per row, cells separated by tabs; a merged cell (repeated by python-docx) appears once."""
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(" ".join(cell.text.split("\n")))
        lines.append("\t".join(cells))
    return lines


def check_docx_size(path: Path) -> None:
    """Refuse a .docx whose XML would expand far beyond any report (a zip bomb) before parsing it."""
    with zipfile.ZipFile(path) as archive:
        parts = [info for info in archive.infolist() if info.filename.endswith((".xml", ".rels"))]
    expanded = sum(info.file_size for info in parts)
    if expanded > _MAX_DOCX_XML_BYTES:
        raise DocumentTooLarge(
            f".docx expands to {expanded:,} bytes of XML, more than {_MAX_DOCX_XML_BYTES:,}; not a report"
        )
    for info in parts:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= _RATIO_CHECKED_FROM_BYTES and ratio > _MAX_COMPRESSION_RATIO:
            raise DocumentTooLarge(
                f".docx part {info.filename} is compressed {ratio:.0f}:1 (a zip bomb?); not a report"
            )


def _read_docx(path: Path) -> list[RawText]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml.etree import XMLSyntaxError

    try:
        check_docx_size(path)
        document = docx.Document(str(path))
        lines = []
        for item in document.iter_inner_content():
            lines.extend(_table_lines(item) if isinstance(item, Table) else [item.text])
    except (
        PackageNotFoundError,
        zipfile.BadZipFile,
        zlib.error,
        KeyError,
        XMLSyntaxError,
        EOFError,
    ) as error:
        raise UnsupportedFile(f"not a readable .docx (damaged or truncated): {error}") from error
    return [RawText(str(path), None, "\n".join(lines))]


def _join_pdf_wrapped_lines(page_text: str) -> str:
    """PDF text comes a visual line at a time: a full-width Chinese line not ending a sentence continues."""
    lines = [line.strip() for line in page_text.split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < _PDF_MIN_LINES:
        return "\n".join(lines)
    usual = lengths[int(0.9 * (len(lengths) - 1))]

    def wrapped(previous: str, line: str) -> bool:
        return bool(
            len(previous) >= _PDF_FULL_LINE_SHARE * usual
            and previous[-1] not in _PDF_LINE_END
            and _CJK.match(previous[-1])
            and _CJK.match(line[0])
        )

    return "\n".join(join_lines(lines, wrapped))


@cache
def _radical_characters() -> dict[int, str]:
    """PDF fonts often give CJK glyphs radical code points (⼯ U+2F2F for 工, ⻘ U+2ED8 for 青).

    Kangxi radicals fold with NFKC (only that block: NFKC on the whole text would turn Chinese punctuation
    half-width); the supplement's whole-character radicals come from `data/radicals.txt`.
    """
    table = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0x2F00, 0x2FD6)}
    table.update(
        (ord(radical), character) for radical, character in map(str.split, rule_lines("radicals.txt"))
    )
    return table


def _read_pdf(path: Path) -> list[RawText]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedFile("encrypted PDF")
        pages = [_join_pdf_wrapped_lines(page.extract_text() or "") for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, EOFError, zlib.error) as error:
        raise UnsupportedFile(f"not a readable PDF: {error}") from error
    text = "\n".join(pages).translate(_radical_characters())
    if not text.strip():
        raise UnsupportedFile("PDF has no text layer (scanned images?)")
    return [RawText(str(path), None, text)]


def _read_html(path: Path) -> list[RawText]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    for tag in soup(_HTML_DROPPED_TAGS):
        tag.decompose()
    for tag in soup(_HTML_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    heading = soup.find("h1")
    title = heading.get_text(" ", strip=True) if heading else None
    body = soup.body if soup.body is not None else soup
    return [RawText(str(path), title or None, body.get_text())]


def _read_jsonl(path: Path) -> list[RawText]:
    """One report a line: `content` (or `text`) and `title`, `year`; other string fields kept as extra."""
    text, _ = decode_text(path.read_bytes())
    reports = []
    for number, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise UnsupportedFile(f"line {number}: not JSON ({error.msg})") from error
        content = record.get("content", record.get("text")) if isinstance(record, dict) else None
        if not isinstance(content, str):
            raise UnsupportedFile(f"line {number}: no 'content' text field")
        extra = {
            key: value
            for key, value in record.items()
            if key not in ("title", "content", "text") and isinstance(value, str)
        }
        if isinstance(record.get("year"), int):
            extra["year"] = str(record["year"])
        extra["line"] = str(number)
        title = record.get("title") if isinstance(record.get("title"), str) else None
        reports.append(RawText(str(path), title, content, extra))
    return reports


_READERS: dict[str, Callable[[Path], list[RawText]]] = {
    ".txt": _read_txt,
    ".text": _read_txt,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".jsonl": _read_jsonl,
}
SUPPORTED_SUFFIXES = frozenset(_READERS)


# One document a file: its size in bytes bounds its length in characters before anything is read.
_SINGLE_DOCUMENT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm"})


def read_file(path: Path, max_chars: int = MAX_DOCUMENT_CHARS) -> list[RawText]:
    """Read one file into its reports; raises UnsupportedFile (with a reason) for anything unreadable.

    Reports longer than `max_chars` characters raise DocumentTooLarge, plain files before being read.
    """
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise UnsupportedFile(f"unsupported file type '{path.suffix or path.name}'")
    size = path.stat().st_size
    if size == 0:
        raise UnsupportedFile("empty file")
    if suffix in _SINGLE_DOCUMENT_SUFFIXES and size > max_chars * _MAX_BYTES_PER_CHAR:
        raise DocumentTooLarge(f"file of {size:,} bytes is longer than {max_chars:,} characters can be")
    reports = [report for report in reader(path) if report.text.strip()]
    if not reports:
        raise UnsupportedFile("empty file (no text)")
    for report in reports:
        if len(report.text) > max_chars:
            name = f"'{report.title}'" if report.title else "the document"
            raise DocumentTooLarge(f"{name} has {len(report.text):,} characters, more than {max_chars:,}")
    return reports
