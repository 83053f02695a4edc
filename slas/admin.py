from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from slas.models import Agreement, Version


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ["title", "created_at"]
    filter_horizontal = ["parties"]


@admin.register(Version)
class VersionAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "status", "effective_date", "end_date"]
    list_filter = ["status"]
