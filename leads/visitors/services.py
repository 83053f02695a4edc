"""Writing visitor counts: one month and source at a time (the page, the API) or a whole
web-analytics export (CSV: `month,source,visitors`, month as YYYY-MM). A CSV is written
all or nothing: one bad row and nothing is written, each bad row named."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from leads.visitors.models import VisitorCount

CSV_COLUMNS = ("month", "source", "visitors")


def month_parse(text: str) -> dt.date:
    """ "2026-03" as the month's first day; ValueError otherwise."""
    year, month = str(text).strip().split("-")
    return dt.date(int(year), int(month), 1)


def visitor_count_set(
    *, actor, agreement, month: dt.date, source: str, visitors: int
) -> VisitorCount:
    """Set the visitors of one month and source (replacing what was there)."""
    source = (source or "").strip().lower()
    if not source:
        raise ValidationError({"source": [_("Name the source, e.g. organic or paid.")]})
    if visitors is None or int(visitors) < 0:
        raise ValidationError({"visitors": [_("Visitors are a whole number, 0 or more.")]})
    row, _created = VisitorCount.objects.update_or_create(
        agreement=agreement,
        month=month.replace(day=1),
        source=source[:64],
        defaults={"visitors": int(visitors), "updated_by": actor},
    )
    return row


def visitor_counts_import_csv(*, actor, agreement, text: str) -> tuple[int, list[str]]:
    """Write every row of the export, or none: (rows written, problems by row)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if not set(CSV_COLUMNS) <= set(header):
        return 0, [_("The first line must name the columns: month, source, visitors.")]
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            month = month_parse(row["month"])
        except (ValueError, TypeError):
            problems.append(
                _("Row %(n)s: the month %(value)s is not YYYY-MM.")
                % {"n": number, "value": repr(row["month"])}
            )
            continue
        if not row["visitors"].isdigit():
            problems.append(
                _("Row %(n)s: visitors %(value)s is not a whole number.")
                % {"n": number, "value": repr(row["visitors"])}
            )
            continue
        if not row["source"]:
            problems.append(_("Row %(n)s: the source is empty.") % {"n": number})
            continue
        rows.append((month, row["source"], int(row["visitors"])))
    if problems:
        return 0, problems
    with transaction.atomic():
        for month, source, visitors in rows:
            visitor_count_set(
                actor=actor, agreement=agreement, month=month, source=source, visitors=visitors
            )
    return len(rows), []
