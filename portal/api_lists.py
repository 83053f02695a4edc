"""How the API's lists page, filter and order.

- pages are numbers, as the schema says (no `?page=last`, no empty `?page=`);
- filters are the ones a view names (`filterset_fields` / `filterset_class`); a value of
  the wrong type, or an empty one, answers 400 rather than being ignored;
- `?ordering=` only where a view names its `ordering_fields`: DRF would otherwise offer
  every serializer field, computed ones included, and ordering by those is a server error.
"""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, pagination
from rest_framework.filters import OrderingFilter


def _refuse_empty(request, names) -> None:
    empty = sorted(name for name in names if request.query_params.get(name, None) == "")
    if empty:
        raise exceptions.ValidationError(
            {name: [_("Give a value or leave it out.")] for name in empty}
        )


class PageNumberPagination(pagination.PageNumberPagination):
    last_page_strings = ()

    def paginate_queryset(self, queryset, request, view=None):
        _refuse_empty(request, [self.page_query_param])
        return super().paginate_queryset(queryset, request, view)


class StrictFilterBackend(DjangoFilterBackend):
    raise_exception = True

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            _refuse_empty(request, filterset_class.base_filters)
        return super().filter_queryset(request, queryset, view)


class DeclaredOrderingFilter(OrderingFilter):
    def get_valid_fields(self, queryset, view, context=None):
        if getattr(view, "ordering_fields", None) is None:
            return []
        return super().get_valid_fields(queryset, view, context or {})

    def get_schema_operation_parameters(self, view):
        if getattr(view, "ordering_fields", None) is None:
            return []
        return super().get_schema_operation_parameters(view)
