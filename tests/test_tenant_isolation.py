"""One organisation's people can't see or touch another's, and roles gate every action.

Every org-scoped URL (a namespaced pattern with ``org_slug``) must have a row in ORG_URLS; a new
one fails ``test_every_org_url_has_a_row`` until its rules are written down. Signed media URLs
(``media_serve``) carry their org in the token and are checked at the end.
"""

import io
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from api.keys import api_key_create
from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from assets import storage
from assets.models import Asset, Collection, CollectionItem, Export, Upload
from assets.tests.factories import AssetFactory, AssetRowFactory, CollectionFactory, UploadFactory
from billing.models import CreditAccount, Plan
from billing.services import credits_grant
from characters.models import Character, CharacterJob, Consent, DatasetImage, TrainingRun
from characters.tests.factories import (
    CharacterFactory,
    CharacterJobItemFactory,
    DatasetImageFactory,
    TrainingRunFactory,
)
from core.tests.pages import text_of
from generation.models import EditJob, GenerationImage, GenerationJob, PromptDraft
from generation.services import upscale_start
from generation.tests.factories import GenerationImageFactory, GenerationJobFactory, PromptDraftFactory
from identity.models import KeepersRun
from licensing.models import CreatorProfile, CreatorTerms, License, Payout
from notifications.models import Notification
from orgs.models import ROLE_RANK, Invitation, JoinRequest, Membership, Organization, Role
from privacy.models import DataExport
from projects import services as project_services
from projects.models import Breakdown, ChatMessage, Project, ProjectAsset, ProjectCharacter, Script
from projects.tests import screenplays
from projects.tests.factories import ProjectFactory
from styles.models import StyleRecipe
from styles.tests.factories import WORDS, style_ready
from tests.factories import UserFactory
from tests.more_factories import InvitationFactory, JoinRequestFactory
from tools.grading import grade_start, lut_upload
from tools.mesh_jobs import mesh_start
from tools.models import Lut, MeshJob, ToolJob
from tools.roto import roto_start
from video.models import AnimatePipeline, AnimateStep, VideoJob
from video.services import VideoRequest, video_start

GET, POST, PUT = "GET", "POST", "PUT"
VIEWER, MEMBER, ADMIN, OWNER = Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER

