from django.db import migrations


def create_accounts(apps, schema_editor):
    """Every organisation gets an (empty) credit account; new ones get theirs from org_create."""
    Organization = apps.get_model("orgs", "Organization")
    CreditAccount = apps.get_model("billing", "CreditAccount")
    org_ids = Organization.objects.filter(credit_account__isnull=True).values_list("pk", flat=True)
    CreditAccount.objects.bulk_create(
        [CreditAccount(org_id=org_id) for org_id in org_ids.iterator()], batch_size=1000, ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_credits_ledger")]
    operations = [migrations.RunPython(create_accounts, migrations.RunPython.noop)]
