"""Projects (issue #21): a workspace that groups an organisation's scripts, their breakdowns, the
chat about them, and library items and characters linked to it.

- ``Project``: named, archivable; deleting one deletes what only it owns (its scripts and their
  files, breakdowns, chats, links) after a confirmation listing them. Library items and characters
  linked to it stay in the library (the link goes).
- ``Script``: an uploaded screenplay (.txt, .fountain, .pdf), its extracted text and hash.
- ``Breakdown``: the paid job (``script_breakdown``) reading a script into scenes, characters,
  props, locations and costumes, one chunk per provider call; a script whose text was already
  broken down is answered from that result at no cost (``cached_from``).
- ``ChatMessage``: one question to the project's assistant and its streamed answer, a paid job
  (``chat``, 2 credits), with the passages it was given and cites.
- ``ProjectAsset`` / ``ProjectCharacter``: the links that put library items and characters in a project.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse

from core.models import OrgOwnedModel
from jobs.models import CallJob, Job

MAX_NAME_CHARS = 120


class Project(OrgOwnedModel):
    name = models.CharField(max_length=MAX_NAME_CHARS)
    description = models.TextField(blank=True, max_length=2000)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["org", "archived_at"], name="project_org_archived")]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.org.slug, self.public_id])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Script(OrgOwnedModel):
    class Format(models.TextChoices):
        FOUNTAIN = "fountain", "Fountain"
        PDF = "pdf", "PDF"
        TEXT = "txt", "Plain text"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scripts")
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=10, choices=Format.choices)
    file_key = models.CharField(max_length=500, help_text="The uploaded file in storage.")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, help_text="Of the extracted text: the breakdown cache key.")
    text = models.TextField()
    pages = models.PositiveIntegerField(default=1)
    tokens = models.PositiveIntegerField(default=0, help_text="Estimated (4 characters a token).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:script", args=[self.org.slug, self.project.public_id, self.public_id])


class Breakdown(CallJob):
    """A script's breakdown: the job (chunks read one provider call at a time, each asked again when
    its answer isn't valid JSON) and, once it succeeded, the merged ``result``."""

    HOLD_KEY = "breakdown"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="breakdowns")
    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="breakdowns")
    chunks = models.JSONField(default=list, help_text="The script's text, cut into overlapping chunks.")
    chunk_index = models.PositiveSmallIntegerField(default=0, help_text="The chunk being read.")
    asks = models.PositiveSmallIntegerField(default=1, help_text="Requests for the current chunk.")
    partial = models.JSONField(default=list, blank=True, help_text="Each chunk's answer, as read.")
    result = models.JSONField(default=dict, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cached_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Answered from this."
    )
    demo = models.BooleanField(default=False, help_text="Read locally by the demo provider, not by a model.")

    class Meta:
        verbose_name = "script breakdown"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="breakdown_key_once")]

    def __str__(self):
        return f"Breakdown of {self.script.title}"

    def get_absolute_url(self) -> str:
        return reverse("projects:breakdown", args=[self.org.slug, self.project.public_id, self.public_id])


class ChatMessage(Job):
    """One question to a project's assistant and its answer, streamed into ``answer`` as it comes.

    ``stopped``: the person stopped it mid-answer (what came is kept and charged). ``cut``: the
    provider's stream broke off (what came is kept, marked, and nothing is charged)."""

    HOLD_KEY = "chat"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="chat_messages")
    question = models.TextField(max_length=2000)
    answer = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True, help_text="The passages retrieved for it, cited.")
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    stop_requested = models.BooleanField(default=False)
    stopped = models.BooleanField(default=False)
    cut = models.BooleanField(default=False)
    demo = models.BooleanField(default=False)
    call = models.ForeignKey(
        "providers.ProviderCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "assistant chat message"
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="chatmessage_key_once")]

    def __str__(self):
        return self.question[:80]

    def get_absolute_url(self) -> str:
        return reverse("projects:chat", args=[self.org.slug, self.project.public_id]) + f"#m-{self.public_id}"


class ProjectAsset(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="asset_links")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="project_links")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "asset"], name="projectasset_once")]

    def __str__(self):
        return f"{self.asset_id} in {self.project_id}"


class ProjectCharacter(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="character_links")
    character = models.ForeignKey("characters.Character", on_delete=models.CASCADE, related_name="project_links")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "character"], name="projectcharacter_once")]

    def __str__(self):
        return f"{self.character_id} in {self.project_id}"


class Passage(models.Model):
    """A piece of a project the assistant can be given and cite: a scene of a script, a scene or
    character of a breakdown, a linked library item's words. Searched with Postgres full-text
    search (``search``, English stemming); made when its source is added, deleted with it."""

    class Kind(models.TextChoices):
        SCRIPT = "script", "Script"
        BREAKDOWN = "breakdown", "Breakdown"
        ASSET = "asset", "Library item"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="passages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    script = models.ForeignKey(Script, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    breakdown = models.ForeignKey(Breakdown, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    asset_link = models.ForeignKey(ProjectAsset, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300, help_text="Where it is: the script and scene, the item's title.")
    text = models.TextField()
    search = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [GinIndex(fields=["search"], name="passage_search")]

    def __str__(self):
        return self.title