# name: (methods, role needed to reach the view, role needed for a POST to change anything,
#        the object the URL's public_id names)
ORG_URLS = {
    "orgs:dashboard": ({GET}, VIEWER, None, None),
    "orgs:billing": ({GET, POST}, VIEWER, OWNER, None),
    "orgs:settings": ({GET, POST}, VIEWER, ADMIN, None),
    "orgs:members": ({GET}, VIEWER, None, None),
    "orgs:invite": ({POST}, ADMIN, ADMIN, None),
    "orgs:leave": ({POST}, VIEWER, VIEWER, None),
    "orgs:member_role": ({POST}, ADMIN, ADMIN, "membership"),
    "orgs:member_remove": ({POST}, ADMIN, ADMIN, "membership"),
    "orgs:ownership_transfer": ({POST}, OWNER, OWNER, "membership"),
    "orgs:invitation_revoke": ({POST}, ADMIN, ADMIN, "invitation"),
    "orgs:invitation_resend": ({POST}, ADMIN, ADMIN, "invitation"),
    "orgs:join_request_approve": ({POST}, ADMIN, ADMIN, "join_request"),
    "orgs:join_request_decline": ({POST}, ADMIN, ADMIN, "join_request"),
    # The audit log: owners and admins. Data & privacy: everyone reads it; owners export and delete.
    "orgs:audit_log": ({GET}, ADMIN, None, None),
    "orgs:audit_log_csv": ({GET}, ADMIN, None, None),
    "orgs:privacy": ({GET}, VIEWER, None, None),
    "orgs:data_export_create": ({POST}, OWNER, OWNER, None),
    "orgs:data_export_status": ({GET}, OWNER, None, "data_export"),
    "orgs:org_delete": ({POST}, OWNER, OWNER, None),
    "orgs:org_delete_undo": ({POST}, OWNER, OWNER, None),
    # Settings → Developers: API keys and webhooks, for owners and admins.
    "orgs:developers": ({GET}, ADMIN, None, None),
    # The browser extension's connect page: a member approves, which makes the extension's key.
    "orgs:extension_connect": ({POST}, MEMBER, MEMBER, None),
    "orgs:api_key_create": ({POST}, ADMIN, ADMIN, None),
    "orgs:api_key_revoke": ({POST}, ADMIN, ADMIN, "api_key"),
    "orgs:webhook_create": ({POST}, ADMIN, ADMIN, None),
    "orgs:webhook_delete": ({POST}, ADMIN, ADMIN, "webhook_endpoint"),
    "orgs:webhook_test": ({POST}, ADMIN, ADMIN, "webhook_endpoint"),
    "orgs:webhook_resend": ({POST}, ADMIN, ADMIN, "webhook_delivery"),
    # The library: viewers browse and download (zips too); members change things.
    "assets:library": ({GET}, VIEWER, None, None),
    "assets:bulk": ({POST}, VIEWER, MEMBER, None),  # a viewer's "like" is refused with a message
    "assets:collections": ({GET, POST}, VIEWER, MEMBER, None),
    "assets:collection": ({GET}, VIEWER, None, "collection"),
    "assets:collection_update": ({POST}, MEMBER, MEMBER, "collection"),
    "assets:collection_delete": ({POST}, MEMBER, MEMBER, "collection"),
    "assets:upload_start": ({POST}, MEMBER, MEMBER, None),
    "assets:upload_status": ({GET}, MEMBER, None, "upload"),
    "assets:upload_data": ({PUT}, MEMBER, MEMBER, "upload"),
    "assets:upload_complete": ({POST}, MEMBER, MEMBER, "upload"),
    "assets:upload_cancel": ({POST}, MEMBER, MEMBER, "upload"),
    "assets:export_status": ({GET}, VIEWER, None, "export"),
    "assets:export_download": ({GET}, VIEWER, None, "export"),
    "assets:detail": ({GET}, VIEWER, None, "asset"),
    "assets:rename": ({POST}, MEMBER, MEMBER, "asset"),
    "assets:tags": ({POST}, MEMBER, MEMBER, "asset"),
    "assets:like": ({POST}, MEMBER, MEMBER, "asset"),
    "assets:delete": ({POST}, MEMBER, MEMBER, "asset"),
    "assets:collection_toggle": ({POST}, MEMBER, MEMBER, "asset"),
    "assets:download": ({GET}, VIEWER, None, "asset"),
    # Credits: everyone who belongs sees the balance and history; nothing there changes it.
    "billing:credits": ({GET}, VIEWER, None, None),
    # The low-credit email's threshold: owners and admins set it.
    "billing:low_credit_alert": ({GET, POST}, ADMIN, ADMIN, None),
    # Payments: owners choose the plan and open the Stripe portal; owners and admins buy top-ups.
    "billing:subscribe": ({POST}, OWNER, OWNER, None),
    "billing:topup": ({POST}, ADMIN, ADMIN, None),
    "billing:portal": ({POST}, OWNER, OWNER, None),
    "billing:checkout_done": ({GET}, VIEWER, None, None),
    "billing:portal_done": ({GET}, VIEWER, None, None),
    # Edit jobs: viewers watch them; members start, cancel and retry them.
    "generation:upscale": ({POST}, MEMBER, MEMBER, "asset"),
    "generation:inpaint": ({GET, POST}, MEMBER, MEMBER, "asset"),
    "generation:clothes": ({GET, POST}, MEMBER, MEMBER, "asset"),
    # The job centre: every kind of job; viewers watch, members cancel and retry.
    "jobs:centre": ({GET}, VIEWER, None, None),
    "jobs:cancel": ({POST}, MEMBER, MEMBER, "edit_job"),
    "jobs:retry": ({POST}, MEMBER, MEMBER, "edit_job"),
    "generation:job": ({GET}, VIEWER, None, "edit_job"),
    "generation:job_card": ({GET}, VIEWER, None, "edit_job"),
    "generation:job_cancel": ({POST}, MEMBER, MEMBER, "edit_job"),
    "generation:job_retry": ({POST}, MEMBER, MEMBER, "edit_job"),
    # The library's batch sidebar: members open its panel and start a batch from their selection.
    "generation:batch_panel": ({POST}, MEMBER, MEMBER, None),  # changes nothing: the selection is long
    "generation:batch": ({POST}, MEMBER, MEMBER, None),
    # The Studio: viewers watch packs and read history; members generate, write prompts, retry, cancel.
    # Style recipes: viewers look; members extract (from a library image), edit, offer and delete.
    "projects:list": ({GET}, VIEWER, None, None),
    "projects:new": ({GET, POST}, MEMBER, MEMBER, None),
    "projects:detail": ({GET}, VIEWER, None, "project"),
    "projects:edit": ({POST}, MEMBER, MEMBER, "project"),
    "projects:archive": ({POST}, MEMBER, MEMBER, "project"),
    "projects:delete": ({GET, POST}, ADMIN, ADMIN, "project"),
    "projects:download": ({GET}, VIEWER, None, "project"),
    "projects:assets_add": ({POST}, MEMBER, MEMBER, "project"),
    "projects:asset_remove": ({POST}, MEMBER, MEMBER, "project"),
    "projects:character_add": ({POST}, MEMBER, MEMBER, "project"),
    "projects:character_remove": ({POST}, MEMBER, MEMBER, "project"),
    "projects:script_upload": ({POST}, MEMBER, MEMBER, "project"),
    "projects:script": ({GET}, VIEWER, None, "project"),
    "projects:breakdown_start": ({POST}, MEMBER, MEMBER, "project"),
    "projects:script_delete": ({POST}, MEMBER, MEMBER, "project"),
    "projects:breakdown": ({GET}, VIEWER, None, "project"),
    "projects:breakdown_status": ({GET}, VIEWER, None, "project"),
    "projects:breakdown_export": ({GET}, VIEWER, None, "project"),
    "projects:chat": ({GET}, VIEWER, None, "project"),
    "projects:chat_ask": ({POST}, MEMBER, MEMBER, "project"),
    "projects:chat_stream": ({GET}, VIEWER, None, "project"),
    "projects:chat_stop": ({POST}, MEMBER, MEMBER, "project"),
    "styles:extract": ({POST}, MEMBER, MEMBER, "asset"),
    "styles:extract_many": ({POST}, MEMBER, MEMBER, None),
    "styles:list": ({GET}, VIEWER, None, None),
    "styles:detail": ({GET, POST}, VIEWER, MEMBER, "style"),
    "styles:status": ({GET}, VIEWER, None, "style"),
    "styles:studio": ({POST}, MEMBER, MEMBER, "style"),
    "styles:delete": ({POST}, MEMBER, MEMBER, "style"),
    "generation:studio_home": ({GET}, VIEWER, None, None),
    "generation:studio": ({GET, POST}, VIEWER, MEMBER, "wizard_character"),
    "generation:history": ({GET}, VIEWER, None, "wizard_character"),
    "generation:prompts_write": ({POST}, MEMBER, MEMBER, "wizard_character"),
    "generation:prompts_status": ({GET}, VIEWER, None, "prompt_draft"),
    "generation:pack": ({GET}, VIEWER, None, "pack"),
    "generation:pack_status": ({GET}, VIEWER, None, "pack"),
    "generation:pack_cancel": ({POST}, MEMBER, MEMBER, "pack"),
    "generation:pack_rerun": ({POST}, MEMBER, MEMBER, "pack"),
    "generation:image_retry": ({POST}, MEMBER, MEMBER, "pack"),
    "generation:image_rerun": ({POST}, MEMBER, MEMBER, "pack"),
    # Characters: viewers look (list, pages, polled status); members create, change and train.
    "characters:list": ({GET}, VIEWER, None, None),
    "characters:new": ({GET}, MEMBER, None, None),
    "characters:new_photos": ({GET, POST}, MEMBER, MEMBER, None),
    "characters:wizard": ({GET, POST}, MEMBER, MEMBER, None),
    "characters:detail": ({GET}, VIEWER, None, "character"),
    # Identity: likeness and lineage sections, re-runs, keepers, the identity reference.
    "identity:keepers_new": ({GET, POST}, VIEWER, MEMBER, "wizard_character"),
    "identity:keepers": ({GET}, VIEWER, None, "keepers_run"),
    "identity:keepers_status": ({GET}, VIEWER, None, "keepers_run"),
    "identity:keepers_cancel": ({POST}, MEMBER, MEMBER, "keepers_run"),
    "identity:asset_identity": ({GET}, VIEWER, None, "asset"),
    "identity:asset_lineage": ({GET}, VIEWER, None, "asset"),
    "identity:asset_rerun": ({POST}, MEMBER, MEMBER, "asset"),
    "identity:character_identity": ({GET}, VIEWER, None, "character"),
    "identity:reference_compute": ({POST}, MEMBER, MEMBER, "character"),
    "characters:edit": ({GET, POST}, MEMBER, MEMBER, "character"),
    "characters:delete": ({GET, POST}, MEMBER, MEMBER, "character"),
    "characters:nsfw": ({POST}, MEMBER, MEMBER, "character"),
    "characters:attest": ({POST}, OWNER, OWNER, "wizard_character"),
    "characters:wizard_candidates": ({GET}, VIEWER, None, "wizard_character"),
    "characters:wizard_status": ({GET}, VIEWER, None, "wizard_character"),
    "characters:wizard_regenerate": ({POST}, MEMBER, MEMBER, "wizard_character"),
    "characters:wizard_choose": ({POST}, MEMBER, MEMBER, "wizard_character"),
    "characters:hd_start": ({POST}, MEMBER, MEMBER, "wizard_character"),
    "characters:pipeline": ({GET}, VIEWER, None, "wizard_character"),
    "characters:dataset": ({GET}, VIEWER, None, "character"),
    "characters:dataset_upload": ({POST}, MEMBER, MEMBER, "character"),
    "characters:dataset_status": ({GET}, VIEWER, None, "character"),
    "characters:dataset_check": ({POST}, MEMBER, MEMBER, "character"),
    "characters:warnings_accept": ({POST}, MEMBER, MEMBER, "character"),
    "characters:dataset_clear": ({POST}, MEMBER, MEMBER, "character"),
    "characters:captions": ({POST}, MEMBER, MEMBER, "character"),
    "characters:dataset_move": ({POST}, MEMBER, MEMBER, "character"),
    "characters:dataset_remove": ({POST}, MEMBER, MEMBER, "character"),
    "characters:dataset_replace": ({POST}, MEMBER, MEMBER, "character"),
    "characters:caption_edit": ({POST}, MEMBER, MEMBER, "character"),
    "characters:consent": ({POST}, MEMBER, MEMBER, "character"),
    "characters:training_start": ({POST}, MEMBER, MEMBER, "character"),
    "characters:training_status": ({GET}, VIEWER, None, "character"),
    "characters:training_cancel": ({POST}, MEMBER, MEMBER, "character"),
    # Dataset builder: viewers look (page, progress, export); members build, run, review, hand over.
    "datasets:new": ({GET, POST}, MEMBER, MEMBER, None),
    "datasets:import": ({POST}, MEMBER, MEMBER, None),
    "datasets:build": ({GET}, VIEWER, None, "dataset_build"),
    "datasets:progress": ({GET}, VIEWER, None, "dataset_build"),
    "datasets:export": ({GET}, VIEWER, None, "dataset_build"),
    "datasets:upload_source": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:upload_target": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:remove_source": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:remove_target": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:run": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:cancel": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:redo": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:review": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:accept_all": ({POST}, MEMBER, MEMBER, "dataset_build"),
    "datasets:hand_over": ({POST}, MEMBER, MEMBER, "dataset_build"),
    # Video: viewers watch clips and animations; members make, upscale, animate, cancel and retry.
    "video:home": ({GET}, VIEWER, None, None),
    "video:make": ({GET, POST}, MEMBER, MEMBER, "asset"),
    "video:upscale": ({POST}, MEMBER, MEMBER, "video"),
    "video:animate": ({GET, POST}, MEMBER, MEMBER, "video"),
    "video:job": ({GET}, VIEWER, None, "video_job"),
    "video:job_card": ({GET}, VIEWER, None, "video_job"),
    "video:job_cancel": ({POST}, MEMBER, MEMBER, "video_job"),
    "video:job_retry": ({POST}, MEMBER, MEMBER, "video_job"),
    "video:pipeline": ({GET}, VIEWER, None, "pipeline"),
    "video:pipeline_step": ({POST}, MEMBER, MEMBER, "pipeline"),
    "video:pipeline_cancel": ({POST}, MEMBER, MEMBER, "pipeline"),
    # The library's batch sidebar for one job per item (upscale here): members only.
    "video:batch_panel": ({POST}, MEMBER, MEMBER, None),  # changes nothing: the selection is long
    "video:batch": ({POST}, MEMBER, MEMBER, None),
    # Tools: colour grading and audio cleanup.
    "tools:home": ({GET}, VIEWER, None, None),
    "tools:grade_choose": ({GET}, VIEWER, None, None),
    "tools:grade": ({GET, POST}, MEMBER, MEMBER, "asset"),
    "tools:lut_upload": ({POST}, MEMBER, MEMBER, None),
    "tools:lut_file": ({GET}, VIEWER, None, None),
    "tools:audio": ({GET, POST}, MEMBER, MEMBER, None),
    "tools:audio_clean": ({GET, POST}, MEMBER, MEMBER, "recording"),
    "tools:job": ({GET}, VIEWER, None, "tool_job"),
    "tools:job_card": ({GET}, VIEWER, None, "tool_job"),
    "tools:job_cancel": ({POST}, MEMBER, MEMBER, "tool_job"),
    "tools:job_retry": ({POST}, MEMBER, MEMBER, "tool_job"),
    "tools:mesh_choose": ({GET}, VIEWER, None, None),
    "tools:mesh_make": ({GET, POST}, MEMBER, MEMBER, "mesh_image"),
    "tools:mesh_viewer": ({GET}, VIEWER, None, "mesh_model"),
    "tools:mesh_job": ({GET}, VIEWER, None, "mesh_job"),
    "tools:mesh_job_card": ({GET}, VIEWER, None, "mesh_job"),
    "tools:mesh_job_cancel": ({POST}, MEMBER, MEMBER, "mesh_job"),
    "tools:mesh_job_retry": ({POST}, MEMBER, MEMBER, "mesh_job"),
    "tools:roto_choose": ({GET}, VIEWER, None, None),
    "tools:roto": ({GET, POST}, MEMBER, MEMBER, "roto_video"),
    "tools:roto_job": ({GET}, VIEWER, None, "matte_job"),
    "tools:roto_job_card": ({GET}, VIEWER, None, "matte_job"),
    "tools:roto_job_cancel": ({POST}, MEMBER, MEMBER, "matte_job"),
    "tools:roto_job_retry": ({POST}, MEMBER, MEMBER, "matte_job"),
    # Usage: where the credits went, by member too, so owners and admins only.
    "usage:usage": ({GET}, ADMIN, None, None),
    "usage:daily_csv": ({GET}, ADMIN, None, None),
    "usage:operations_csv": ({GET}, ADMIN, None, None),
    # Notifications are each person's own: everyone who belongs reads and clears theirs.
    "notifications:list": ({GET}, VIEWER, None, None),
    "notifications:read_all": ({POST}, VIEWER, VIEWER, None),
    "notifications:read": ({POST}, VIEWER, VIEWER, "notification"),
    "notifications:bell": ({GET}, VIEWER, None, None),
    "notifications:preferences": ({GET, POST}, VIEWER, VIEWER, None),
    # Licensing: everyone browses creators and sees the licences held; admins ask for licences and
    # run the creator side (terms, payouts, answers); members make images under a licence.
    "licensing:directory": ({GET}, VIEWER, None, None),
    "licensing:creator": ({GET, POST}, VIEWER, ADMIN, "creator_profile"),
    "licensing:license": ({GET, POST}, VIEWER, MEMBER, "licence"),
    "licensing:creator_dashboard": ({GET}, VIEWER, None, None),
    "licensing:creator_new": ({GET, POST}, MEMBER, MEMBER, None),
    "licensing:profile_update": ({POST}, ADMIN, ADMIN, "creator_profile"),
    "licensing:terms_update": ({POST}, ADMIN, ADMIN, "creator_profile"),
    "licensing:payouts_setup": ({GET, POST}, ADMIN, ADMIN, "creator_profile"),
    "licensing:payout_now": ({POST}, ADMIN, ADMIN, "creator_profile"),
    "licensing:licence_answer": ({POST}, ADMIN, ADMIN, "granted_licence"),
}
# Second ids in a URL, and the object of the same org that each names.
SUB_IDS = {
    "<uuid:image_id>": "dataset_image",
    "<uuid:run_id>": "training_run",
    "<uuid:asset_id>": "candidate",
    "<uuid:lut_id>": "lut",
    "<uuid:script_id>": "script",
    "<uuid:breakdown_id>": "breakdown",
    "<uuid:message_id>": "chat_message",
    "<uuid:character_id>": "character",
    "<uuid:source_id>": "dataset_source",
    "<uuid:target_id>": "dataset_target",
    "<uuid:build_run_id>": "dataset_run",
}
# Image positions in a pack: the first image.
SUB_VALUES = {
    "<int:position>": "0",
    "<slug:action>": "upscale",
    "<slug:kind>": "generation-editjob",
    "<str:fmt>": "json",
    "<str:answer>": "decline",
}


