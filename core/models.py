"""Base models every domain app builds on."""

import uuid

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(TimeStampedModel):
    """Rows users can address: URLs carry the UUID ``public_id``, never the integer pk."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class OrgQuerySet(models.QuerySet):
    def for_org(self, org):
        return self.filter(org=org)


class OrgOwnedModel(PublicIdModel):
    """A tenant-owned row. Reads go through ``Model.objects.for_org(org)``."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True
