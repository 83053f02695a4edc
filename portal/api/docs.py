"""Interactive API docs (Swagger UI from drf-spectacular-sidecar: our own static files, no CDN)."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

from portal.middleware import DEFAULT_CSP


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI sets inline styles; this page alone allows inline *styles* (never scripts)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = DEFAULT_CSP.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'"
        )
        return response