def _org_url_patterns():
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and top.namespace:
            for pattern in top.url_patterns:
                if "org_slug" in pattern.pattern.converters:
                    yield f"{top.namespace}:{pattern.name}", str(pattern.pattern)


ROUTES = dict(_org_url_patterns())


def test_every_org_url_has_a_row():
    assert set(ROUTES) == set(ORG_URLS)


@pytest.fixture
def targets(org, people, settings, tmp_path):
    """One of each addressable object in ``org`` and in the outsider's org."""
    settings.MEDIA_ROOT = str(tmp_path)
    # One queued job of each cancellable kind is more than the Studio plan runs at once; the limit
    # has its own tests (billing/tests/test_limits.py), so here it must not refuse a role's POST.
    Plan.objects.filter(slug="studio").update(max_concurrent_jobs=50)
    other = people.other_org
    Organization.objects.filter(pk=org.pk).update(email="billing@northstar.example")
    found = {
        org.slug: {
            "membership": Membership.objects.get(org=org, user=people.member),
            "invitation": InvitationFactory(org=org, email="kim@example.com"),
            "join_request": JoinRequestFactory(org=org, user=UserFactory(email="sam@example.com")),
            **_library_objects(org),
        },
        other.slug: {
            "membership": Membership.objects.get(org=other, user=people.outsider),
            "invitation": InvitationFactory(org=other, email="lee@example.com"),
            "join_request": JoinRequestFactory(org=other, user=UserFactory(email="max@example.com")),
            **_library_objects(other),
        },
    }
    _licensing_objects(found, org.slug, other.slug)
    return found


