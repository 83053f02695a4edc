"""One error body for the whole API, and its description in the OpenAPI schema.

Every 4xx answer of /api/v1/ has the same shape::

    {"detail": "A sentence for people.",
     "code": "machine_readable_code",
     "errors": {"field": [{"message": "...", "code": "required"}]}}   # field errors only

`errors` is present for validation errors only; nested fields are dotted
(`items.3.email`), errors not tied to a field are under `non_field_errors`. Views may
add keys of their own (e.g. `current_revision` on an edit conflict), never remove these.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


def _flatten(detail, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    """DRF's nested ErrorDetail structure as {dotted.field: [{message, code}]}."""
    out: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = NON_FIELD if key in (NON_FIELD, "detail") and not prefix else str(key)
            for field, items in _flatten(value, f"{prefix}{name}." if name else prefix).items():
                out.setdefault(field, []).extend(items)
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            field = prefix.rstrip(".") or NON_FIELD
            out[field] = [
                {"message": str(item), "code": getattr(item, "code", "invalid")} for item in detail
            ]
            return out
        for index, item in enumerate(detail):
            for field, items in _flatten(item, f"{prefix}{index}.").items():
                out.setdefault(field, []).extend(items)
        return out
    field = prefix.rstrip(".") or NON_FIELD
    out[field] = [{"message": str(detail), "code": getattr(detail, "code", "invalid")}]
    return out


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.values()))[0] if errors else None
        body = {
            "detail": _("Some of the input is not valid."),
            "code": "invalid",
            "errors": errors,
        }
        if first and len(errors) == 1 and NON_FIELD in errors:
            body["detail"] = first["message"]
    else:
        detail = exc.detail
        if isinstance(detail, dict):  # a view raised with a dict: keep its keys
            body = dict(detail)
            body["detail"] = str(body.get("detail", exc.default_detail))
            body["code"] = str(getattr(detail.get("detail"), "code", None) or exc.default_code)
        elif isinstance(detail, list):
            body = {
                "detail": " ".join(str(item) for item in detail),
                "code": exc.default_code,
            }
        else:
            body = {"detail": str(detail), "code": getattr(detail, "code", exc.default_code)}
    response.data = body
    return response


# The schema ------------------------------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error body of the API.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in a sentence."},
        "code": {"type": "string", "description": "A machine-readable code."},
        "errors": {
            "type": "object",
            "description": "Validation errors by field (dotted for nested fields).",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "code": {"type": "string"},
                    },
                    "required": ["message", "code"],
                },
            },
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}

_COMMON = {
    "401": "Not signed in, or the token is invalid, expired or revoked.",
    "403": "Signed in, but not allowed to do this (or a read-only token tried to write).",
    "404": "No such object, or not one you can see.",
    "429": "Too many requests: wait the number of seconds in Retry-After.",
}
_WITH_INPUT = {
    "400": "The input is not valid: see `errors`.",
    "415": "The request body's media type is not supported.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the common error answers (with the
    one error body) on every operation, so clients and Schemathesis know them."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            wanted = dict(_COMMON)
            if method != "get" or operation.get("parameters"):
                wanted["400"] = _WITH_INPUT["400"]
            if method in {"post", "put", "patch"}:
                wanted["415"] = _WITH_INPUT["415"]
            for code, description in wanted.items():
                entry = responses.setdefault(code, {"description": description})
                entry.setdefault("description", description)
                entry["content"] = {"application/json": {"schema": ref}}
                if code == "429":
                    entry["headers"] = _RETRY_AFTER
            for code, entry in responses.items():  # errors the views documented themselves
                if code.startswith("4") and "content" not in entry:
                    entry["content"] = {"application/json": {"schema": ref}}
    return result
