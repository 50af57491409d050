"""Chunking: a paragraph a chunk with its heading path, long ones cut at sentence ends, offsets exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.ingest.chunking import MIN_CHUNK_CHARS, chunk_document, chunk_id
from indexer.ingest.pipeline import ingest_file
from indexer.records import Chunk, Document

DATA = Path(__file__).parent / "data" / "ingest"

REPORT = """2021年xx乡人民政府工作报告
各位代表：
现在，我代表乡人民政府向大会作工作报告，请予审议，并请列席人员提出意见。
一、2020年工作回顾
2020年全年生产总值2.97亿元，增长4.3%；固定资产投资5600万元，完成年初目标任务的102%。
（一）坚决打好了中央三大攻坚战。
脱贫攻坚全面胜利。全力保障了1436户6785名贫困人口全面脱贫，6个贫困村全部摘帽。
三、2021年工作安排
（五）坚定不移深化改革开放。
深入推进“放管服”改革，加强了乡便民服务中心和村级便民服务站标准化建设。
1.抓“招商提效”。坚持招商引资“一把手”工程，以现代机械产业园为主阵地开展精准招商、乡贤招商。
以上报告，请审议。"""


def document(text: str, title: str = "") -> Document:
    return Document(doc_id="test-document", title=title, source="test.txt", text=text)


def chunks_of(text: str, max_chars: int = 350) -> list[Chunk]:
    return chunk_document(document(text, text.split("\n")[0]), max_chars)


def test_each_paragraph_is_a_chunk_under_its_heading_path_with_heading_lines_riding_along() -> None:
    chunks = chunks_of(REPORT)
    assert [(chunk.text.split("\n")[-1][:6], chunk.heading_path) for chunk in chunks] == [
        ("2021年x", ()),
        ("现在，我代表", ()),
        ("2020年全", ("一、2020年工作回顾",)),
        ("脱贫攻坚全面", ("一、2020年工作回顾", "（一）坚决打好了中央三大攻坚战")),
        ("深入推进“放", ("三、2021年工作安排", "（五）坚定不移深化改革开放")),
        ("以上报告，请", ("三、2021年工作安排", "（五）坚定不移深化改革开放", "1.抓“招商提效”")),
    ]
    # The title is a passage of its own, the salutation opens none, heading lines open the next chunk and
    # the closing line ends the last.
    assert chunks[0].text == "2021年xx乡人民政府工作报告"
    assert chunks[1].text.startswith("现在，我代表乡人民政府")
    assert chunks[4].text.startswith("三、2021年工作安排\n（五）坚定不移深化改革开放。\n")
    assert chunks[-1].text.endswith("乡贤招商。\n以上报告，请审议。")


def test_chunks_are_exact_slices_that_cover_every_character_once_but_the_salutation() -> None:
    text = REPORT
    chunks = chunks_of(text)
    covered = [0] * len(text)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        for position in range(chunk.start, chunk.end):
            covered[position] += 1
    salutation = range(text.index("各位代表："), text.index("各位代表：") + len("各位代表："))
    assert all(
        covered[position] == (0 if position in salutation else 1)
        for position, character in enumerate(text)
        if not character.isspace()
    )
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))


# (text, the chunks expected): salutations open no passage, the title and its front lines are one passage,
# and a heading opens the passage it heads (the reader shows headings in document order).
OPENINGS = [
    (
        "政府工作报告\n——2025年1月14日在浙江省第十四届人民代表大会第三次会议上\n浙江省省长 王浩\n各位代表：\n"
        "现在，我代表省人民政府，向大会报告工作，请予审议，并请省政协委员提出意见。",
        [
            "政府工作报告\n——2025年1月14日在浙江省第十四届人民代表大会第三次会议上\n浙江省省长 王浩",
            "现在，我代表省人民政府，向大会报告工作，请予审议，并请省政协委员提出意见。",
        ],
    ),
    (
        "各位代表：\n一、2024年工作回顾\n过去一年，我们坚持稳中求进工作总基调，经济运行总体平稳、稳中有进。",
        ["一、2024年工作回顾\n过去一年，我们坚持稳中求进工作总基调，经济运行总体平稳、稳中有进。"],
    ),
    (
        "在全市经济工作会议上的讲话\n同志们：\n这次会议的主要任务是，总结去年经济工作，部署今年重点任务。",
        ["在全市经济工作会议上的讲话", "这次会议的主要任务是，总结去年经济工作，部署今年重点任务。"],
    ),
    (
        "我们向全市各族人民表示诚挚感谢！\n各位代表！\n巩固和发展各民族大团结，是长治久安、繁荣昌盛的根本保证。",
        ["我们向全市各族人民表示诚挚感谢！", "巩固和发展各民族大团结，是长治久安、繁荣昌盛的根本保证。"],
    ),
    (
        "全年完成固定资产投资十二亿元，增长百分之八，重点项目建设取得新进展。\n今年要重点做好以下工作：\n"
        "一、持续扩大有效投资\n坚持项目为王，全年实施重点项目一百个以上，完成投资二十亿元。",
        [
            "全年完成固定资产投资十二亿元，增长百分之八，重点项目建设取得新进展。\n今年要重点做好以下工作：",
            "一、持续扩大有效投资\n坚持项目为王，全年实施重点项目一百个以上，完成投资二十亿元。",
        ],
    ),
    (
        "（一）加强宏观调控，保持经济平稳运行\n一是实施积极的财政政策，扩大有效需求。\n"
        "二是实施稳健的货币政策，保持流动性合理充裕，引导金融机构加大对实体经济的支持力度。",
        [
            "（一）加强宏观调控，保持经济平稳运行\n一是实施积极的财政政策，扩大有效需求。",
            "二是实施稳健的货币政策，保持流动性合理充裕，引导金融机构加大对实体经济的支持力度。",
        ],
    ),
    (
        "六、促进祖国和平统一\n各位代表！\n实现祖国完全统一，是全体中华儿女的共同愿望，我们将坚定不移推进。",
        [
            "六、促进祖国和平统一\n各位代表！\n实现祖国完全统一，是全体中华儿女的共同愿望，我们将坚定不移推进。"
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), OPENINGS)
def test_titles_and_salutations_are_not_glued_to_body_passages(text: str, expected: list[str]) -> None:
    assert [chunk.text for chunk in chunks_of(text)] == expected


POINTS = (
    "始终坚持把发展经济作为政府工作的根本，集中精力谋发展。"
    "一是不断强化发展支撑。项目建设取得新成效，全年在建项目完成投资x元，新增项目x个，总投资x元，落地率x%、开工率x%。"
    "二是不断优化产业结构。围绕产业、人才、文化、生态、组织“五个振兴”目标路径，进一步推进农业现代化，新建高标准农田x万亩。"
    "三是不断深化改革创新。深入推进“放管服”改革，政务服务事项全部实现网上可办，企业开办时间压缩至一个工作日以内。"
    "另一方面，着力优化营商环境。持续开展“万人助万企”活动，帮助企业解决融资、用工、用地等实际问题x个，惠及企业x家。"
)


def test_a_long_paragraph_is_cut_at_sentence_ends_preferring_its_points() -> None:
    chunks = chunks_of(POINTS, max_chars=120)
    assert len(chunks) > 1
    assert all(len(chunk.text) <= 120 for chunk in chunks)
    assert all(chunk.text.endswith("。") for chunk in chunks)
    assert all(chunk.text.startswith(("一是", "二是", "三是", "另一方面")) for chunk in chunks[1:])
    assert "".join(chunk.text for chunk in chunks) == POINTS


def test_a_sentence_longer_than_the_limit_is_cut_at_commas_into_even_pieces() -> None:
    sentence = "，".join(["坚持以供给侧结构性改革为主线"] * 30) + "。"
    chunks = chunks_of(sentence, max_chars=150)
    assert all(len(chunk.text) <= 150 for chunk in chunks)
    assert all(chunk.text.endswith(("，", "。")) for chunk in chunks)
    assert min(len(chunk.text) for chunk in chunks) > 100
    assert "".join(chunk.text for chunk in chunks) == sentence


def test_a_run_of_short_lines_becomes_its_own_passage_instead_of_swelling_the_next_one() -> None:
    rows = "\n".join(f"第{number}项\t完成投资{number}亿元" for number in range(1, 60))
    text = rows + "\n" + "全年重点项目建设进展顺利，完成投资超过年度计划，为经济增长提供了有力支撑。"
    chunks = chunks_of(text, max_chars=200)
    assert all(len(chunk.text) <= 200 for chunk in chunks)
    assert "".join(chunk.text for chunk in chunks).replace("\n", "") == text.replace("\n", "")


def test_chunk_ids_are_content_hashes_stable_across_runs() -> None:
    first, second = chunks_of(REPORT), chunks_of(REPORT)
    assert [chunk.chunk_id for chunk in first] == [chunk.chunk_id for chunk in second]
    assert first[2].chunk_id == chunk_id("test-document", first[2].text)
    assert len(first[2].chunk_id) == 16 and int(first[2].chunk_id, 16) >= 0
    edited = chunks_of(REPORT.replace("2.97亿元", "3.05亿元"))
    assert edited[2].chunk_id != first[2].chunk_id
    assert edited[3].chunk_id == first[3].chunk_id


@pytest.mark.parametrize("name", ["2023_npc_resolution.txt", "2017_npc_resolution.txt"])
def test_a_resolution_chunks_into_whole_paragraphs(name: str) -> None:
    [(document_, chunks)] = ingest_file(DATA / name)
    assert all(MIN_CHUNK_CHARS <= len(chunk.text) <= 350 for chunk in chunks)
    assert all(chunk.text.endswith(("。", "！", "，", "）")) for chunk in chunks)
    assert "".join(document_.text[chunk.start : chunk.end] for chunk in chunks) == "".join(
        chunk.text for chunk in chunks
    )
