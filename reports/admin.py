"""Admin for the team rituals' meetings (reports.rituals): cadences, meetings with their
attendees and action items."""

from django.contrib import admin

from reports.rituals.models import Meeting, MeetingAction, MeetingAttendee, RitualCadence


class MeetingAttendeeInline(admin.TabularInline):
    model = MeetingAttendee
    extra = 0


class MeetingActionInline(admin.TabularInline):
    model = MeetingAction
    extra = 0
    fk_name = "meeting"


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "agreement", "kind", "scheduled_for", "held"]
    list_filter = ["kind", "held"]
    readonly_fields = ["agenda", "version", "proposed_version", "created_at"]
    inlines = [MeetingAttendeeInline, MeetingActionInline]


@admin.register(RitualCadence)
class RitualCadenceAdmin(admin.ModelAdmin):
    list_display = ["agreement", "kind", "frequency", "time"]
