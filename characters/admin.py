"""Support staff: characters, their consent records, datasets, training runs and jobs. Cancels go
through the same services as the app, so credits are returned the same way."""

from django.contrib import admin, messages

from characters import pipeline, training
from characters.models import (
    Character,
    CharacterJob,
    CharacterJobItem,
    Consent,
    DatasetCheck,
    DatasetImage,
    SyntheticAttestation,
    TrainingRun,
)
from core.exceptions import DomainError


def _readonly(model) -> list[str]:
    return [f.name for f in model._meta.fields]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    fields = ("created_at", "user_email", "ip", "text_version", "covers_adult_content")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class AttestationInline(admin.TabularInline):
    model = SyntheticAttestation
    extra = 0
    fields = ("created_at", "user_email", "ip", "text_version")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Character)
class CharacterAdmin(ReadOnlyAdmin):
    list_display = ("name", "org", "origin", "trigger_word", "lora_status", "nsfw_allowed", "created_at")
    list_filter = ("origin", "lora_status", "style")
    search_fields = ("name", "trigger_word", "public_id", "org__name", "org__slug")
    date_hierarchy = "created_at"
    list_select_related = ("org",)
    raw_id_fields = ("org", "base_image", "avatar", "lora_asset", "created_by")
    readonly_fields = [f for f in _readonly(Character) if f != "identity_embedding"]
    exclude = ("identity_embedding",)
    inlines = [ConsentInline, AttestationInline]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "character", "org", "user_email", "ip", "text_version", "covers_adult_content")
    search_fields = ("user_email", "character__name", "org__name")
    list_select_related = ("character", "org")
    readonly_fields = _readonly(Consent)


@admin.register(SyntheticAttestation)
class SyntheticAttestationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "character", "org", "user_email", "ip", "text_version")
    search_fields = ("user_email", "character__name", "org__name")
    list_select_related = ("character", "org")
    readonly_fields = _readonly(SyntheticAttestation)


@admin.register(DatasetImage)
class DatasetImageAdmin(ReadOnlyAdmin):
    list_display = ("character", "bucket", "position", "analysis", "face_count", "level", "warnings_accepted")
    list_filter = ("bucket", "analysis", "level")
    search_fields = ("character__name", "public_id")
    list_select_related = ("character",)
    raw_id_fields = ("org", "character", "asset")
    exclude = ("embedding",)
    readonly_fields = [f for f in _readonly(DatasetImage) if f != "embedding"]


@admin.register(DatasetCheck)
class DatasetCheckAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "character", "status", "images", "ok", "warnings", "blocking", "duration_ms")
    list_filter = ("status",)
    list_select_related = ("character",)
    readonly_fields = _readonly(DatasetCheck)


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "character", "org", "source", "status", "images", "credits", "short_error")
    list_filter = ("status", "source")
    search_fields = ("public_id", "character__name", "org__name", "org__slug", "error")
    date_hierarchy = "created_at"
    list_select_related = ("character", "org")
    raw_id_fields = ("org", "character", "hold", "call", "created_by")
    readonly_fields = _readonly(TrainingRun)
    actions = ["cancel_runs"]

    @admin.display(description="Error")
    def short_error(self, run):
        return (run.error[:80] + "…") if len(run.error) > 80 else run.error

    @admin.action(description="Cancel the selected trainings and return their credits")
    def cancel_runs(self, request, queryset):
        done = 0
        for run in queryset:
            try:
                training.training_cancel(run=run, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} training(s); finished ones were left alone.", messages.SUCCESS)


class CharacterJobItemInline(admin.TabularInline):
    model = CharacterJobItem
    extra = 0
    fields = ("position", "label", "status", "asset", "identity_distance", "error", "call")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CharacterJob)
class CharacterJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "character", "org", "kind", "status", "credits", "error")
    list_filter = ("kind", "status")
    search_fields = ("public_id", "character__name", "org__name", "org__slug")
    date_hierarchy = "created_at"
    list_select_related = ("character", "org")
    raw_id_fields = ("org", "character", "hold", "created_by")
    readonly_fields = _readonly(CharacterJob)
    inlines = [CharacterJobItemInline]
    actions = ["cancel_jobs"]

    @admin.action(description="Cancel the selected jobs (delivered images stay; the rest of the credits return)")
    def cancel_jobs(self, request, queryset):
        done = 0
        for job in queryset:
            try:
                pipeline.character_job_cancel(job=job, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} job(s); finished ones were left alone.", messages.SUCCESS)
