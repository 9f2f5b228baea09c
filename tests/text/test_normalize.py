"""The character-level checks every document goes through: traditional-script detection, width
folding, the binary-content check. Expected values are counted by hand from the strings."""

from __future__ import annotations

import random

import opencc
import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text.extract import _check_text
from policytrack.pipeline.text.normalize import (
    _T2S,
    _ts_tables,
    clean_spaces,
    fold_width,
    is_traditional,
    normalize,
)

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


def test_t2s_phrases_before_characters_longest_first():
    convert = _ts_tables()[1]
    assert convert("乾") == "干"  # TSCharacters 乾 → "干 乾": the first value
    assert convert("乾元年間") == "乾元年间"  # the phrase 乾元 keeps its 乾; 間 → 间
    # 麼些族 (3 characters) is taken before 么麼 (2, further left): 么 stays, 麼些族 → 麽些族.
    assert convert("么麼些族") == "么麽些族"
    assert convert("發展經濟，推動“一目瞭然”") == "发展经济，推动“一目了然”"
    assert convert("著作 abc") == "著作 abc"  # nothing to change


def test_t2s_is_opencc_t2s():
    reference = opencc.OpenCC("t2s")
    reference.convert("")  # loads its dictionaries
    ((_, _, phrases), (_, _, chars)) = reference._dict_chain_data[0]
    keys = list(phrases)
    pool = keys + list("".join(keys)) + list(chars)[:300] + list("的是国 ，。、“”（）-\n\t")
    rng = random.Random(17)
    texts = ["", "乾隆年間著作", "\u3000乾坤一擲　傷亡枕藉寇兵齎盜糧"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    mine = _T2S(opencc.OpenCC("t2s")).convert
    assert mine.__name__ == "_convert"  # the fast path, not opencc's own
    assert [mine(t) for t in texts] == [reference.convert(t) for t in texts]


def test_clean_spaces():
    assert clean_spaces(" 关于深化改革 培育 ") == "关于深化改革 培育"
    assert clean_spaces("关于  培育\t新动能") == "关于培育 新动能"  # padding between CJK dropped
    assert clean_spaces("GDP  增长") == "GDP 增长"  # not between CJK: collapsed
    assert clean_spaces("第一\n第二") == "第一\n第二"
    assert normalize("  發展\u3000經濟 ", simplified=True) == "发展 经济"
