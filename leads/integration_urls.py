from django.urls import path

from leads import webhooks

urlpatterns = [
    path("hubspot/webhook", webhooks.hubspot_webhook, name="hubspot-webhook"),
]
