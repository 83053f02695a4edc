"""The portal's one way of writing a number for a reader: the language's digits and
separators (pages, PDFs, e-mails; `{% load numbers %}` then `{{ n|number }}` or
`{{ n|number:1 }}`). CSV files and the API write plain numbers (`1234.5`), never these.

Separators and digits follow CLDR's default numbering system for each language, which
is also what browsers write (`Intl.NumberFormat`):

- en, ja: 1,234.5; ro: 1.234,5 (Latin digits);
- ar: ١٬٢٣٤٫٥ (Arabic-Indic digits: CLDR's default for `ar`; Django's own `ar` formats
  keep Latin digits and a comma for decimals, which CLDR gives only to Maghreb
  locales such as ar-MA);
- fa: ۱٬۲۳۴٫۵ (Persian digits).

Languages without an entry write as English does.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import translation

# language: (group separator, decimal separator, digits 0-9)
SYMBOLS = {
    "en": (",", ".", "0123456789"),
    "ja": (",", ".", "0123456789"),
    "ro": (".", ",", "0123456789"),
    "ar": ("\u066c", "\u066b", "٠١٢٣٤٥٦٧٨٩"),
    "fa": ("\u066c", "\u066b", "۰۱۲۳۴۵۶۷۸۹"),
}


# language: str.translate's table from ASCII digits to its own (Latin-digit ones: none)
_DIGIT_TABLES = {
    code: str.maketrans("0123456789", native)
    for code, (_group, _decimal, native) in SYMBOLS.items()
    if native != "0123456789"
}


def _code(language: str | None) -> str:
    return (language or translation.get_language() or "en").split("-")[0]


def _symbols(language: str | None = None) -> tuple[str, str, str]:
    return SYMBOLS.get(_code(language), SYMBOLS["en"])


def digits(text: str, language: str | None = None) -> str:
    """`text` with its ASCII digits written in the language's digits (dates, times)."""
    table = _DIGIT_TABLES.get(_code(language))
    return text.translate(table) if table is not None else text


def number(
    value, places: int | str | None = None, language: str | None = None, *, grouping: bool = True
) -> str:
    """`value` with the language's group and decimal separators and digits.

    `places`: a whole number of decimals (rounded half up, kept when zero: `2` writes
    3.50); a negative one (`-1`) writes at most that many, dropping a zero fraction
    (3.0 reads 3, 3.25 reads 3.3), like Django's floatformat. None keeps the value's own
    decimals. A value that is not a number is returned as it is. `grouping=False` writes
    no group separators (a rule's "1000000 MQLs").
    """
    if value is None or value == "":
        return ""
    code = _code(language)
    if type(value) is int and places in (None, ""):
        # the common case (counts), without Decimal: the same text, a page writes hundreds
        group = SYMBOLS.get(code, SYMBOLS["en"])[0]
        text = f"{value:,}".replace(",", group) if grouping else str(value)
        table = _DIGIT_TABLES.get(code)
        return text.translate(table) if table is not None else text
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    if places not in (None, ""):
        wanted = int(places)
        amount = amount.quantize(Decimal(1).scaleb(-abs(wanted)), rounding=ROUND_HALF_UP)
        if wanted < 0 and amount == amount.to_integral_value():
            amount = amount.quantize(Decimal(1))
    sign = "-" if amount < 0 else ""
    whole, _dot, fraction = f"{abs(amount):f}".partition(".")
    group, decimal, _native = SYMBOLS.get(code, SYMBOLS["en"])
    groups = []
    while grouping and len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = sign + group.join(groups) + (decimal + fraction if fraction else "")
    return digits(text, code)


# How a percentage is written (CLDR): Romanian puts a no-break space before the sign,
# Arabic and Persian use the Arabic percent sign.
PERCENT = {"ro": "{n}\u00a0%", "ar": "{n}\u066a", "fa": "{n}\u066a"}


def percent(value, places: int | str | None = None, language: str | None = None) -> str:
    """`value` (0-100) as a percentage in the language: 90%, 90 % (ro), ٩٠٪ (ar)."""
    if value is None or value == "":
        return ""
    code = (language or translation.get_language() or "en").split("-")[0]
    return PERCENT.get(code, "{n}%").format(n=number(value, places, language))


# A named placeholder: %(name)s, %(name)d, %(name).1f ... (flags, width, precision, type)
_PLACEHOLDER = re.compile(r"%\((\w+)\)([-#0 +]*\d*(?:\.\d+)?)([a-zA-Z%])")


def fill(text: str, values: dict, language: str | None = None) -> str:
    """`text % values` with each number written as the language writes it (`number`):
    how a translated sentence takes its counts (`ngettext(...)`, a stored `Text`), so
    "%(n)s attempts" reads "٦ محاولات" in Arabic. A whole number in a plain `%(n)d`
    or `%(n)s` is written with `number`; a placeholder with a width or a precision, and
    values that are not numbers, are formatted as `%` would."""

    def plain(match: re.Match) -> str:
        key, spec, kind = match.groups()
        value = values.get(key)
        if not spec and kind in "sdi" and _is_number(value):
            return f"%({key})s"
        return match.group(0)

    shown = {
        key: number(value, language=language) if _is_number(value) else value
        for key, value in values.items()
    }
    template = _PLACEHOLDER.sub(plain, text)
    # A number left in a placeholder with a width or a precision keeps its value.
    for key, _spec, kind in _PLACEHOLDER.findall(template):
        if kind != "s" and key in values:
            shown[key] = values[key]
    return template % shown


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
