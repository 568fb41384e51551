from django.db import models


class Plan(models.Model):
    """A subscription plan. Rows are data, editable in the admin; the pricing pages read them."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    tagline = models.CharField(max_length=160, blank=True)
    price_cents = models.PositiveIntegerField(help_text="Monthly price in US cents.")
    monthly_credits = models.PositiveIntegerField(help_text="Credits granted each month (or once, see below).")
    credits_recur = models.BooleanField(default=True, help_text="Off: the credits are granted once, not monthly.")
    max_characters = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means unlimited.")
    storage_bytes = models.PositiveBigIntegerField()
    seats = models.PositiveSmallIntegerField(help_text="Members who create content (owners, admins, members).")
    stripe_price_id = models.CharField(max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_public = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False, help_text="The plan new organisations start on.")

    class Meta:
        ordering = ["position", "price_cents"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="one_default_plan")
        ]

    def __str__(self):
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    @property
    def price_dollars(self) -> int | float:
        dollars = self.price_cents / 100
        return int(dollars) if dollars.is_integer() else dollars
