"""Signing pages, inside the `slas` namespace (included from slas/urls.py)."""

from django.urls import path

from slas.signing import views

urlpatterns = [
    path("versions/<int:pk>/send/", views.version_send, name="signing_send"),
    path("versions/<int:pk>/sign/", views.version_sign, name="signing_sign"),
    path("versions/<int:pk>/decline/", views.version_decline, name="signing_decline"),
    path("versions/<int:pk>/withdraw/", views.version_withdraw, name="signing_withdraw"),
    path("versions/<int:pk>/certificate/", views.version_certificate, name="signing_certificate"),
    path(
        "versions/<int:pk>/certificate.pdf",
        views.version_certificate_pdf,
        name="signing_certificate_pdf",
    ),
    path("versions/<int:pk>/signed.json", views.version_export_json, name="signing_export_json"),
    path(
        "versions/<int:pk>/signed.json.seal.json",
        views.version_export_seal,
        name="signing_export_seal",
    ),
    path("versions/<int:pk>/signed.pdf", views.version_document_pdf, name="signing_document_pdf"),
    path("verify/", views.signing_verify, name="signing_verify"),
    path("<int:pk>/audit/", views.agreement_audit, name="signing_audit"),
]