def _licensing_objects(found, mine, theirs):
    """Each org offers its photo character for licensing and asks the other for a licence: the
    licence it holds (``licence``) and the one it was asked for (``granted_licence``)."""
    for slug in (mine, theirs):
        character = found[slug]["character"]
        profile = CreatorProfile.objects.create(
            org=character.org,
            character=character,
            display_name=f"Creator {slug}",
            consent_version="test",
            consent_text="Consent",
            consent_email="creator@example.com",
            consented_at=timezone.now(),
        )
        CreatorTerms.objects.create(
            profile=profile, version=1, royalty_per_image="0.25", uses=["personal"], monthly_limit=10, length_days=30
        )
        found[slug]["creator_profile"] = profile
    for holder, grantor in ((mine, theirs), (theirs, mine)):
        profile = found[grantor]["creator_profile"]
        licence = License.objects.create(
            org=found[holder]["character"].org,
            profile=profile,
            terms_version=1,
            royalty_per_image="0.25",
            uses=["personal"],
            monthly_limit=10,
            territories="Worldwide",
            length_days=30,
        )
        found[holder]["licence"] = licence
        found[grantor]["granted_licence"] = licence


def _library_objects(org):
    asset = AssetRowFactory(org=org)
    collection = CollectionFactory(org=org)
    CollectionItem.objects.create(collection=collection, asset=asset)
    upload = UploadFactory(org=org, data=b"abcd")  # its bytes already arrived
    export = Export.objects.create(org=org, asset_ids=[asset.pk], status=Export.Status.READY, expires_at=timezone.now())
    Export.objects.filter(pk=export.pk).update(
        key=storage.storage().save(storage.export_key(org, export), ContentFile(b"PK"))
    )
    credits_grant(org=org, amount=200, key=f"isolation:{org.pk}", description="Test credits")
    source = AssetFactory(org=org, filename="source.jpg")
    edit_job = upscale_start(org=org, user=None, asset=source, factor=2)  # queued: cancellable
    data_export = DataExport.objects.create(org=org, status=DataExport.Status.READY, expires_at=timezone.now())
    video_job = video_start(org=org, user=None, asset=source, request=VideoRequest(prompt="a slow pan"))
    tool_job = grade_start(org=org, user=None, asset=source, data={"look": "vintage"})  # queued: cancellable
    lut = lut_upload(org=org, user=None, name="Mine.cube", data=CUBE)
    recording = AssetRowFactory(org=org, kind=Asset.Kind.FILE, mime="audio/wav", duration=3.0)
    mesh_job = mesh_start(org=org, user=None, asset=source)  # queued: cancellable
    mesh_model = AssetRowFactory(org=org, kind=Asset.Kind.FILE, mime="model/gltf-binary")
    roto_video = AssetRowFactory(org=org, kind=Asset.Kind.VIDEO, mime="video/mp4", duration=4.0, width=640, height=360)
    matte_job = roto_start(org=org, user=None, asset=roto_video, start=0, end=2)  # queued: cancellable
    style = style_ready(org, source=source)
    owner = Membership.objects.filter(org=org, role=Role.OWNER).first().user
    api_key, _whole = api_key_create(org=org, user=owner, name="Isolation", scopes=["read"])
    endpoint = WebhookEndpoint.objects.create(
        org=org, url="https://hooks.example.com/x", secret="whsec_dGVzdHNlY3JldA=="
    )
    delivery = WebhookDelivery.objects.create(
        org=org,
        endpoint=endpoint,
        message_id=f"msg_{org.pk}",
        event_type="job.succeeded",
        payload={},
        status=WebhookDelivery.Status.FAILED,
    )
    return {
        "style": style,
        "api_key": api_key,
        "webhook_endpoint": endpoint,
        "webhook_delivery": delivery,
        "data_export": data_export,
        "video_job": video_job,
        "tool_job": tool_job,
        "lut": lut,
        "recording": recording,
        "mesh_job": mesh_job,
        "mesh_image": source,
        "mesh_model": mesh_model,
        "roto_video": roto_video,
        "matte_job": matte_job,
        "asset": asset,
        "collection": collection,
        "upload": upload,
        "export": export,
        "edit_job": edit_job,
        **_character_objects(org),
        **_project_objects(org, asset),
    }


