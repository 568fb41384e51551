from django.contrib import admin

from projects.models import Breakdown, ChatMessage, Project, Script


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "org", "archived_at", "created_at")
    search_fields = ("name", "org__name")


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "format", "pages", "tokens", "created_at")
    exclude = ("text",)


@admin.register(Breakdown)
class BreakdownAdmin(admin.ModelAdmin):
    list_display = ("script", "status", "credits", "chunk_index", "asks", "demo", "created_at")
    list_filter = ("status",)
    exclude = ("chunks", "partial")


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("question", "project", "status", "tokens_in", "tokens_out", "cut", "stopped", "created_at")
    list_filter = ("status", "cut", "stopped")
