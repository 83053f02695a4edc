"""Ingest: lead events arriving in bulk, from a CSV upload (events or HubSpot export), the bulk events API or the HubSpot webhook.

Modules: `formats` (parse and check rows), `hubspot` (HubSpot's columns and lifecycle stages), `store` (the write path: resolve leads, COPY events, derive state, in one transaction per batch), `bulk` (COPY helpers), `importers` (a whole file, in chunks, with an issues report), `jobs` (an upload becomes a queued job), `tasks` (the Celery task), `webhooks` and `urls` (the HubSpot endpoint), `models` (import jobs). Formats: docs/formats.md.
"""
