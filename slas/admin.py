"""Admin for agreements. Drafts are editable; anything else is shown read-only (the models
refuse the write anyway), and so are an agreement's title, purpose and parties once a
version has left draft. Every admin save stamps "admin: ..." and bumps the revision."""

from django.contrib import admin
from django.utils.translation import gettext_noop
from simple_history.admin import SimpleHistoryAdmin

from slas.history import Source, change_reason, stamp, unstamp
from slas.models import AGREEMENT_SEALED_FIELDS, PART_MODELS, Agreement, Version, VersionStatus


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ["title", "created_at"]
    filter_horizontal = ["parties"]
    readonly_fields = ["created_by"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if (
            obj is not None
            and obj.versions.exclude(
                status__in=[VersionStatus.DRAFT, VersionStatus.DISCARDED]
            ).exists()
        ):
            # Sealed with the signed versions (the model refuses the write anyway).
            fields += [*AGREEMENT_SEALED_FIELDS, "parties"]
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        stamp(obj, user=request.user, reason=change_reason(Source.ADMIN, gettext_noop("agreement")))
        super().save_model(request, obj, form, change)
        unstamp(obj)


def _locked(obj) -> bool:
    return obj is not None and not obj.is_draft


class PartInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return not _locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _locked(obj) and super().has_delete_permission(request, obj)


INLINES = [
    type(f"{model.__name__}Inline", (PartInline,), {"model": model})
    for model in PART_MODELS.values()
]


@admin.register(Version)
class VersionAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "status", "effective_date", "end_date"]
    list_filter = ["status"]
    inlines = INLINES
    readonly_fields = [
        "status",
        "in_force_from",
        "in_force_until",
        "content_hash",
        "edit_revision",
        "created_by",
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Which agreement and which number a version is never change after it exists.
            fields += ["agreement", "number"]
        return fields

    def has_change_permission(self, request, obj=None):
        return not _locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _locked(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            obj.edit_revision += 1
        else:
            obj.created_by = request.user
        stamp(obj, user=request.user, reason=change_reason(Source.ADMIN, gettext_noop("version")))
        super().save_model(request, obj, form, change)
        unstamp(obj)

    def save_formset(self, request, form, formset, change):
        # The part's key, untranslated: the timeline names it in the reader's language.
        part = next(name for name, model in PART_MODELS.items() if model is formset.model)
        reason = change_reason(Source.ADMIN, part)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            stamp(obj, user=request.user, reason=reason)
            obj.delete()
        for obj in instances:
            stamp(obj, user=request.user, reason=reason)
            obj.save()
            unstamp(obj)
        formset.save_m2m()
