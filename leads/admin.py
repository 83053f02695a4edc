from django.contrib import admin

from leads.models import Lead, LeadEvent
from leads.visitors.models import VisitorCount


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "company", "stage", "owner", "sales_team", "created_at"]
    list_filter = ["stage", "sales_team", "flagged"]
    search_fields = ["first_name", "last_name", "email", "company", "external_id"]
    raw_id_fields = ["owner", "agreement"]


@admin.register(LeadEvent)
class LeadEventAdmin(admin.ModelAdmin):
    list_display = ["lead", "kind", "to_stage", "occurred_at", "actor"]
    list_filter = ["kind", "to_stage"]
    raw_id_fields = ["lead", "actor"]


@admin.register(VisitorCount)
class VisitorCountAdmin(admin.ModelAdmin):
    list_display = ["agreement", "month", "source", "visitors", "updated_at"]
    list_filter = ["source"]
