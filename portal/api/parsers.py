"""The API's JSON parser: DRF's, with a body nested too deeply refused as a 400.

Python's decoder raises RecursionError (not ValueError) on about a thousand levels of
nesting, which DRF let through as a 500. No request of the portal nests more than a few
levels.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error: the body is nested too deeply.")) from None