def _project_objects(org, asset):
    """A project with a linked item, a script, its finished breakdown and an answered question."""
    project = ProjectFactory(org=org, name=f"Lighthouse {org.slug}")
    project_services.project_assets_add(project=project, assets=[asset])
    script = project_services.script_upload(
        project=project, user=None, filename="lighthouse.fountain", data=screenplays.SHORT.encode()
    )
    breakdown = Breakdown.objects.create(
        org=org, project=project, script=script, status="succeeded", result={"scenes": [], "characters": []}
    )
    message = ChatMessage.objects.create(
        org=org, project=project, question="Who keeps the light?", answer="Ada [S1].", status="succeeded"
    )
    return {"project": project, "script": script, "breakdown": breakdown, "chat_message": message}


def _character_objects(org):
    """A photo character with one dataset photo and a queued training run, a wizard character with
    one candidate face, and a notification for each person in the org (each reads only their own)."""
    character = CharacterFactory(org=org, name=f"Ava {org.slug}")
    image = DatasetImageFactory(character=character, asset=AssetRowFactory(org=org))
    run = TrainingRunFactory(character=character)
    wizard = CharacterFactory(org=org, name=f"Nova {org.slug}", origin=Character.Origin.WIZARD)
    candidate = AssetRowFactory(org=org)
    CharacterJobItemFactory(job__character=wizard, job__status="succeeded", status="succeeded", asset=candidate)
    pack, draft = _studio_objects(org, wizard, candidate)
    video = AssetRowFactory(org=org, kind=Asset.Kind.VIDEO, mime="video/mp4", duration=4.0, width=640, height=360)
    pipeline = AnimatePipeline.objects.create(
        org=org, source=video, source_title=video.title, character=wizard, character_name=wizard.name, seconds=2
    )
    notifications = {
        user_id: Notification.objects.create(org=org, user_id=user_id, kind="test", title="Done")
        for user_id in Membership.objects.filter(org=org).values_list("user_id", flat=True)
    }
    keepers_run = KeepersRun.objects.create(
        org=org,
        character=wizard,
        character_name=wizard.name,
        wanted=1,
        threshold=50,
        price_per_image=4,
        status="succeeded",
        outcome="1 keeper.",
    )
    return {
        "keepers_run": keepers_run,
        "character": character,
        "dataset_image": image,
        "training_run": run,
        "wizard_character": wizard,
        "candidate": candidate,
        "notification": notifications,
        "pack": pack,
        "prompt_draft": draft,
        "video": video,
        "pipeline": pipeline,
        **_dataset_objects(org),
    }


