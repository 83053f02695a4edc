from django.urls import path

from leads.ingest import webhooks

urlpatterns = [
    path("hubspot/webhook", webhooks.hubspot_webhook, name="hubspot-webhook"),
]
