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


def _symbols(language: str | None = None) -> tuple[str, str, str]:
    code = (language or translation.get_language() or "en").split("-")[0]
    return SYMBOLS.get(code, SYMBOLS["en"])


def digits(text: str, language: str | None = None) -> str:
    """`text` with its ASCII digits written in the language's digits (dates, times)."""
    native = _symbols(language)[2]
    if native == "0123456789":
        return text
    return text.translate(str.maketrans("0123456789", native))


def number(value, places: int | str | None = None, language: str | None = None) -> str:
    """`value` with the language's group and decimal separators and digits.

    `places`: a whole number of decimals (rounded half up, kept when zero: `2` writes
    3.50); a negative one (`-1`) writes at most that many, dropping a zero fraction
    (3.0 reads 3, 3.25 reads 3.3), like Django's floatformat. None keeps the value's own
    decimals. A value that is not a number is returned as it is.
    """
    if value is None or value == "":
        return ""
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
    group, decimal, _native = _symbols(language)
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = sign + group.join(groups) + (decimal + fraction if fraction else "")
    return digits(text, language)


# How a percentage is written (CLDR): Romanian puts a no-break space before the sign,
# Arabic and Persian use the Arabic percent sign.
PERCENT = {"ro": "{n}\u00a0%", "ar": "{n}\u066a", "fa": "{n}\u066a"}


def percent(value, places: int | str | None = None, language: str | None = None) -> str:
    """`value` (0-100) as a percentage in the language: 90%, 90 % (ro), ٩٠٪ (ar)."""
    if value is None or value == "":
        return ""
    code = (language or translation.get_language() or "en").split("-")[0]
    return PERCENT.get(code, "{n}%").format(n=number(value, places, language))
