"""Which line is a document's title: a sentence or a section heading is not, even when it ends
with a genre word (意见, 总结) and no salutation line marks where the header stops."""

from __future__ import annotations

import pytest

from policytrack.pipeline.text.parse import parse_paragraphs
from policytrack.pipeline.text.title import is_prose, is_title_like


@pytest.mark.parametrize(
    ("line", "title_like"),
    [
        ("湖北省科协2019年工作要点", True),
        # A congress report's title can have one comma.
        ("决胜全面建成小康社会，夺取新时代中国特色社会主义伟大胜利的报告", True),
        ("关于做好2019年科普工作的通知", True),
        ("关于做好2019年科普工作的通知。", False),  # closed like a sentence
        # A sentence that ends with a genre word: four commas.
        (
            "现在，我代表省人民政府，向大会报告政府工作，请各位代表审议，并请省政协委员提出意见",
            False,
        ),
        ("过去五年工作的基本总结", True),
    ],
)
def test_title_like(line, title_like):
    assert is_title_like(line) is title_like


@pytest.mark.parametrize(
    ("line", "prose"),
    [
        ("我代表省人民政府，向大会作政府工作报告，请予审议。", True),
        ("过去的一年是全省发展进程中极不平凡的一年，我们顶住压力。", True),
        ("欢迎访问本站！", False),  # a greeting, not the body
        ("过去五年工作的基本总结", False),
        ("各位代表：", False),
    ],
)
def test_prose(line, prose):
    assert is_prose(line) is prose


BODY = [
    "一、2011年工作回顾",
    "过去的一年，全省经济平稳较快发展，地区生产总值增长百分之十。",
    "二、2012年主要任务",
    "今年要着力稳增长、调结构、惠民生。",
]


def test_a_sentence_ending_with_a_genre_word_is_not_the_title():
    # The salutation carries a note, so it does not end the header; the next line is a
    # sentence (several commas) that ends with 意见 and, in this source, has no full stop.
    doc = parse_paragraphs(
        [
            "各位代表：（根据录音整理）",
            "现在，我代表省人民政府，向大会报告政府工作，请各位代表审议，并请省政协委员提出意见",
            *BODY,
        ],
        title_hint="2012年南淮省政府工作报告",
    )
    assert (doc.title, doc.title_source, doc.year) == ("2012年南淮省政府工作报告", "page", 2012)
    assert [s.title for s in doc.sections] == ["2011年工作回顾", "2012年主要任务"]


def test_a_heading_below_the_first_sentence_is_not_the_title():
    doc = parse_paragraphs(
        [
            "各位代表！（根据录音整理）",
            "我代表省人民政府，向大会作政府工作报告，请予审议。",
            "过去五年工作的基本总结",
            "五年来，全省各族人民团结一致，经济实力显著增强。",
            *BODY,
        ],
        title_hint="1988年南淮省政府工作报告",
    )
    assert (doc.title, doc.title_source, doc.year) == ("1988年南淮省政府工作报告", "page", 1988)
    assert [s.title for s in doc.sections] == ["2011年工作回顾", "2012年主要任务"]
