"""The whole pipeline on real inputs: the shared corpus (seeds and national records) and bad files."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import docx
import pytest
from shared import national_jsonl, seed_files, shared_dir
from tokenizers import Tokenizer

from indexer.ingest.chunking import MIN_CHUNK_CHARS
from indexer.ingest.cleaning import clean_text
from indexer.ingest.pipeline import IngestResult, ingest_file, ingest_paths
from indexer.ingest.readers import read_file
from indexer.ingest.structure import is_salutation
from indexer.records import Chunk, Document
from indexer.text.normalize import normalize_for_search

REPOSITORY = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "ingest"
TOKENIZER = REPOSITORY / "models" / "m3e-small" / "tokenizer.json"
MODEL_MAX_TOKENS = 512

# Site furniture that must not reach any passage: contact numbers, addresses, site names, watermarks, ads.
BOILERPLATE = [
    r"QQ|qq",
    r"\d{5,}@",
    r"https?://|www\.|\.com\b",
    r"小编",
    r"仅供学习|禁止外传|用后删除",
    r"酷乐文行|携笔同道|如来写作网|范文宝典",
    r"会员资料|会员群|订阅立享|举报倒卖|打击倒卖",
    r"试读结束|查阅全文|阅读全文|想阅读完全部",
    r"文章导读|赏赞|打赏|微信扫一扫|微信订阅号|联系客服|热门推荐",
    r"本站|本文内容由互联网用户|如若转载|链接地址|本文标题",
    r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
    r"全文\d+字",
    r"\? \?",
    r"本作品|公有领域|维基文库|Public domain|\bfalse\b",
    "[\u200b-\u200f\ufeff]",
]


@pytest.fixture(scope="module")
def corpus() -> IngestResult:
    return ingest_paths([shared_dir() / "corpus"])


def chunks_of(result: IngestResult) -> list[tuple[Document, Chunk]]:
    return [(document, chunk) for document, chunks in result.documents for chunk in chunks]


@pytest.mark.shared
def test_the_whole_corpus_ingests(corpus: IngestResult) -> None:
    assert corpus.skipped == []
    by_source = defaultdict(list)
    for document, _ in corpus.documents:
        by_source[document.source].append(document)
    assert len(by_source["national/government_work_reports.jsonl"]) == 72
    # Seed 003 is a page of "5篇" township reports, but the file holds two complete reports and the title
    # line of a third, cut off by the site's login wall: two documents, the bare title dropped.
    seeds = {source: documents for source, documents in by_source.items() if source.startswith("seeds/")}
    assert {source[6:9]: len(documents) for source, documents in seeds.items()} == {
        "000": 1,
        "001": 1,
        "002": 1,
        "003": 2,
        "004": 1,
    }
    assert [document.extra["compilation"] for document in seeds["seeds/003_0948a3da3f33f01f.txt"]] == [
        "20211025:5篇43万字乡镇政府工作报告2021年政府工作报告范文"
    ] * 2


@pytest.mark.shared
@pytest.mark.parametrize("pattern", BOILERPLATE)
def test_no_chunk_carries_site_boilerplate(corpus: IngestResult, pattern: str) -> None:
    found = [
        (document.source, chunk.text[:60])
        for document, chunk in chunks_of(corpus)
        if re.search(pattern, chunk.text)
    ]
    assert found == []


def non_space(text: str) -> int:
    return sum(1 for character in text if not character.isspace())


@pytest.mark.shared
def test_non_boilerplate_characters_land_in_exactly_one_chunk(corpus: IngestResult) -> None:
    """Per report read from a file: its cleaned text against the characters covered once by its chunks."""
    covered_once: dict[tuple[str, str], int] = defaultdict(int)
    for document, chunks in corpus.documents:
        counts = [0] * len(document.text)
        for chunk in chunks:
            assert document.text[chunk.start : chunk.end] == chunk.text
            for position in range(chunk.start, chunk.end):
                counts[position] += 1
        key = (document.source, document.extra.get("line", ""))
        covered_once[key] += sum(
            1
            for position, character in enumerate(document.text)
            if counts[position] == 1 and not character.isspace()
        )
        assert all(count <= 1 for count in counts)
    cleaned: dict[tuple[str, str], int] = {}
    for path in [*seed_files(), national_jsonl()]:
        for report in read_file(path):
            source = path.relative_to(shared_dir() / "corpus").as_posix()
            cleaned[(source, report.extra.get("line", ""))] = non_space(clean_text(report.text))
    assert cleaned.keys() == covered_once.keys()
    shares = {key: covered_once[key] / cleaned[key] for key in cleaned}
    assert min(shares.values()) >= 0.99, sorted(shares.items(), key=lambda item: item[1])[:3]


@pytest.mark.shared
def test_a_passage_opens_with_each_heading_it_is_newly_under(corpus: IngestResult) -> None:
    """Headings apply only to what follows them: the reader shows them in document order."""
    misplaced = []
    for document, chunks in corpus.documents:
        previous: tuple[str, ...] = ()
        for chunk in chunks:
            path = chunk.heading_path
            shared = next(
                (i for i, (a, b) in enumerate(zip(path, previous, strict=False)) if a != b),
                min(len(path), len(previous)),
            )
            if shared < len(path) and not chunk.text.startswith(path[shared]):
                misplaced.append((document.title, path[shared], chunk.text[:40]))
            previous = path
    assert misplaced == []


@pytest.mark.shared
def test_no_passage_opens_with_a_salutation(corpus: IngestResult) -> None:
    assert [
        chunk.text[:20] for _, chunk in chunks_of(corpus) if is_salutation(chunk.text.split("\n")[0])
    ] == []


@pytest.mark.shared
def test_no_chunk_exceeds_the_model_max_tokens(corpus: IngestResult) -> None:
    if not TOKENIZER.exists():
        pytest.skip(f"{TOKENIZER} not installed (run `govsearch model fetch`)")
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    texts = [chunk.text for _, chunk in chunks_of(corpus)]
    longest = max(len(encoding.ids) for encoding in tokenizer.encode_batch(texts))
    assert longest <= MODEL_MAX_TOKENS


@pytest.mark.shared
def test_chunk_lengths(corpus: IngestResult) -> None:
    lengths = [len(chunk.text) for _, chunk in chunks_of(corpus)]
    assert sum(length < MIN_CHUNK_CHARS for length in lengths) / len(lengths) < 0.02
    assert max(lengths) <= 350
    summary = corpus.summary()
    assert (summary.documents, summary.chunks, summary.skipped) == (78, len(lengths), 0)
    assert 100 <= summary.mean_chunk_chars <= 300
    assert summary.p95_chunk_chars <= 350


@pytest.mark.shared
def test_ingesting_twice_gives_the_same_ids(corpus: IngestResult) -> None:
    again = ingest_paths([shared_dir() / "corpus"])
    assert [chunk.chunk_id for _, chunk in chunks_of(again)] == [
        chunk.chunk_id for _, chunk in chunks_of(corpus)
    ]
    assert [document.doc_id for document, _ in again.documents] == [
        document.doc_id for document, _ in corpus.documents
    ]


@pytest.mark.shared
def test_the_traditional_1954_report_keeps_its_text_and_folds_for_search(corpus: IngestResult) -> None:
    [document] = [document for document, _ in corpus.documents if document.year == 1954]
    assert "我們第一届全國人民代表大會" in document.text
    assert "我们第一届全国人民代表大会" in normalize_for_search(document.text)


def passages(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    return [(chunk.text, chunk.heading_path) for _, chunks in ingest_file(path) for chunk in chunks]


@pytest.mark.shared
@pytest.mark.parametrize("index", range(5))
def test_a_gbk_copy_and_a_docx_give_the_same_chunks_as_the_utf8_text(tmp_path: Path, index: int) -> None:
    seed = seed_files()[index]
    text = seed.read_text(encoding="utf-8")
    # 003 carries a "¥" (in its tipping junk) that GBK lacks; GB18030 is GBK's superset.
    encoding = "gb18030" if "¥" in text else "gbk"
    encoded = tmp_path / f"encoded{seed.suffix}"
    encoded.write_bytes(text.encode(encoding))
    word = tmp_path / "report.docx"
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    document.save(str(word))
    expected = passages(seed)
    assert passages(encoded) == expected
    assert passages(word) == expected


def test_bad_files_in_a_folder_are_skipped_while_the_rest_ingests(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(DATA / "2023_npc_resolution.txt", folder / "resolution.txt")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "empty.txt").write_bytes(b"")
    word = docx.Document()
    word.add_paragraph("各位代表：现在，我代表市人民政府向大会报告工作。")
    word.save(str(folder / "truncated.docx"))
    (folder / "truncated.docx").write_bytes((folder / "truncated.docx").read_bytes()[:2000])
    result = ingest_paths([folder])
    assert [document.source for document, _ in result.documents] == ["resolution.txt"]
    reasons = {skipped.source: skipped.reason for skipped in result.skipped}
    assert reasons.keys() == {"binary.txt", "empty.txt", "truncated.docx"}
    assert "binary" in reasons["binary.txt"]
    assert reasons["empty.txt"] == "empty file"
    assert ".docx" in reasons["truncated.docx"]
