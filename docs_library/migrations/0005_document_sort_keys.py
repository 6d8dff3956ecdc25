"""Stored sort keys for records: registration numbers by value, titles in Kazakh order."""

from django.db import migrations, models

from home.collation import kazakh_sort_key, natural_sort_key


def fill_sort_keys(apps, schema_editor):
    DocumentPage = apps.get_model("docs_library", "DocumentPage")
    records = DocumentPage.objects.only("title", "registration_number")
    batch = []
    for record in records.iterator(chunk_size=2000):
        record.title_sort_key = kazakh_sort_key(record.title)
        record.registration_sort_key = natural_sort_key(record.registration_number)
        batch.append(record)
        if len(batch) == 2000:
            DocumentPage.objects.bulk_update(batch, ["title_sort_key", "registration_sort_key"])
            batch = []
    DocumentPage.objects.bulk_update(batch, ["title_sort_key", "registration_sort_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("docs_library", "0004_default_review_workflow_and_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="documentpage",
            name="registration_sort_key",
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name="documentpage",
            name="title_sort_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.RunPython(fill_sort_keys, migrations.RunPython.noop, elidable=True),
    ]
