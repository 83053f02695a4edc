from hypothesis import given
from hypothesis import strategies as st

from slas.redline import redline, redline_html, tokenize


def old_side(chunks):
    return "".join(text for op, text in chunks if op in ("equal", "delete"))


def new_side(chunks):
    return "".join(text for op, text in chunks if op in ("equal", "insert"))


def test_identical_texts_are_a_single_equal_chunk():
    assert redline("Response within 4 hours.", "Response within 4 hours.") == [
        ("equal", "Response within 4 hours.")
    ]


def test_empty_texts_give_no_chunks():
    assert redline("", "") == []


def test_a_changed_word_is_a_delete_followed_by_an_insert():
    assert redline("Response within 4 hours.", "Response within 8 hours.") == [
        ("equal", "Response within "),
        ("delete", "4"),
        ("insert", "8"),
        ("equal", " hours."),
    ]


def test_an_added_word_is_an_insert():
    chunks = redline("Leads are accepted.", "Qualified leads are accepted.")
    assert ("insert", "Qualified leads") in chunks or ("insert", "Qualified") in chunks
    assert new_side(chunks) == "Qualified leads are accepted."


def test_punctuation_is_its_own_token():
    assert tokenize("hours, days.") == ["hours", ",", " ", "days", "."]


def test_romanian_diacritics_stay_inside_words():
    assert tokenize("Întârziere și penalități") == ["Întârziere", " ", "și", " ", "penalități"]
    chunks = redline("Termenul este în 5 zile.", "Termenul este în 3 zile lucrătoare.")
    assert ("delete", "5") in chunks
    assert old_side(chunks) == "Termenul este în 5 zile."
    assert new_side(chunks) == "Termenul este în 3 zile lucrătoare."


def test_arabic_words_with_harakat_are_single_tokens():
    assert tokenize("مُدَّة الاستجابة") == ["مُدَّة", " ", "الاستجابة"]
    chunks = redline("مدة الاستجابة أربع ساعات", "مدة الاستجابة ثماني ساعات")
    assert ("delete", "أربع") in chunks
    assert ("insert", "ثماني") in chunks


def test_persian_words_with_zero_width_non_joiner_are_single_tokens():
    assert tokenize("می\u200cشود تأیید") == ["می\u200cشود", " ", "تأیید"]
    chunks = redline("سرنخ تأیید می\u200cشود", "سرنخ رد می\u200cشود")
    assert ("delete", "تأیید") in chunks
    assert ("insert", "رد") in chunks


def test_japanese_without_spaces_is_diffed_per_character():
    chunks = redline("四時間以内に回答する。", "八時間以内に回答する。")
    assert chunks == [("delete", "四"), ("insert", "八"), ("equal", "時間以内に回答する。")]


def test_mixed_latin_and_japanese_splits_at_the_script_boundary():
    assert tokenize("SLA契約") == ["SLA", "契", "約"]


def test_html_output_marks_deletions_and_insertions():
    html = redline_html("within 4 hours", "within 8 hours")
    assert html == "within <del>4</del><ins>8</ins> hours"


def test_html_output_escapes_markup_in_every_chunk():
    html = redline_html("<b>old</b> & same", '<script>alert("x")</script> & same')
    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;" in html
    assert "&quot;x&quot;" in html
    assert "&amp; same" in html


def test_html_output_escapes_a_wholly_inserted_script_tag():
    html = redline_html("Terms.", 'Terms. <script>alert("x")</script>')
    assert "<script" not in html
    assert "<ins> &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</ins>" in html


def test_html_output_is_marked_safe():
    assert hasattr(redline_html("a", "b"), "__html__")


@given(st.text(), st.text())
def test_chunks_always_reassemble_both_texts(old, new):
    chunks = redline(old, new)
    assert old_side(chunks) == old
    assert new_side(chunks) == new


@given(st.text())
def test_tokens_always_reassemble_the_text(text):
    assert "".join(tokenize(text)) == text


@given(st.text(), st.text())
def test_adjacent_chunks_never_share_an_op_and_are_never_empty(old, new):
    chunks = redline(old, new)
    assert all(text for _, text in chunks)
    assert all(a[0] != b[0] for a, b in zip(chunks, chunks[1:], strict=False))
