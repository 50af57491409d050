"""Readers: each format gives back the report text; anything unreadable is refused with a clear reason."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from indexer.errors import UnsupportedFile
from indexer.ingest.readers import SUPPORTED_SUFFIXES, read_file

DATA = Path(__file__).parent / "data" / "ingest"
RESOLUTION = (DATA / "2023_npc_resolution.txt").read_text(encoding="utf-8")
TRADITIONAL = (DATA / "1954_report_excerpt_traditional.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", RESOLUTION),
        ("utf-8-sig", RESOLUTION),
        ("gbk", RESOLUTION),
        ("gb18030", RESOLUTION),
        ("utf-16", RESOLUTION),
        ("big5", TRADITIONAL),
    ],
)
def test_text_files_decode_in_their_encoding(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(text.encode(encoding))
    [report] = read_file(path)
    assert report.text == text
    assert report.title is None


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"\n\n  \n", "empty file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary"),
        ("noise.txt", bytes(range(128, 256)) * 40, "encoding"),
        ("report.docx", b"PK\x03\x04 not really a word document", ".docx"),
        ("report.pdf", b"%PDF-1.4 truncated", "PDF"),
        ("report.xls", "各位代表".encode(), "unsupported file type '.xls'"),
        ("records.jsonl", b'{"title": "a", "content": "b"}\n{not json\n', "line 1"),
        ("records.jsonl", b'{"title": "a", "year": 2020}\n', "content"),
    ],
)
def test_unreadable_files_are_refused_with_a_one_line_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnsupportedFile, match=reason.replace(".", r"\.")) as error:
        read_file(path)
    assert "\n" not in str(error.value)


def write_docx(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("2021年xx乡人民政府工作报告")
    document.add_paragraph("一、2020年工作回顾")
    document.add_paragraph("全年生产总值2.97亿元，增长4.3%。")
    table = document.add_table(rows=2, cols=3)
    for row, values in zip(
        table.rows, [("指标", "2020年", "增长"), ("生产总值", "2.97亿元", "4.3%")], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("二、2021年工作安排")
    document.save(str(path))


def test_docx_gives_paragraphs_and_table_rows_in_document_order(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    write_docx(path)
    [report] = read_file(path)
    assert report.text.split("\n") == [
        "2021年xx乡人民政府工作报告",
        "一、2020年工作回顾",
        "全年生产总值2.97亿元，增长4.3%。",
        "指标\t2020年\t增长",
        "生产总值\t2.97亿元\t4.3%",
        "二、2021年工作安排",
    ]


def test_a_truncated_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    write_docx(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UnsupportedFile, match="docx"):
        read_file(path)


def test_markdown_markers_are_stripped_and_the_text_kept(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text(
        "# 2024年政府工作报告\n\n## 三、2024年政府工作任务\n\n- **促进消费稳定增长**。从增加收入、优化供给"
        "等方面综合施策。\n\n> 详见[国务院公报](https://www.gov.cn/gongbao/)。\n\n---\n\n1.抓“招商提效”。\n",
        encoding="utf-8",
    )
    [report] = read_file(path)
    assert [line for line in report.text.split("\n") if line.strip()] == [
        "2024年政府工作报告",
        "三、2024年政府工作任务",
        "促进消费稳定增长。从增加收入、优化供给等方面综合施策。",
        "详见国务院公报。",
        "1.抓“招商提效”。",
    ]


def test_html_drops_scripts_styles_and_navigation(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(
        "<html><head><title>某市政府工作报告_某某网</title><style>p{color:red}</style></head><body>"
        "<nav>首页 &gt; 政府文件</nav><h1>某市政府工作报告</h1><p>各位代表：</p>"
        "<p>现在，我代表市人民政府，向大会报告<b>工作</b>，请予审议。</p>"
        "<script>var ad = '小编推荐';</script></body></html>",
        encoding="utf-8",
    )
    [report] = read_file(path)
    assert report.title == "某市政府工作报告"
    assert [line for line in report.text.split("\n") if line.strip()] == [
        "某市政府工作报告",
        "各位代表：",
        "现在，我代表市人民政府，向大会报告工作，请予审议。",
    ]


def test_jsonl_gives_one_report_a_line_with_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    records = [
        {
            "title": "2025年政府工作报告",
            "content": "各位代表：\n现在，我代表国务院。",
            "year": 2025,
            "url": "https://zh.wikisource.org/x",
        },
        {"title": "关于政府工作报告的决议", "content": "会议听取和审议了政府工作报告。", "year": None},
    ]
    path.write_text(
        "\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\n", encoding="utf-8"
    )
    first, second = read_file(path)
    assert (first.title, first.text, first.extra) == (
        "2025年政府工作报告",
        "各位代表：\n现在，我代表国务院。",
        {"url": "https://zh.wikisource.org/x", "year": "2025", "line": "0"},
    )
    assert (second.title, second.extra) == ("关于政府工作报告的决议", {"line": "1"})


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ASCII lines in Helvetica, built by hand so the test needs no PDF writer."""
    stream = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n{content}\nendobj\n".encode("latin-1")
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("latin-1")
    body += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("latin-1")
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode(
        "latin-1"
    )
    return body


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(minimal_pdf(["Government Work Report", "Delivered on 5 March 2024."]))
    [report] = read_file(path)
    assert report.text.split("\n") == ["Government Work Report", "Delivered on 5 March 2024."]


def test_supported_suffixes() -> None:
    assert {".txt", ".docx", ".pdf", ".md", ".html", ".htm", ".jsonl"} <= SUPPORTED_SUFFIXES


def test_pdf_radical_code_points_read_as_characters() -> None:
    """Chromium prints 青 and 工 with radical code points (⻘ U+2ED8, ⼯ U+2F2F); the reader folds them."""
    pdf = Path(__file__).parent / "data" / "uploads" / "青田县政府工作报告.pdf"
    text = read_file(pdf)[0].text
    assert text.startswith("2026年青田县政府工作报告")
    assert "增长百分之十五" in text.replace("\n", "")
    assert not any(0x2E80 <= ord(character) <= 0x2FDF for character in text)
