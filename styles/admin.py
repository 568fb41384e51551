from django.contrib import admin

from styles.models import StyleRecipe


@admin.register(StyleRecipe)
class StyleRecipeAdmin(admin.ModelAdmin):
    list_display = ["name", "org", "status", "demo", "in_studio", "asks", "created_at"]
    list_filter = ["status", "demo", "in_studio"]
    search_fields = ["name", "source_title", "org__name"]
    readonly_fields = [f.name for f in StyleRecipe._meta.fields]
