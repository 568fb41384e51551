from django.urls import path

from characters.views import photos, profile, wizard

app_name = "characters"

C = "o/<slug:org_slug>/characters/"
ONE = C + "<uuid:public_id>/"
IMAGE = ONE + "dataset/<uuid:image_id>/"

urlpatterns = [
    path(C, profile.character_list, name="list"),
    path(C + "new/", profile.character_new, name="new"),
    path(C + "new/photos/", photos.photos_new, name="new_photos"),
    path(C + "new/wizard/", wizard.wizard_start, name="wizard"),
    path(ONE, profile.character_detail, name="detail"),
    path(ONE + "edit/", profile.character_edit, name="edit"),
    path(ONE + "delete/", profile.character_delete, name="delete"),
    path(ONE + "nsfw/", profile.character_nsfw, name="nsfw"),
    path(ONE + "attest/", profile.character_attest, name="attest"),
    # The wizard path: candidates, then the sheet → training pipeline.
    path(ONE + "wizard/", wizard.wizard_candidates, name="wizard_candidates"),
    path(ONE + "wizard/status/", wizard.wizard_candidates_status, name="wizard_status"),
    path(ONE + "wizard/regenerate/", wizard.wizard_regenerate, name="wizard_regenerate"),
    path(ONE + "wizard/choose/<uuid:asset_id>/", wizard.wizard_choose, name="wizard_choose"),
    path(ONE + "hd/", wizard.hd_start, name="hd_start"),
    path(ONE + "pipeline/", wizard.pipeline_status, name="pipeline"),
    # The photo path: dataset, check, consent, captions, training.
    path(ONE + "dataset/", photos.dataset, name="dataset"),
    path(ONE + "dataset/upload/", photos.dataset_upload, name="dataset_upload"),
    path(ONE + "dataset/status/", photos.dataset_status, name="dataset_status"),
    path(ONE + "dataset/check/", photos.dataset_check, name="dataset_check"),
    path(ONE + "dataset/accept/", photos.warnings_accept, name="warnings_accept"),
    path(ONE + "dataset/clear/", photos.dataset_clear, name="dataset_clear"),
    path(ONE + "dataset/captions/", photos.captions, name="captions"),
    path(IMAGE + "move/", photos.dataset_move, name="dataset_move"),
    path(IMAGE + "remove/", photos.dataset_remove, name="dataset_remove"),
    path(IMAGE + "replace/", photos.dataset_replace, name="dataset_replace"),
    path(IMAGE + "caption/", photos.caption_edit, name="caption_edit"),
    path(ONE + "consent/", photos.consent, name="consent"),
    path(ONE + "training/", photos.training_start, name="training_start"),
    path(ONE + "training/<uuid:run_id>/", photos.training_status, name="training_status"),
    path(ONE + "training/<uuid:run_id>/cancel/", photos.training_cancel, name="training_cancel"),
]
