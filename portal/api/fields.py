"""Serializer fields whose OpenAPI description matches what they accept and return."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A string, and only a string: DRF's CharField turns 0 or true into "0" / "True",
    which the schema (type: string) says is invalid."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$",
        "example": "09:00",
        "description": "Local wall time, HH:MM or HH:MM:SS (no offset: the calendar's zone).",
    }
)
class WallTimeField(serializers.TimeField):
    """A time of day on the version's calendar. JSON Schema's `time` format demands an
    offset; these times have none (they are read in the calendar's time zone)."""
