"""How the API's lists page, filter and order.

- pages are numbers, as the schema says (no `?page=last`, no empty `?page=`);
- filters are the ones a view names (`filterset_fields` / `filterset_class`); a value of
  the wrong type, or an empty one, answers 400 rather than being ignored;
- `?ordering=` only where a view names its `ordering_fields`: DRF would otherwise offer
  every serializer field, computed ones included, and ordering by those is a server error.
  A field the view does not name answers 400 (DRF would silently ignore it, and a client
  would page through an order it did not ask for). The primary key always breaks ties,
  so pages never repeat or skip a row whose sort value equals its neighbour's.

Filters only ever narrow the queryset a view has already limited to what the user may
see. Related objects are filtered by id (`IdFilter`), never by a choice among all rows:
an id of an object you cannot see gives the same empty list as an id that does not
exist, so a filter does not tell which ids exist.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination
from rest_framework.exceptions import ErrorDetail
from rest_framework.filters import OrderingFilter

from portal import numbers

MAX_ID = 2**63 - 1  # bigint: a larger id cannot exist, and asking for one is refused


def _refuse_empty(request, names) -> None:
    empty = sorted(name for name in names if request.query_params.get(name, None) == "")
    if empty:
        raise exceptions.ValidationError(
            {
                name: [ErrorDetail(_("Give a value or leave it out."), code="blank")]
                for name in empty
            }
        )


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of PAGE_SIZE (50) items, or of `?page_size=` up to `max_page_size`; a page
    size that is not a whole number above zero is refused, not quietly replaced."""

    last_page_strings = ()
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        _refuse_empty(request, [self.page_query_param, self.page_size_query_param])
        asked = request.query_params.get(self.page_size_query_param)
        if asked is not None and not (asked.isascii() and asked.isdigit() and int(asked) > 0):
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        ErrorDetail(
                            numbers.fill(
                                _("A page size is a whole number from %(least)s to %(most)s."),
                                {"least": 1, "most": self.max_page_size},
                            ),
                            code="invalid",
                        )
                    ]
                }
            )
        return super().paginate_queryset(queryset, request, view)


class StrictFilterBackend(DjangoFilterBackend):
    raise_exception = True

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            _refuse_empty(request, filterset_class.base_filters)
        return super().filter_queryset(request, queryset, view)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """The id of a related object (`?owner=7`): a whole number, matched on the column."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


TRUE_FALSE = [(v, v) for v in ("true", "false", "1", "0")]


@extend_schema_field({"type": "string", "enum": [v for v, _label in TRUE_FALSE]})
class TrueFalseFilter(django_filters.ChoiceFilter):
    """`true`/`1` or `false`/`0`, anything else a 400 (a BooleanFilter silently ignores
    `?x=maybe`). Give it a `method`, or a `field_name` of a boolean column."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", TRUE_FALSE)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ("", None) or self.method is not None:
            return super().filter(qs, value)
        return qs.filter(**{self.field_name: is_true(value)})


def is_true(value: str) -> bool:
    return value in ("true", "1")


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, handed to the database in UTC: PostgreSQL refuses offsets
    beyond ±15:59 (`+18:14` is valid ISO 8601), and an instant that falls outside the
    years 1-9999 once in UTC is no instant at all (400, not a server error)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


def since_until(field: str, *, dates: bool = False):
    """A pair of filters on one column, for `x_after` (inclusive) and `x_before`
    (exclusive): `created_after, created_before = since_until("created_at")`."""
    cls = django_filters.DateFilter if dates else UtcIsoDateTimeFilter
    what = "date" if dates else "date and time (ISO 8601)"  # schema documentation
    return (
        cls(field_name=field, lookup_expr="gte", label=f"{field} on or after this {what}"),
        cls(field_name=field, lookup_expr="lt", label=f"{field} before this {what}"),
    )


class DeclaredOrderingFilter(OrderingFilter):
    def get_valid_fields(self, queryset, view, context=None):
        if getattr(view, "ordering_fields", None) is None:
            return []
        return super().get_valid_fields(queryset, view, context or {})

    def _names(self, view) -> list[str]:
        return [item if isinstance(item, str) else item[0] for item in view.ordering_fields]

    def get_ordering(self, request, queryset, view):
        if getattr(view, "ordering_fields", None) is None:
            return self.get_default_ordering(view)
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            ordering = self.get_default_ordering(view)
        else:
            _refuse_empty(request, [self.ordering_param])
            terms = [term.strip() for term in raw.split(",")]
            valid = set(self._names(view))
            if any(term.removeprefix("-") not in valid for term in terms):
                message = _("Order by one or more of %(fields)s (a leading - for descending).")
                raise exceptions.ValidationError(
                    {
                        self.ordering_param: [
                            ErrorDetail(
                                message % {"fields": ", ".join(sorted(valid))},
                                code="invalid_choice",
                            )
                        ]
                    }
                )
            ordering = terms
        if not ordering:
            return ordering
        ordering = list(ordering)
        if not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("-pk" if ordering[0].startswith("-") else "pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        if getattr(view, "ordering_fields", None) is None:
            return []
        names = sorted(self._names(view))
        one = "-?(" + "|".join(names) + ")"
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Order by {', '.join(names)}; a leading - for descending, several "
                    "separated by commas. Other fields are refused (400)."
                ),
                "schema": {"type": "string", "pattern": f"^{one}(,{one})*$"},
            }
        ]
