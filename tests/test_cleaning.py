"""Cleaning: site boilerplate goes, report text stays as written; search folding keeps offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.ingest.cleaning import clean_text
from indexer.text.normalize import normalize_for_search

DATA = Path(__file__).parent / "data" / "ingest"
BODY = "坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，加快构建新发展格局。"


@pytest.mark.parametrize(
    "noise",
    [
        "仅供学习 禁止外传 用后删除",
        "酷乐文行整理，咨询QQ206157060",
        "酷乐文行",
        "现在订阅立享前3年的所有权益和资料",
        "【打击倒卖活动】",
        "举报倒卖会员资料的人，举报成功免费赠送一年会员材料！",
        "会员群：                      免费QQ群：",
        "【会员资料仅供内部交流使用，严禁外传及用于商业用途，违者后果自负】",
        "携笔同道公文写作范文宝典:www.xiebitongdao.com",
        "携笔同道公文写作范文宝典:www.xiebitongdao.com2021年xx乡人民政府工作报告(1)一、2020年工作回顾",
        "2022-10-24 10:52:19 139",
        "文章导读",
        "............试读结束............",
        "查阅全文加微信3231169",
        "如来写作网gw.rulaixiezuo.com(可搜索其他更多资料)",
        "本文内容由互联网用户自发贡献,该文观点仅代表作者本人。请发送邮件至 3231169@qq.com 举报。",
        "如若转载,请注明出处:https://www.haowenren.com/59620.html",
        "(想阅读完全部图文内容,您需要先登陆!)",
        "¥6.66",
        "微信扫一扫在手机阅读、分享本文",
        "链接地址:https://www.xiebitongdao.com//index/article/detail/detail_id/54175.html",
        "推荐访问:",
        "小编推荐：更多范文请关注本站",
        "\u200b",
    ],
)
def test_boilerplate_lines_are_removed_and_the_report_kept(noise: str) -> None:
    assert clean_text(f"{noise}\n{BODY}\n{noise}") == BODY


# Web clutter by family: each line is removed whole wherever it sits around report text.
CLUTTER_FAMILIES = {
    "government-site footers and toolbars": [
        "来源：浙江省人民政府网 发布时间：2025-01-20 责任编辑：张三 【字体：大 中 小】 打印本页 关闭窗口",
        "发布时间：2025-01-14 10:30 来源：省政府办公厅 字号：[ 大 中 小 ]",
        "信息来源：市统计局",
        "【字体：大 中 小】【打印本页】【关闭窗口】",
        "打印本页 关闭窗口",
        "【打印】 【关闭】",
        "字号：大 中 小",
        "2025-01-20 10:12 来源：县政府办",
        "扫一扫在手机打开当前页",
        "主办单位：XX市人民政府办公室 承办：XX市大数据发展管理局",
    ],
    "share widgets": ["分享到：", "分享到：微信 微博 QQ空间", "分享 微信 微博"],
    "page counters": ["浏览次数：3456", "访问量：12890次", "【打印】 阅读量：1.2万"],
    "WeChat and 公众号 promotions": [
        "更多精彩内容请关注微信公众号“浙江发布”",
        "欢迎关注我们的公众号！",
        "扫码关注，获取更多资讯",
        "长按识别二维码关注我们",
        "点击上方蓝字关注我们",
        "微信公众号：xx发布",
        "点击“阅读原文”查看报告全文",
    ],
    "文库 upload notices": [
        "本文档由XX文库用户上传 仅供参考 下载地址",
        "下载本文档需要2下载券",
        "文档贡献者：张三",
        "还剩12页未读，继续阅读",
        "全文阅读已结束，如果下载本文需要使用1下载券",
        "本文档共15页",
        "word版本可编辑",
    ],
    "editor lines": [
        "责任编辑：张三",
        "（责任编辑：李四）",
        "编辑：王五 审核：赵六",
        "校对：钱七",
        "作者：市政府研究室",
    ],
    "previous and next article": ["上一篇：2024年政府工作报告", "下一篇：关于市政府2025年工作安排", "下一篇"],
    "copyright and registration": [
        "版权所有：浙江省人民政府办公厅",
        "Copyright © 2025 www.example.gov.cn All Rights Reserved",
        "浙ICP备05011236号 浙公网安备33010602000013号 网站标识码3300000069",
        "网站地图 | 联系我们 | 使用帮助",
    ],
}


@pytest.mark.parametrize(
    "noise",
    [
        pytest.param(line, id=f"{family}: {line}")
        for family, lines in CLUTTER_FAMILIES.items()
        for line in lines
    ],
)
def test_web_clutter_families_are_removed(noise: str) -> None:
    assert clean_text(f"{noise}\n{BODY}\n{noise}") == BODY


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("全面落实各项政策。【字体：大 中 小】", "全面落实各项政策。"),
        (
            "为全面建设社会主义现代化国家而努力奋斗！（责任编辑：张三）",
            "为全面建设社会主义现代化国家而努力奋斗！",
        ),
        ("【打印本页】推进数字政府建设。", "推进数字政府建设。"),
    ],
)
def test_clutter_pasted_into_a_report_line_goes_and_the_sentence_stays(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


# Report sentences that use the words clutter is made of: every one is kept as written.
REPORT_SENTENCES = [
    "开通政务微信公众号12个，“浙里办”注册用户突破1亿，政务服务事项网上可办率达95%。",
    "拓宽农民增收来源：一是发展特色产业，二是促进转移就业。",
    "数据来源：国家统计局，部分数据为快报数。",
    "资料来源于各部门上报的统计快报",
    "引导群众通过政务公众号反映诉求，全年办理群众来信来访1.2万件。",
    "加强知识产权保护，维护版权所有者和创作者的合法权益。",
    "建成数字文库、地方文献库，公共图书馆藏书达到320万册。",
    "全市门户网站访问量达到1.2亿次，政务公开工作位居全省前列。",
    "我们要接续奋斗，奋力谱写下一篇章。",
    "编辑出版《浙江通志》，审核通过地方标准28项。",
    "广播电视节目编辑、制作、播出全面实现数字化。",
    "提供法律法规免费下载和在线查询服务，方便群众办事。",
    "分享发展机遇，共享改革成果。",
    "作者、出版者和读者的权益得到保障。",
    "打印、复印等办公费用下降15%。",
    "各位代表：",
    "2025年1月14日在浙江省第十四届人民代表大会第三次会议上",
]


@pytest.mark.parametrize("sentence", REPORT_SENTENCES)
def test_report_sentences_with_clutter_words_survive(sentence: str) -> None:
    assert clean_text(f"{BODY}\n{sentence}\n{BODY}") == f"{BODY}\n{sentence}\n{BODY}"


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("某市政府工作报告(全文18521字)", "某市政府工作报告"),
        ("下面是小编为大家整理的在全市经济工作会议上的讲话,供大家参考。", "在全市经济工作会议上的讲话"),
        ("? ? ——坚决打赢疫情防控阻击战。", "——坚决打赢疫情防控阻击战。"),
        ("? ? (一)聚焦建设重要经济中心。", "（一）聚焦建设重要经济中心。"),
        ("招商\u200b引资", "招商引资"),
        ("１９５５年国家预算", "1955年国家预算"),
        ("\u3000\u3000现在，我代表国务院向大会作政府工作报告。", "现在，我代表国务院向大会作政府工作报告。"),
        ("   现在,我代表市人民政府,向大会报告工作。", "现在，我代表市人民政府，向大会报告工作。"),
        ("各位代表:", "各位代表："),
        ("增长4.3%;固定资产投资5600万元", "增长4.3%；固定资产投资5600万元"),
        ("(一)坚决打好了中央三大攻坚战。", "（一）坚决打好了中央三大攻坚战。"),
        ("2021年xx乡人民政府工作报告(1)", "2021年xx乡人民政府工作报告(1)"),
        ("全年生产总值2.97亿元，增长4.3%。", "全年生产总值2.97亿元，增长4.3%。"),
        ("本届政府从1 9 9 3 年3 月就职。", "本届政府从1993年3月就职。"),
        ("会议于9:30开始，共有1,200人参加。", "会议于9:30开始，共有1,200人参加。"),
        ("国务院总理\u3000李克强", "国务院总理\u3000李克强"),
        ("在“十四五”开局之年！", "在“十四五”开局之年！"),
        ("Public domain\nfalse", ""),
    ],
)
def test_width_and_whitespace_are_normalised_without_changing_the_words(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


def test_blank_runs_collapse_and_a_repeated_title_line_is_kept_once() -> None:
    raw = "某市政府工作报告\n\n\n\n某市政府工作报告\n\n\n各位代表：\n\n\n\n现在，我代表市政府报告工作。\n\n\n"
    assert clean_text(raw) == "某市政府工作报告\n\n各位代表：\n\n现在，我代表市政府报告工作。"


def test_one_paragraph_a_line_keeps_its_heading_lines() -> None:
    raw = "一、聚焦思想引领，强化理论武装\n始终坚持把思想建设摆在首位。\n二、聚焦主责主业\n推动高质量发展。"
    assert clean_text(raw) == raw


def test_wikisource_soft_breaks_are_joined_and_the_licence_footer_removed() -> None:
    cleaned = clean_text((DATA / "2023_npc_resolution.txt").read_text(encoding="utf-8"))
    assert "国务院总理李克强所作的政府工作报告。会议高度评价" in cleaned
    assert cleaned.split("\n")[0] == "第十四届全国人民代表大会第一次会议关于政府工作报告的决议"
    for footer in ("本作品", "公有领域", "著作权法", "Public domain", "false", "本模板"):
        assert footer not in cleaned
    assert cleaned.endswith("全面推进中华民族伟大复兴而团结奋斗！")


def test_cleaning_is_idempotent() -> None:
    once = clean_text((DATA / "2017_npc_resolution.txt").read_text(encoding="utf-8"))
    assert clean_text(once) == once


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("招商引資", "招商引资"),
        ("我們第一届全國人民代表大會", "我们第一届全国人民代表大会"),
        ("經濟建設", "经济建设"),
        ("１９５５ＡＢＣ", "1955abc"),
        ("GDP增长", "gdp增长"),
        ("“十四五”规划…", "“十四五”规划…"),
        ("面积㎡", "面积㎡"),
    ],
)
def test_search_folding_is_simplified_lower_case_and_keeps_length(text: str, folded: str) -> None:
    assert normalize_for_search(text) == folded
    assert len(normalize_for_search(text)) == len(text)