def _dataset_objects(org):
    """A dataset build with one face photo, one body photo with a result, and a finished run."""
    from datasets.models import BuildRun, DatasetBuild, SourcePhoto, TargetPhoto

    build = DatasetBuild.objects.create(org=org, character=CharacterFactory(org=org, name=f"Jade {org.slug}"))
    source = SourcePhoto.objects.create(org=org, build=build, asset=AssetRowFactory(org=org))
    result = AssetRowFactory(org=org)
    target = TargetPhoto.objects.create(
        org=org, build=build, asset=AssetRowFactory(org=org), result=result, source=source
    )
    run = BuildRun.objects.create(org=org, build=build, status="succeeded")
    return {"dataset_build": build, "dataset_source": source, "dataset_target": target, "dataset_run": run}


def _studio_objects(org, character, face):
    """A finished pack of one failed image (retry, re-run and cancel all have something to act on,
    and each refuses with a message where it must) and a finished prompt draft."""
    # An identity reference, as a face found in the base image gives one (animations need it).
    Character.objects.filter(pk=character.pk).update(base_image=face, avatar=face, identity_embedding=[0.1] * 128)
    pack = GenerationJobFactory(character=character, status="failed")  # draft face-swap, 9:16, one image
    GenerationImageFactory(job=pack, status="failed", seed=1, prompt="x", error="Test failure")
    draft = PromptDraftFactory(character=character, status="succeeded", count=1, prompts=["a prompt"])
    return pack, draft


def _url(name, slug, targets, object_slug=None, user=None):
    """``user``: whose notification a notification URL names (anyone's in that org if None)."""
    route = ROUTES[name]
    kind = ORG_URLS[name][3]
    url = "/" + route.replace("<slug:org_slug>", slug)
    objects = targets[object_slug or slug]
    if kind:
        target = objects[kind]
        if isinstance(target, dict):  # one per person
            target = target.get(user.pk) if user is not None and user.pk in target else next(iter(target.values()))
        url = url.replace("<uuid:public_id>", str(target.public_id))
    for placeholder, sub_kind in SUB_IDS.items():
        url = url.replace(placeholder, str(objects[sub_kind].public_id))
    for placeholder, value in SUB_VALUES.items():
        url = url.replace(placeholder, value)
    return url


