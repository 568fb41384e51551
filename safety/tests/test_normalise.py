"""The normaliser: every evasion class comes out as plain words, and a span maps back to what the
person typed."""

import pytest

from safety.normalise import has_foreign_letters, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｃｈｉｌｄ", "child"),  # full-width forms
        ("𝐭𝐞𝐞𝐧", "teen"),  # mathematical bold
        ("c\u200bh\u200ci\u200dl\u2060d\ufeff", "child"),  # zero-width characters
        ("ch\u00adild", "child"),  # soft hyphen
        ("c\u0336h\u0336i\u0336l\u0336d\u0336", "child"),  # combining strike-through
        ("t\u0301e\u0308e\u0303n", "teen"),  # accents
        ("\u0441\u0456\u0440", "cip"),  # Cyrillic es, i, er look like c, i, p
        ("\u03ba\u03b9d", "kid"),  # Greek kappa, iota
        ("\u041a\u0456D", "kid"),  # Cyrillic capital ka, small i
        ("c h i l d", "child"),
        ("k.i.d", "kid"),
        ("t-e-e-n", "teen"),
        ("c_h_i_l_d_r_e_n", "children"),
        ("a c h i l d", "a child"),
        ("ch ild", "child"),
        ("te.en", "teen"),
        ("k1d", "kid"),
        ("t33n", "teen"),
        ("thirteen", "13"),
        ("a fifteen-year-old", "a 15-year-old"),
        ("twenty-five", "25"),
        ("an eighth grader", "an 8th grader"),
        ("Kidderminster", "kidderminster"),
    ],
)
def test_it_folds_each_evasion_to_plain_words(text, expected):
    assert normalise(text).text == expected


def test_it_keeps_ordinary_words_apart():
    assert normalise("a red hat on a chair").text == "a red hat on a chair"
    assert normalise("15yo").text == "15yo"  # digits that aren't letters stay digits


def test_a_span_maps_back_to_what_was_typed():
    typed = "a ｆｉｆｔｅｅｎ-year-old in a c\u200bhild's room"
    norm = normalise(typed)
    start = norm.text.index("15")
    assert norm.original_span(start, start + len("15-year-old")) == "ｆｉｆｔｅｅｎ-year-old"
    child = norm.text.index("child")
    assert norm.original_span(child, child + 5) == "c\u200bhild"


def test_it_knows_when_to_read_a_transliteration_too():
    assert has_foreign_letters("\u03b1 \u03bd")
    assert not has_foreign_letters("ｃｈｉｌｄ")  # full-width letters are ASCII after NFKC
    assert not has_foreign_letters("a child 👶")
