"""The default item: QuickBooks' own "Services" item (id 1 in a new company); the manager edits it in the admin."""

from django.db import migrations


def default_item(apps, schema_editor):
    ItemMapping = apps.get_model("accounting", "ItemMapping")
    if not ItemMapping.objects.filter(is_default=True).exists():
        ItemMapping.objects.create(is_default=True, item_id="1", item_name="Services")


class Migration(migrations.Migration):
    dependencies = [("accounting", "0001_initial")]
    operations = [migrations.RunPython(default_item, migrations.RunPython.noop)]
