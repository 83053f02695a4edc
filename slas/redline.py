"""Word-level redline (diff) of two texts.

Texts are tokenised into words, whitespace runs and single punctuation marks so
that the diff output reassembles *exactly*: joining the ``equal`` and ``delete``
chunks gives the old text, joining the ``equal`` and ``insert`` chunks gives the
new text. Scripts written without spaces (Han, Hiragana, Katakana, Hangul) are
tokenised one character at a time so edits inside a Japanese sentence do not
mark the whole sentence as changed.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

EQUAL = "equal"
INSERT = "insert"
DELETE = "delete"

# CJK ideographs, kana, Hangul, CJK punctuation and full-width forms.
_CJK = (
    "\u3000-\u303f"  # CJK symbols and punctuation
    "\u3040-\u309f"  # Hiragana
    "\u30a0-\u30ff"  # Katakana
    "\u3100-\u312f"  # Bopomofo
    "\u3130-\u318f"  # Hangul compatibility jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff00-\uffef"  # Half-width and full-width forms
    "\U00020000-\U0003134f"  # CJK extensions B-G
)

# Order matters: a CJK character is one token; a "word" is a run of word
# characters plus combining marks (Arabic harakat, decomposed diacritics) that
# is not CJK; whitespace runs are one token; anything else is one character.
_TOKEN_RE = re.compile(
    rf"[{_CJK}]"
    rf"|(?:(?![{_CJK}])[\w\u0300-\u036f\u064b-\u065f\u0670\u200c\u200d])+"
    r"|\s+"
    r"|.",
    re.DOTALL,
)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into diff tokens; ``"".join(tokenize(t)) == t`` always holds."""
    return _TOKEN_RE.findall(text)


def redline(old: str, new: str) -> list[tuple[str, str]]:
    """Return a list of ``(op, text)`` chunks turning ``old`` into ``new``.

    ``op`` is one of ``"equal"``, ``"insert"`` or ``"delete"``. A replacement is
    reported as a delete followed by an insert. Adjacent chunks never share an op.
    """
    a, b = tokenize(old), tokenize(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    chunks: list[tuple[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if chunks and chunks[-1][0] == op:
            chunks[-1] = (op, chunks[-1][1] + text)
        else:
            chunks.append((op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == EQUAL:
            add(EQUAL, "".join(a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            add(DELETE, "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            add(INSERT, "".join(b[j1:j2]))
    return chunks


def redline_html(old: str, new: str) -> SafeString:
    """Render :func:`redline` as HTML with ``<del>``/``<ins>``; all text is escaped."""
    parts = []
    for op, text in redline(old, new):
        escaped = escape(text)
        if op == DELETE:
            parts.append(f"<del>{escaped}</del>")
        elif op == INSERT:
            parts.append(f"<ins>{escaped}</ins>")
        else:
            parts.append(str(escaped))
    return mark_safe("".join(parts))  # noqa: S308 - every chunk escaped above
