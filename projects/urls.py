from django.urls import path

from projects.views import chat, projects, scripts

app_name = "projects"

P = "o/<slug:org_slug>/projects/"
ONE = P + "<uuid:public_id>/"
SCRIPT = ONE + "scripts/<uuid:script_id>/"
BREAKDOWN = ONE + "breakdowns/<uuid:breakdown_id>/"
MESSAGE = ONE + "chat/<uuid:message_id>/"

urlpatterns = [
    path(P, projects.project_list, name="list"),
    path(P + "new/", projects.project_new, name="new"),
    path(ONE, projects.project_detail, name="detail"),
    path(ONE + "edit/", projects.project_edit, name="edit"),
    path(ONE + "archive/", projects.project_archive, name="archive"),
    path(ONE + "delete/", projects.project_delete, name="delete"),
    path(ONE + "download/", projects.project_download, name="download"),
    path(ONE + "items/", projects.project_assets_add, name="assets_add"),
    path(ONE + "items/<uuid:asset_id>/remove/", projects.project_asset_remove, name="asset_remove"),
    path(ONE + "characters/", projects.project_character_add, name="character_add"),
    path(ONE + "characters/<uuid:character_id>/remove/", projects.project_character_remove, name="character_remove"),
    path(ONE + "scripts/", scripts.script_upload, name="script_upload"),
    path(SCRIPT, scripts.script_detail, name="script"),
    path(SCRIPT + "breakdown/", scripts.breakdown_start, name="breakdown_start"),
    path(SCRIPT + "delete/", scripts.script_delete, name="script_delete"),
    path(BREAKDOWN, scripts.breakdown_detail, name="breakdown"),
    path(BREAKDOWN + "status/", scripts.breakdown_status, name="breakdown_status"),
    path(BREAKDOWN + "export.<str:fmt>", scripts.breakdown_export, name="breakdown_export"),
    path(ONE + "chat/", chat.chat_page, name="chat"),
    path(ONE + "chat/ask/", chat.chat_ask, name="chat_ask"),
    path(MESSAGE + "stream/", chat.chat_stream, name="chat_stream"),
    path(MESSAGE + "stop/", chat.chat_stop, name="chat_stop"),
]
