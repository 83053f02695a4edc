from django.urls import path

from slas.api import signing

urlpatterns: list = [
    path("versions/<int:pk>/send/", signing.VersionSendView.as_view(), name="api_signing_send"),
    path("versions/<int:pk>/sign/", signing.VersionSignView.as_view(), name="api_signing_sign"),
    path(
        "versions/<int:pk>/decline/",
        signing.VersionDeclineView.as_view(),
        name="api_signing_decline",
    ),
    path(
        "versions/<int:pk>/withdraw/",
        signing.VersionWithdrawView.as_view(),
        name="api_signing_withdraw",
    ),
    path(
        "versions/<int:pk>/certificate/",
        signing.VersionCertificateView.as_view(),
        name="api_signing_certificate",
    ),
    path("signing/verify/", signing.SigningVerifyView.as_view(), name="api_signing_verify"),
]
