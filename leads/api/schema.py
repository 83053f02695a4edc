"""OpenAPI description of the portal's bearer tokens (portal.tokens.TokenAuthentication).

Registered here because the leads API is the first to need it; drf-spectacular finds
extensions by import. The owner may move it next to TokenAuthentication.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PortalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.tokens.TokenAuthentication"
    name = "portalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Authorization: Bearer <prefix>.<secret> (portal API token)",
        }
