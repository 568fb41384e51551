"""Support staff: edit jobs and image packs (cancel and retry through the same services as the app),
prompt drafts, the prompts refused for naming minors, and the style LoRAs packs load."""

from django.contrib import admin, messages

from core.exceptions import DomainError
from generation import packs, presets, services
from generation.models import EditJob, GenerationImage, GenerationJob, PromptDraft, StyleLora
from jobs.admin import JobAdmin


@admin.register(EditJob)
class EditJobAdmin(JobAdmin):
    list_display = ("created_at", "org", "label", "status", "credits", "created_by", "short_error")
    list_filter = ("status", "kind")
    search_fields = ("public_id", "org__name", "org__slug", "source_title", "error")
    raw_id_fields = ("source", "result", "hold", "call", "retry_of", "created_by")

    cancel_service = services.edit_job_cancel
    retry_service = services.edit_job_retry


class GenerationImageInline(admin.TabularInline):
    model = GenerationImage
    extra = 0
    fields = ("position", "status", "stage", "seed", "attempts", "identity_score", "asset", "call", "error")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org", "character_name", "count", "mode", "scene", "status", "credits", "created_by")
    list_filter = ("status", "mode", "origin", "quality", "scene", "environment", "nsfw")
    search_fields = ("public_id", "org__name", "org__slug", "character_name", "prompt_text", "error")
    date_hierarchy = "created_at"
    list_select_related = ("org", "created_by")
    raw_id_fields = ("character", "clothing", "hold", "source_job", "created_by")
    readonly_fields = [f.name for f in GenerationJob._meta.fields]
    inlines = [GenerationImageInline]
    actions = ["cancel_packs"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected packs (images not made yet are refunded)")
    def cancel_packs(self, request, queryset):
        done = 0
        for job in queryset:
            try:
                packs.pack_cancel(job=job, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} pack(s); finished ones were left alone.", messages.SUCCESS)


@admin.register(PromptDraft)
class PromptDraftAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org", "character", "count", "nsfw", "status", "created_by")
    list_filter = ("status", "nsfw")
    search_fields = ("public_id", "org__name", "character__name")
    list_select_related = ("org", "character", "created_by")
    readonly_fields = [f.name for f in PromptDraft._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(StyleLora)
class StyleLoraAdmin(admin.ModelAdmin):
    """Looks loaded next to the character's LoRA (``generation.routing.style_loras``). A change
    applies to packs started after it; running packs keep what they started with."""

    list_display = ("name", "base", "scale", "nsfw", "where", "active", "updated_at")
    list_filter = ("active", "base", "nsfw")
    search_fields = ("name", "slug", "url", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "description", "url", "base", "scale", "nsfw", "applies_to", "active")

    @admin.display(description="Used for")
    def where(self, lora):
        if StyleLora.ALWAYS in lora.applies_to:
            return "Every pack"
        labels = [presets.SCENES_BY_KEY[key].label for key in lora.applies_to if key in presets.SCENES_BY_KEY]
        return ", ".join(labels) or "Nothing yet"
