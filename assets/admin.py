from django.contrib import admin

from assets.models import Asset, Collection, Export, Tag, Upload


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["title", "org", "kind", "source", "bytes", "nsfw", "liked", "created_by", "created_at"]
    list_filter = ["kind", "source", "nsfw", "liked", "created_at"]
    search_fields = ["title", "=public_id", "sha256", "org__name", "org__slug", "original_filename"]
    readonly_fields = [
        "public_id",
        "org",
        "kind",
        "mime",
        "bytes",
        "stored_bytes",
        "width",
        "height",
        "duration",
        "sha256",
        "phash",
        "original_key",
        "variants",
        "created_by",
        "created_at",
        "updated_at",
        "near_duplicate_of",
    ]
    raw_id_fields = ["parents"]
    exclude = ["tags", "search"]
    date_hierarchy = "created_at"


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["filename", "org", "status", "declared_size", "error", "created_by", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["filename", "=public_id", "org__name", "error"]
    readonly_fields = [f.name for f in Upload._meta.fields]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["public_id", "org", "status", "progress", "bytes", "expires_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["=public_id", "org__name"]
    readonly_fields = [f.name for f in Export._meta.fields]


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "org", "created_at"]
    search_fields = ["name", "org__name"]
    raw_id_fields = ["org", "created_by"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "org"]
    search_fields = ["name", "org__name"]
    raw_id_fields = ["org"]
