"""One rule for every CSV the portal writes or stores from: a value a spreadsheet would
run as a formula gets a leading quote; numbers and ordinary text stay as they are."""

import csv
import io

import pytest

from portal import csvsafe

FORMULAS = [
    '=HYPERLINK("http://x")',
    '+1+HYPERLINK("http://x","click")',
    '-1+HYPERLINK("http://x","click")',
    "-2-3",
    "+1*A1",
    "+SUM(A1:A3)",
    "-A1+B2",
    "@SUM(A1)",
    "-cmd|' /C calc'!A0",
]
PLAIN = ["-5", "-3.5", "+33 1 23 45 67 89", "- called back", "@ 10am", "12.50", "", "Acme"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_is_caught(value):
    assert csvsafe.looks_like_formula(value)
    assert csvsafe.safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", PLAIN)
def test_numbers_and_ordinary_text_are_kept(value):
    assert not csvsafe.looks_like_formula(value)
    assert csvsafe.safe_cell(value) == value


def test_the_writer_neutralises_text_cells_and_keeps_numbers():
    out = io.StringIO()

    csvsafe.writer(out).writerow(['+1+HYPERLINK("http://x")', -3.5, 7, "-4"])

    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        '\'+1+HYPERLINK("http://x")',
        "-3.5",
        "7",
        "-4",
    ]
