"""Spreadsheet-formula injection: the one rule for every CSV the portal writes, and for
the free text the imports and the API store (leads.ingest.csvread re-exports it).

A (trimmed) value that a spreadsheet would run as a formula gets a leading single quote,
which makes it inert text; numbers (-5, -3.5) and ordinary text (+33 1 23 45 67 89,
"- called back", "@ 10am") are kept as they are. See docs/formats.md.
"""

from __future__ import annotations

import csv
import re

FORMULA_RE = re.compile(
    r"""^(?:
        =.                                   # =anything
      | @[A-Za-z_]                           # @SUM(, @cmd
      | [+\-]\s*[A-Za-z_][\w.]*\s*\(         # +SUM(, -HYPERLINK(
      | [+\-]\s*\$?[A-Za-z]{1,3}\$?\d+\b     # +A1, -$B$2
      | [+\-=@].*\|                          # DDE: -cmd|' /C calc'!A0
      | [+\-]\s*[=@]                         # +=1, -@x
      | [+\-]\s*[\d.,]+\s*[-+*/^&<>=]        # a signed number and an operator: -1+HYPERLINK(
    )""",
    re.VERBOSE | re.DOTALL,
)
# The first characters a (trimmed) formula can start with: a value starting with none of
# them is never one, which lets fast paths skip FORMULA_RE.
FORMULA_FIRST = "=+-@\t\r"


def looks_like_formula(value: str) -> bool:
    """True when a (trimmed) text value would be run as a formula by a spreadsheet."""
    return bool(value) and value[0] in FORMULA_FIRST and bool(FORMULA_RE.match(value.strip()))


def neutralise(value: str) -> str:
    """Make a formula-looking value inert for spreadsheets (leading single quote)."""
    return "'" + value


def safe_cell(value):
    """A cell as written: text that looks like a formula neutralised, anything else as is."""
    return neutralise(value) if isinstance(value, str) and looks_like_formula(value) else value


class _Writer:
    def __init__(self, out) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(out) -> _Writer:
    """csv.writer whose text cells cannot run as formulas: every CSV the portal writes."""
    return _Writer(out)
