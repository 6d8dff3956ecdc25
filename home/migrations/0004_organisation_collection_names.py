"""Organisation collections named after the organisation, without the page id.

They were made as «Қарағанды облысы #15», and upload forms and choosers showed
the id. Only names still in that form are changed; a clash with a sibling's
name is settled by the organisation code, then a number (a frozen copy of
``home.models.unique_collection_name``).
"""

from django.db import migrations

NAME_LENGTH = 255
STEPLEN = 4  # treebeard's path step for Wagtail's collections
ORGANISATION_MODELS = [
    "HomePage",
    "RegionalBranchPage",
    "DistrictBranchPage",
    "PrimaryOrganisationPage",
]


def unique_name(name, org_code, taken):
    taken = set(taken)
    suffixes = [""]
    if org_code:
        suffixes.append(f" ({org_code})")
    suffixes.extend(f" ({number})" for number in range(2, len(taken) + 3))
    for suffix in suffixes:
        candidate = name[: NAME_LENGTH - len(suffix)].rstrip() + suffix
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def organisations(apps):
    rows = []
    for model_name in ORGANISATION_MODELS:
        model = apps.get_model("home", model_name)
        rows.extend(
            model.objects.exclude(collection=None).values_list(
                "pk", "title", "org_code", "collection_id", "path"
            )
        )
    return sorted(rows, key=lambda row: row[4])  # tree order: the first of a clash keeps the name


def name_by_organisation(apps, schema_editor):
    Collection = apps.get_model("wagtailcore", "Collection")
    for pk, title, org_code, collection_id, _path in organisations(apps):
        collection = Collection.objects.filter(pk=collection_id).first()
        if collection is None or collection.name != f"{title} #{pk}"[:NAME_LENGTH]:
            continue  # renamed by someone since: leave it
        taken = (
            Collection.objects.filter(
                depth=collection.depth, path__startswith=collection.path[:-STEPLEN]
            )
            .exclude(pk=collection.pk)
            .values_list("name", flat=True)
        )
        Collection.objects.filter(pk=collection.pk).update(name=unique_name(title, org_code, taken))


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0003_roles"),
    ]

    operations = [
        # Backwards the names stay: they are only labels.
        migrations.RunPython(name_by_organisation, migrations.RunPython.noop),
    ]