POST_DATA = {
    "orgs:billing": {"plan": "free"},
    "billing:low_credit_alert": {"threshold": "75"},
    "billing:subscribe": {"plan": "creator", "nonce": "tenant-test"},
    "billing:topup": {"pack": "1000", "nonce": "tenant-test"},
    "orgs:settings": {"name": "Changed", "email": "billing@northstar.example", "allow_join_requests": ""},
    "orgs:api_key_create": {"name": "Tenant test", "scopes": ["read"]},
    "orgs:webhook_create": {"url": "https://93.184.215.14/hook"},
    "orgs:invite": {"email": "new@example.com", "role": "viewer"},
    "orgs:member_role": {"role": "viewer"},
    "orgs:join_request_approve": {"role": "viewer"},
    # Jobs are running in the targets, so both are refused with the way out (a redirect).
    "orgs:org_delete": {"confirm_name": "Northstar Talent"},
    "assets:bulk": lambda t: {"action": "like", "ids": str(t["asset"].public_id)},
    "assets:collections": {"name": "New board"},
    "assets:collection_update": {"name": "Renamed board"},
    "assets:upload_start": {"filename": "beach.jpg", "size": "1000", "content_type": "image/jpeg"},
    "assets:rename": {"title": "Renamed"},
    "assets:tags": {"tags": "beach"},
    "assets:like": {"liked": "1"},
    "assets:collection_toggle": lambda t: {"collection": str(t["collection"].public_id), "add": "0"},
    "generation:upscale": {"factor": "2"},
    "styles:detail": {"name": "Renamed style", **WORDS},
    "projects:new": {"name": "New production"},
    "projects:edit": {"name": "Renamed production"},
    "projects:delete": lambda t: {"confirm_name": t["project"].name},
    "projects:assets_add": lambda t: {"ids": str(t["asset"].public_id)},
    "projects:character_add": lambda t: {"character": str(t["character"].public_id)},
    "projects:script_upload": lambda t: {
        "file": SimpleUploadedFile("again.fountain", screenplays.SHORT.encode(), content_type="text/plain")
    },
    "projects:chat_ask": {"question": "Who keeps the light?"},
    "styles:extract_many": lambda t: {"ids": str(t["asset"].public_id)},
    "video:make": {"prompt": "a slow pan", "seconds": "6"},
    "video:upscale": {"factor": "2"},
    "video:batch_panel": lambda t: {"ids": str(t["asset"].public_id)},
    "video:batch": lambda t: {"ids": str(t["asset"].public_id), "factor": "2"},
    "video:pipeline_step": {"step": "animate"},
    "tools:grade": {"look": "vintage"},
    "tools:lut_upload": lambda t: {"asset": str(t["asset"].public_id), "cube": SimpleUploadedFile("x.cube", CUBE)},
    "tools:audio": lambda t: {"action": "upload", "files": SimpleUploadedFile("voice.wav", _wav())},
    "tools:audio_clean": {"loudness": "-16"},
    "tools:mesh_make": {"faces": "25000", "format": "glb"},
    "tools:roto": {"start": "0", "end": "2"},
    # The wizard character has a face; credits cover the whole animation: a pipeline starts.
    "video:animate": lambda t: {
        "character": str(t["wizard_character"].public_id),
        "mode": "replace",
        "resolution": "480p",
        "start": "0",
        "seconds": "2",
    },
    "generation:inpaint": lambda t: {"prompt": "a red scarf", "mask": _mask_for(t["asset"])},
    "generation:clothes": {"via": "outfit", "outfit": "casual_jeans"},
    # The org's photo character has no face yet: refused (nothing charged), back to the library.
    "generation:batch": lambda t: {
        "ids": str(t["asset"].public_id),
        "character": str(t["character"].public_id),
        "use_prompt_writer": "on",
        "aspect_ratio": "9:16",
        "quality": "draft",
    },
    "generation:studio": {
        "scene": "night_out",
        "environment": "studio",
        "aspect_ratio": "9:16",
        "quality": "draft",
        "count": "1",
    },
    "generation:prompts_write": {
        "scene": "night_out",
        "environment": "studio",
        "aspect_ratio": "9:16",
        "quality": "draft",
        "count": "1",
    },
    "characters:new_photos": {"name": "Maya Lind"},
    "characters:wizard": {
        "name": "Nova Reyes",
        "style": "photo",
        "gender": "female",
        "age": "27",
        "default_outfit": "casual_jeans",
    },
    "characters:edit": lambda t: {
        "name": t["character"].name,
        "style": "photo",
        "age": "30",
        "default_outfit": "casual_jeans",
    },
    "characters:delete": lambda t: {"confirm_name": t["character"].name},
    "characters:nsfw": {"allowed": "0"},
    "characters:dataset_move": {"bucket": "half"},
    "characters:caption_edit": {"caption": "close-up, smiling"},
    "characters:consent": {"confirm": "on"},
    "characters:attest": {"confirm": "on"},
}


CUBE = b"LUT_3D_SIZE 2\n" + b"".join(f"{r} {g} {b}\n".encode() for b in (0, 1) for g in (0, 1) for r in (0, 1))


def _wav():
    """A second of a tone, as the audio page's upload sends it."""
    import math
    import struct
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 5))) for i in range(8000)))
    return buffer.getvalue()


