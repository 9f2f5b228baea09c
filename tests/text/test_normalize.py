"""The character-level checks every document goes through: traditional-script detection, width
folding, the binary-content check. Expected values are counted by hand from the strings."""

from __future__ import annotations

import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text.extract import _check_text
from policytrack.pipeline.text.normalize import fold_width, is_traditional

# 國 關 經 濟 發: traditional forms that are no simplified character's form.
TRAD = "國關經濟發"
SIMPLE = "科协工作要点"  # simplified, and the same in both scripts


def test_traditional_needs_five_traditional_only_characters_and_two_percent():
    body = (SIMPLE * 20)[:95]
    assert is_traditional(TRAD + body)  # 5 of 100 CJK characters: 5 %
    assert not is_traditional(TRAD[:4] + body)  # 4 hits: fewer than five
    assert not is_traditional(TRAD + (SIMPLE * 60)[:295])  # 5 of 300: 1.7 %
    assert is_traditional(TRAD + "ABC 123，。" * 40)  # only CJK characters are counted
    assert not is_traditional("ABC 123")


def test_traditional_reads_the_first_20000_characters_only():
    assert not is_traditional(SIMPLE[0] * 20000 + TRAD * 10)
    assert is_traditional(SIMPLE[0] * 100 + TRAD * 10)


def test_a_title_uses_a_lower_count_and_a_higher_share():
    assert is_traditional("關於印發", threshold=0.2, min_hits=1)  # 1 of 4: 25 %
    assert not is_traditional("关于印发工作要点的通知關", threshold=0.2, min_hits=1)  # 1 of 11


def test_width_folding_digits_letters_space_and_invisible_characters():
    assert fold_width("２０１９年ＧＤＰ增长６．５％\u3000ok\u200b！") == "2019年GDP增长6.5% ok！"
    assert fold_width("一、加强党的建设。") == "一、加强党的建设。"  # nothing to fold
    assert fold_width("a\u00a0b\ufeff") == "a b"


def test_binary_check_counts_control_characters_but_not_layout_ones():
    for bad in ("\x0b", "\x00", "\x1f", "\ufffd"):
        with pytest.raises(InputError, match="binary or undecodable"):
            _check_text("文" * 979 + bad * 21, "f.txt")  # 21 of 1,000: more than 2 %
        _check_text("文" * 980 + bad * 20, "f.txt")  # 20 of 1,000: 2 %, not more
    _check_text("文" * 500 + "\t\n\r\f" * 125, "f.txt")  # layout characters are text
