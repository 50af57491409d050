"""Structure and metadata: heading levels, compilations split at part titles, year, level, type, place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared import national_jsonl, seed_files

from indexer.ingest.cleaning import clean_text
from indexer.ingest.metadata import chinese_number, extract_metadata
from indexer.ingest.pipeline import ingest_file
from indexer.ingest.structure import Heading, detect_heading, is_part_title, split_compilation
from indexer.records import DocType, Level

DATA = Path(__file__).parent / "data" / "ingest"


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("一、2021年工作回顾", Heading(1, "一、2021年工作回顾", True)),
        ("三、2021年工作安排", Heading(1, "三、2021年工作安排", True)),
        ("第一部分 过去五年的回顾", Heading(1, "第一部分 过去五年的回顾", True)),
        ("（五）坚定不移深化改革开放。", Heading(2, "（五）坚定不移深化改革开放", True)),
        (
            "（一）经济发展健康平稳。地区生产总值完成XX亿元，同比增长X%；公共预算收入完成XX亿元，同比增长XX%。",
            Heading(2, "（一）经济发展健康平稳", False),
        ),
        (
            "1.对标“高质量”，发展态势稳步向上。一年来，我们围绕做强实体经济，持之以恒谋发展、稳运行。",
            Heading(3, "1.对标“高质量”，发展态势稳步向上", False),
        ),
        ("2、抓“项目提速”", Heading(3, "2、抓“项目提速”", True)),
        ("（3）加快补齐民生短板", Heading(4, "（3）加快补齐民生短板", True)),
        (
            "第一，要全力抓好重点指标落实。今年全市经济社会发展的主要预期目标，已经市人代会审议通过。",
            Heading(4, "第一，要全力抓好重点指标落实", False),
        ),
        ("一是综合实力显著增强。", Heading(5, "一是综合实力显著增强", True)),
        (
            "一是工作开展不平衡。一方面，地区之间、部门之间工作不平衡。有的地区和部门把专项行动作为重要载体。",
            Heading(5, "一是工作开展不平衡", False),
        ),
    ],
)
def test_heading_levels(line: str, heading: Heading) -> None:
    assert detect_heading(line) == heading


@pytest.mark.parametrize(
    "line",
    [
        "2.97亿元的项目已经完工，增长4.3%。",
        "一年来，我们坚持稳中求进工作总基调。",
        "——经济总体回升向好。国内生产总值超过126万亿元。",
        "各位代表：",
        "十是否定的看法不符合实际。",
    ],
)
def test_prose_is_not_a_heading(line: str) -> None:
    assert detect_heading(line) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2021年xx乡人民政府工作报告(1)", True),
        ("xx镇2021年政府工作报告(2)", True),
        ("xx市xx镇2021年政府工作报告（3）", True),
        ("某市政府工作报告", False),
        ("二、2022年工作安排", False),
    ],
)
def test_part_titles(line: str, expected: bool) -> None:
    assert is_part_title(line) is expected


def test_a_compilation_splits_at_its_title_lines_and_drops_a_part_with_only_a_title() -> None:
    text = (
        "5篇乡镇政府工作报告范文\n\n"
        "2021年xx乡人民政府工作报告(1)\n一、2020年工作回顾\n全年生产总值2.97亿元，增长4.3%。\n\n"
        "xx镇2021年政府工作报告(2)\n各位代表：\n现在，我代表镇人民政府向大会作工作报告。\n\n"
        "xx市xx镇2021年政府工作报告(3)\n"
    )
    compilation = split_compilation(text)
    assert compilation.title == "5篇乡镇政府工作报告范文"
    assert [part.split("\n")[0] for part in compilation.parts] == [
        "2021年xx乡人民政府工作报告(1)",
        "xx镇2021年政府工作报告(2)",
    ]


def test_a_single_report_is_not_split() -> None:
    text = "某市政府工作报告\n\n各位代表：\n现在，我代表市人民政府向大会报告工作。"
    assert split_compilation(text).parts == (text,)


@pytest.mark.parametrize(("text", "number"), [("一", 1), ("十", 10), ("十四", 14), ("二十三", 23)])
def test_chinese_numbers(text: str, number: int) -> None:
    assert chinese_number(text) == number


@pytest.mark.parametrize(
    ("text", "year", "level", "region", "province", "doc_type"),
    [
        (
            "四川省人民政府工作报告\n各位代表：\n现在，我代表省人民政府，向大会报告工作。",
            None,
            Level.PROVINCE,
            "四川省",
            "四川省",
            DocType.REPORT,
        ),
        (
            "XX县2022年政府工作报告\n各位代表：\n现在，我代表县人民政府向大会报告工作。",
            2022,
            Level.COUNTY,
            None,
            None,
            DocType.REPORT,
        ),
        (
            "2023年xx镇人民政府工作总结\n今年以来，在县委、县政府的坚强领导下，全镇上下攻坚克难。",
            2023,
            Level.TOWNSHIP,
            None,
            None,
            DocType.SUMMARY,
        ),
        (
            "在全市经济工作会议上的讲话\n同志们：\n回顾总结2021年全市经济工作，安排部署今年工作。",
            2022,
            Level.CITY,
            None,
            None,
            DocType.SPEECH,
        ),
        (
            "在全县三级干部大会上的讲话\n同志们：\n这次会议的主要任务是部署今年工作。",
            None,
            Level.COUNTY,
            None,
            None,
            DocType.SPEECH,
        ),
        (
            "各位代表：\n现在，我代表市人民政府向大会报告工作。\n一、2021年工作回顾\n过去一年很不平凡。",
            2022,
            Level.CITY,
            None,
            None,
            DocType.REPORT,
        ),
        # A city report set in 四川 that does not name its city: the province only.
        (
            "x市政府工作总结\n一年来，x市政府坚持高标准。全面落实总书记对四川及x市工作系列重要指示精神。",
            None,
            Level.CITY,
            None,
            "四川省",
            DocType.SUMMARY,
        ),
        (
            "XX市政府工作报告\n各位代表：\n我们承接了天津阀门、香河家具等产业转移项目。",
            None,
            Level.CITY,
            None,
            None,
            DocType.REPORT,
        ),
        # A report whose title line says only 政府工作报告 names its government in the lines below it.
        (
            "政府工作报告\n——2025年1月14日在浙江省第十四届人民代表大会第三次会议上\n"
            "浙江省省长 王浩\n各位代表：",
            2025,
            Level.PROVINCE,
            "浙江省",
            "浙江省",
            DocType.REPORT,
        ),
        (
            "政府工作报告\n——2025年1月在杭州市第十四届人民代表大会第五次会议上\n各位代表：\n"
            "现在，我代表市人民政府，向大会报告工作。",
            2025,
            Level.CITY,
            "杭州市",
            "浙江省",
            DocType.REPORT,
        ),
        (
            "各位代表：\n现在，我代表广西壮族自治区人民政府，向大会报告工作，请予审议。",
            None,
            Level.PROVINCE,
            "广西壮族自治区",
            "广西壮族自治区",
            DocType.REPORT,
        ),
        # 西湖区 is in 杭州 and in 南昌: the text says which.
        (
            "2024年西湖区政府工作报告\n各位代表：\n一年来，在杭州市委、市政府的坚强领导下，全区上下团结奋斗。",
            2024,
            Level.COUNTY,
            "西湖区",
            "浙江省",
            DocType.REPORT,
        ),
        (
            "2024年西湖区政府工作报告\n各位代表：\n一年来，在南昌市委、市政府的坚强领导下，全区上下团结奋斗。",
            2024,
            Level.COUNTY,
            "西湖区",
            "江西省",
            DocType.REPORT,
        ),
    ],
)
def test_metadata_from_title_and_opening(
    text: str, year: int | None, level: Level, region: str | None, province: str | None, doc_type: DocType
) -> None:
    metadata = extract_metadata(clean_text(text))
    assert (metadata.year, metadata.level, metadata.region, metadata.province, metadata.doc_type) == (
        year,
        level,
        region,
        province,
        doc_type,
    )


# Titles of real reports: (level, region, province). 直辖市, 自治区 and 特别行政区 are provincial; a city, a
# county or a district is its own region and has its province.
REPORT_TITLES = {
    "2025年上海市政府工作报告": (Level.PROVINCE, "上海市", "上海市"),
    "2025年北京市政府工作报告": (Level.PROVINCE, "北京市", "北京市"),
    "天津市2025年政府工作报告": (Level.PROVINCE, "天津市", "天津市"),
    "2025年重庆市人民政府工作报告": (Level.PROVINCE, "重庆市", "重庆市"),
    "内蒙古自治区2025年政府工作报告": (Level.PROVINCE, "内蒙古自治区", "内蒙古自治区"),
    "广西壮族自治区人民政府工作报告": (Level.PROVINCE, "广西壮族自治区", "广西壮族自治区"),
    "2025年宁夏回族自治区政府工作报告": (Level.PROVINCE, "宁夏回族自治区", "宁夏回族自治区"),
    "新疆维吾尔自治区政府工作报告": (Level.PROVINCE, "新疆维吾尔自治区", "新疆维吾尔自治区"),
    "西藏自治区2025年政府工作报告": (Level.PROVINCE, "西藏自治区", "西藏自治区"),
    "2025年浙江省政府工作报告": (Level.PROVINCE, "浙江省", "浙江省"),
    "2025年广西政府工作报告": (Level.PROVINCE, "广西壮族自治区", "广西壮族自治区"),
    "2025年香港特别行政区施政报告": (Level.PROVINCE, "香港特别行政区", "香港特别行政区"),
    "2024年杭州市政府工作报告": (Level.CITY, "杭州市", "浙江省"),
    "2024年延边朝鲜族自治州政府工作报告": (Level.CITY, "延边朝鲜族自治州", "吉林省"),
    "2023年青田县政府工作报告": (Level.COUNTY, "青田县", "浙江省"),
    "2025年浦东新区政府工作报告": (Level.COUNTY, "浦东新区", "上海市"),
    "2024年杭州市西湖区政府工作报告": (Level.COUNTY, "西湖区", "浙江省"),
    "2023年沛县政府工作报告": (Level.COUNTY, "沛县", "江苏省"),
    "2018年即墨市政府工作报告": (Level.COUNTY, "即墨市", "山东省"),  # a former name (即墨区 since 2017)
    "2022年青田县温溪镇政府工作报告": (Level.TOWNSHIP, "青田县", "浙江省"),
    "2025年国务院政府工作报告": (Level.NATIONAL, None, None),
}


@pytest.mark.parametrize(("title", "expected"), REPORT_TITLES.items())
def test_level_region_and_province_of_real_report_titles(
    title: str, expected: tuple[Level, str | None, str | None]
) -> None:
    metadata = extract_metadata(f"{title}\n各位代表：\n现在，我代表人民政府向大会报告工作，请予审议。")
    assert (metadata.level, metadata.region, metadata.province) == expected


@pytest.mark.parametrize(
    "title",
    [
        "2024年创新县域经济发展的调研报告",
        "城区更新工作总结",
        "关于推进新城区建设的讲话",
        "和县区干部座谈时的讲话",
    ],
)
def test_a_two_character_county_name_inside_words_names_no_government(title: str) -> None:
    assert extract_metadata(f"{title}\n同志们：\n这次会议很重要。").region is None


def test_a_resolution_takes_the_year_of_the_session_that_adopted_it() -> None:
    [(document, _)] = ingest_file(DATA / "2017_npc_resolution.txt")
    assert (document.year, document.level, document.doc_type) == (2017, Level.NATIONAL, DocType.RESOLUTION)


# The national records by line: the year of a report is in its title; the year of a resolution is the year
# of the NPC session that adopted it (第十四届第三次 = 2025 …, 第二届第三次 = 1962), which its text gives only
# in part ("同意报告提出的2025年…", "（2023年3月13日…通过）") or not at all ("今后一年").
NATIONAL_REPORT_YEARS = {
    0: 2025,
    2: 2024,
    4: 2023,
    6: 2022,
    8: 2021,
    11: 2019,
    13: 2018,
    15: 2017,
    17: 2016,
    19: 2015,
    21: 2014,
    23: 2013,
    25: 2012,
    27: 2011,
    29: 2010,
    31: 2009,
    33: 2008,
    35: 2007,
    37: 2006,
    38: 2005,
    39: 2004,
    40: 2003,
    41: 2002,
    42: 2001,
    43: 2000,
    44: 1999,
    45: 1998,
    46: 1997,
    47: 1995,
    48: 1994,
    49: 1993,
    50: 1992,
    51: 1988,
    52: 1987,
    53: 1986,
    54: 1985,
    55: 1984,
    56: 1983,
    57: 1982,
    58: 1981,
    59: 1980,
    60: 1979,
    61: 1978,
    62: 1975,
    63: 1964,
    65: 1960,
    66: 1959,
    67: 1958,
    68: 1957,
    69: 1956,
    70: 1955,
    71: 1954,
}
NATIONAL_RESOLUTION_YEARS = {
    1: 2025,
    3: 2024,
    5: 2023,
    7: 2022,
    9: 2021,
    10: 2020,
    12: 2019,
    14: 2018,
    16: 2017,
    18: 2016,
    20: 2015,
    22: 2014,
    24: 2013,
    26: 2012,
    28: 2011,
    30: 2010,
    32: 2009,
    34: 2008,
    36: 2007,
    64: 1962,
}


@pytest.mark.shared
def test_metadata_of_the_72_national_records() -> None:
    path = national_jsonl()
    expected = {
        **{line: (year, DocType.REPORT) for line, year in NATIONAL_REPORT_YEARS.items()},
        **{line: (year, DocType.RESOLUTION) for line, year in NATIONAL_RESOLUTION_YEARS.items()},
    }
    documents = [document for document, _ in ingest_file(path)]
    assert len(documents) == len(expected) == 72
    actual = {int(document.extra["line"]): (document.year, document.doc_type) for document in documents}
    assert actual == expected
    assert {document.level for document in documents} == {Level.NATIONAL}
    assert {(document.region, document.province) for document in documents} == {(None, None)}
    titles = [json.loads(line)["title"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert [document.title for document in documents] == titles


# Seeds by file-name prefix and part: (year, level, type, region, province). None names its own
# government; 002 is set in 四川 ("对四川及某市工作"), part 1 of 003 in 江西 ("视察江西、赣州和于都"); the
# others give only placeholders (x市, XX市, xx镇).
SEED_METADATA = {
    ("000", None): (2021, Level.CITY, DocType.SUMMARY, None, None),
    ("001", None): (2020, Level.CITY, DocType.SUMMARY, None, None),
    ("002", None): (2022, Level.CITY, DocType.REPORT, None, "四川省"),
    ("003", "1"): (2021, Level.TOWNSHIP, DocType.REPORT, None, "江西省"),
    ("003", "2"): (2021, Level.TOWNSHIP, DocType.REPORT, None, None),
    ("004", None): (2022, Level.CITY, DocType.SPEECH, None, None),
}
SEED_TITLES = {
    ("001", None): "市政府2020年工作总结及2021年工作谋划",
    ("002", None): "某市政府工作报告",
    ("003", "1"): "2021年xx乡人民政府工作报告(1)",
    ("003", "2"): "xx镇2021年政府工作报告(2)",
    ("004", None): "在市政府十一届二次全会暨“重担当、强能力、抓落实”推进工作电视电话会议上讲话",
}


@pytest.mark.shared
def test_metadata_of_the_seeds() -> None:
    actual = {}
    titles = {}
    for path in seed_files():
        for document, _ in ingest_file(path):
            key = (path.name[:3], document.extra.get("part"))
            actual[key] = (
                document.year,
                document.level,
                document.doc_type,
                document.region,
                document.province,
            )
            titles[key] = document.title
    assert actual == SEED_METADATA
    assert {key: title for key, title in titles.items() if key in SEED_TITLES} == SEED_TITLES
    # 000 has no title line: its first sentence, clipped, stands in.
    assert titles[("000", None)].startswith("2021年，是x市“十四五”起步之年") and titles[
        ("000", None)
    ].endswith("…")
