"""OpenAPI description of the portal's bearer tokens (portal.tokens.TokenAuthentication).

Lives here because the agreement API is the first to publish a schema; it describes a
portal class and can move to portal/ at merge time. Imported by slas.api.views.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PortalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.tokens.TokenAuthentication"
    name = "portalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A portal API token: `Authorization: Bearer <prefix>.<secret>`.",
        }