def _mask_for(asset):
    """A painted mask (white where the image changes) at ``asset``'s size, as the inpaint page sends it."""
    image = Image.new("L", (asset.width, asset.height), 0)
    image.paste(255, (0, 0, asset.width // 2, asset.height // 2))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("mask.png", buffer.getvalue(), content_type="image/png")


def _request(client, method, url, name, targets=None):
    """``targets``: the objects of the org the URL is in (what a form on its pages would name)."""
    if method == PUT:
        return client.put(url, b"abcd", content_type="application/octet-stream")
    if method == POST:
        data = POST_DATA.get(name, {})
        return client.post(url, data(targets) if callable(data) else data)
    return client.get(url)


def _state():
    return (
        sorted(Organization.objects.values_list("pk", "name", "email", "plan_id", "allow_join_requests")),
        sorted(Membership.objects.values_list("org_id", "user_id", "role")),
        sorted(Invitation.objects.values_list("org_id", "email", "status")),
        sorted(JoinRequest.objects.values_list("org_id", "user_id", "status")),
        sorted(Asset.objects.values_list("pk", "title", "liked")),
        sorted(Asset.tags.through.objects.values_list("asset_id", "tag_id")),
        sorted(Collection.objects.values_list("pk", "name")),
        sorted(CollectionItem.objects.values_list("collection_id", "asset_id")),
        sorted(Upload.objects.values_list("pk", "status")),
        sorted(Export.objects.values_list("pk", "status")),
        sorted(EditJob.objects.values_list("pk", "status")),
        sorted(CreditAccount.objects.values_list("org_id", "balance", "held", "low_credit_threshold")),
        sorted(Character.objects.values_list("pk", "name", "age", "nsfw_allowed", "base_image_id")),
        sorted(DatasetImage.objects.values_list("pk", "bucket", "caption", "warnings_accepted")),
        sorted(TrainingRun.objects.values_list("pk", "status")),
        sorted(CharacterJob.objects.values_list("pk", "status")),
        Consent.objects.count(),
        sorted(GenerationJob.objects.values_list("pk", "status")),
        sorted(GenerationImage.objects.values_list("pk", "status", "attempts")),
        PromptDraft.objects.count(),
        sorted(Notification.objects.values_list("pk", "read_at")),
        sorted(Organization.objects.values_list("pk", "deletion_due_at")),
        sorted(DataExport.objects.values_list("pk", "status")),
        sorted(VideoJob.objects.values_list("pk", "status")),
        sorted(ToolJob.objects.values_list("pk", "status")),
        sorted(MeshJob.objects.values_list("pk", "status")),
        sorted(Lut.objects.values_list("pk", "name")),
        sorted(AnimatePipeline.objects.values_list("pk", "seconds")),
        sorted(AnimateStep.objects.values_list("pk", "status")),
        sorted(StyleRecipe.objects.values_list("pk", "name", "in_studio", "status")),
        sorted(Project.objects.values_list("pk", "name", "archived_at")),
        sorted(Script.objects.values_list("pk", "title")),
        sorted(Breakdown.objects.values_list("pk", "status")),
        sorted(ChatMessage.objects.values_list("pk", "status", "stop_requested")),
        sorted(ProjectAsset.objects.values_list("project_id", "asset_id")),
        sorted(ProjectCharacter.objects.values_list("project_id", "character_id")),
        sorted(ApiKey.objects.values_list("pk", "revoked_at")),
        sorted(WebhookEndpoint.objects.values_list("pk", "url")),
        sorted(WebhookDelivery.objects.values_list("pk", "status", "attempts")),
        sorted(CreatorProfile.objects.values_list("pk", "display_name", "listed", "payouts_enabled")),
        sorted(CreatorTerms.objects.values_list("pk", "version")),
        sorted(License.objects.values_list("pk", "status")),
        Payout.objects.count(),
    )


@pytest.mark.parametrize("name", ORG_URLS)
def test_an_outsider_gets_404_everywhere(client, org, people, targets, name):
    methods = ORG_URLS[name][0]
    client.force_login(people.outsider)
    before = _state()

    for method in sorted({GET, POST} | methods):
        response = _request(client, method, _url(name, org.slug, targets), name, targets[org.slug])
        assert response.status_code == (404 if method in methods else 405), f"{method} {name}"

    assert _state() == before


@pytest.mark.parametrize("name", ORG_URLS)
def test_a_missing_org_looks_the_same_as_someone_elses(client, org, people, targets, name):
    methods = ORG_URLS[name][0]
    client.force_login(people.outsider)
    url = _url(name, org.slug, targets)

    for method in methods:
        theirs = _request(client, method, url, name, targets[org.slug])
        missing = _request(client, method, url.replace("/o/northstar/", "/o/no-such-org/"), name, targets[org.slug])
        assert theirs.status_code == missing.status_code == 404
        assert text_of(theirs) == text_of(missing)


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
@pytest.mark.parametrize("name", ORG_URLS)
def test_each_role_reaches_only_what_it_may(client, org, people, targets, name, role):
    methods, needed, writes, _ = ORG_URLS[name]
    client.force_login(getattr(people, role))
    rank = ROLE_RANK[Role(role)]
    before = _state()

    user = getattr(people, role)
    for method in sorted(methods):
        response = _request(client, method, _url(name, org.slug, targets, user=user), name, targets[org.slug])
        if rank < ROLE_RANK[needed]:
            assert response.status_code == 403, f"{role} {method} {name}"
            assert _state() == before
        else:
            # 286: a polled status partial telling the page that nothing is running.
            assert response.status_code in (200, 201, 286, 302), f"{role} {method} {name} → {response.status_code}"
            if method == POST and rank < ROLE_RANK[writes]:
                assert _state() == before, f"{role} changed something with POST {name}"


OBJECT_URLS = [name for name, row in ORG_URLS.items() if row[3]]


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_an_admin_cannot_reach_another_orgs_objects_through_their_own_org(client, org, people, targets, name):
    # The owner for owner-only actions, so the role check can't hide a missing org check.
    actor = people.owner if ORG_URLS[name][1] == Role.OWNER else people.admin
    client.force_login(actor)
    before = _state()

    url = _url(name, org.slug, targets, object_slug=people.other_org.slug)

    for method in ORG_URLS[name][0]:
        assert _request(client, method, url, name, targets[org.slug]).status_code == 404, method
    assert _state() == before


def test_a_made_up_id_is_a_404_too(client, org, people, targets):
    client.force_login(people.owner)

    response = client.post(f"/o/northstar/settings/members/{uuid.uuid4()}/remove/")

    assert response.status_code == 404


# --- Signed media URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["original", "thumb", "preview"])
def test_a_signed_media_url_serves_only_members_of_the_org_that_owns_the_file(
    client, org, people, settings, tmp_path, variant
):
    settings.MEDIA_ROOT = str(tmp_path)
    ours, theirs = AssetFactory(org=org), AssetFactory(org=people.other_org)
    key = ours.original_key if variant == "original" else ours.variants[variant]
    our_url = storage.signed_url(org, key)
    their_url = storage.signed_url(people.other_org, theirs.original_key)

    for person, expected in [(people.owner, 200), (people.viewer, 200), (people.outsider, 404)]:
        client.force_login(person)
        assert client.get(our_url).status_code == expected, person.email
    assert client.get(their_url).status_code == 200  # the outsider, for their own file
    client.force_login(people.admin)
    assert client.get(their_url).status_code == 404
