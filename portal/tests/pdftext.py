"""Reading a PDF the portal made, as a person or a copy-and-paste would: its text (in
logical order, Arabic and Persian included), the fonts it embeds, and whether any
character was drawn as a missing glyph (.notdef, the empty box).

A PDF with a missing glyph also reads back garbled (its text no longer matches), so the
tests check both: the engine's word and the text."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from portal import fonts


def normalized(text: str) -> str:
    """Compatibility forms folded (Arabic presentation forms to letters), invisible
    format characters (zero-width non-joiner, direction marks) dropped, runs of white
    space made one space."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return re.sub(r"\s+", " ", text).strip()


def pdf_text(data: bytes) -> str:
    """Every page's text, normalized (:func:`normalized`)."""
    reader = PdfReader(io.BytesIO(data))
    return normalized("\n".join(page.extract_text() or "" for page in reader.pages))


def _rtl(word: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in word)


def _word_position(text: str, word: str, start: int) -> int:
    """Where ``word`` is in ``text`` from ``start``, or -1.

    pypdf (like pdftotext) misplaces a ligature of a right-to-left word, one glyph for
    two letters such as a final noon-yeh: "طرفین" comes out as "ینطرف", or with the
    ending at the start of its line. So a right-to-left word is also found as its body
    with its last one to three letters near it, on the same line."""
    found = text.find(word, start)
    if found >= 0 or not _rtl(word):
        return found
    for cut in (1, 2, 3):
        body, ending = word[:-cut], word[-cut:]
        if len(body) < 2:
            break
        at = text.find(body, start)
        while at >= 0:
            if ending in text[max(0, at - 80) : at + len(body) + 80]:
                return at
            at = text.find(body, at + 1)
    return -1


def find_in_order(text: str, expected: list[str]) -> list[str]:
    """The items of ``expected`` (normalized) not found in ``text`` one after another;
    ``[]`` when all are there in that order.

    An item is found as it is, or else word by word: right to left lines with a left to
    right part, "بصمة المحتوى (SHA-256)", come out of pypdf with the parts swapped,
    ")SHA-256( بصمة المحتوى". Each word must then be there after the previous item, and
    the next item must come after this one's first word."""
    missing, at = [], 0
    for item in expected:
        item = normalized(item)
        found = text.find(item, at)
        if found >= 0:
            at = found + len(item)
            continue
        words = re.findall(r"\w+", item)
        positions = [_word_position(text, word, at) for word in words]
        if not words or min(positions) < 0:
            missing.append(item)
        else:
            at = positions[0]
    return missing


def has_words(text: str, phrase: str) -> bool:
    """Every word of ``phrase`` (normalized) is somewhere in ``text``."""
    words = re.findall(r"\w+", normalized(phrase))
    return bool(words) and all(_word_position(text, word, 0) >= 0 for word in words)


def embedded_fonts(data: bytes) -> set[str]:
    """The base names of the fonts the PDF embeds, without the subset tag."""
    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            name = str(font.get_object().get("/BaseFont", ""))
            names.add(name.lstrip("/").split("+", 1)[-1])
    return names


def foreign_fonts(data: bytes) -> set[str]:
    """Embedded fonts that are not the portal's own (a system font picked as fallback)."""
    ours = tuple(family.replace(" ", "-") for family in fonts.FAMILIES)
    return {name for name in embedded_fonts(data) if not name.startswith(ours)}


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]):
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if ".notdef" in message:
            self.messages.append(message)


@contextmanager
def missing_glyphs() -> Iterator[list[str]]:
    """Collects what the PDF engine drew as .notdef (the empty box: a character none of
    the fonts has) while the block runs; WeasyPrint says so for each such string."""
    messages: list[str] = []
    handler = _Collect(messages)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


@cache
def _covered() -> frozenset[int]:
    points: set[int] = set()
    for face in fonts.FACES:
        points.update(TTFont(str(face.path), lazy=True).getBestCmap())
    return frozenset(points)


def uncovered(text: str) -> set[str]:
    """Characters of ``text`` that none of the portal's fonts has (white space and
    invisible format characters need no glyph)."""
    return {
        c
        for c in text
        if ord(c) not in _covered()
        and not c.isspace()
        and unicodedata.category(c) not in ("Cf", "Cc")
    }
