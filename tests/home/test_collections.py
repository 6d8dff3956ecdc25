"""Each organisation's collection is named after it: no database ids in upload forms
or choosers, and siblings still told apart."""

import html
import importlib
import re

import pytest

from django.apps import apps
from django.urls import reverse

from wagtail.models import Collection

from home import roles
from home.models import unique_collection_name
from tests.factories import DistrictFactory, PrimaryFactory, RegionFactory, UserFactory

AN_ID = re.compile(r"#\s*\d+")


@pytest.fixture
def karaganda(home):
    region = RegionFactory(parent=home, title="Қарағанды облысы", org_code="09")
    district = DistrictFactory(parent=region, title="Абай ауданы", org_code="09-01")
    primary = PrimaryFactory(parent=district, title="«Болашақ» БПҰ", org_code="09-01-01")
    return {"region": region, "district": district, "primary": primary}


def collection_options(page: str) -> list[str]:
    """The labels of the collection choices in a page of Wagtail's admin."""
    selects = re.findall(r'<select[^>]*name="collection(?:_id)?"[^>]*>(.*?)</select>', page, re.S)
    assert selects, "no collection choice on the page"
    labels = re.findall(r"<option[^>]*>(.*?)</option>", "".join(selects), re.S)
    return [html.unescape(label).replace("↳", "").replace("\xa0", " ").strip() for label in labels]


def test_an_organisation_collection_bears_the_organisation_name(karaganda):
    for organisation in karaganda.values():
        organisation.refresh_from_db()
        assert organisation.collection.name == organisation.title
    assert karaganda["district"].collection.get_parent() == karaganda["region"].collection


def test_namesakes_under_one_parent_are_told_apart_by_code_not_id(karaganda):
    district = karaganda["district"]
    twin = PrimaryFactory(parent=district, title="«Болашақ» БПҰ", org_code="09-01-02")
    twin.refresh_from_db()
    assert twin.collection.name == "«Болашақ» БПҰ (09-01-02)"
    uncoded = PrimaryFactory(parent=district, title="«Болашақ» БПҰ", org_code="")
    uncoded.refresh_from_db()
    assert uncoded.collection.name == "«Болашақ» БПҰ (2)"
    names = list(district.collection.get_children().values_list("name", flat=True))
    assert len(names) == len(set(names)) == 3
    # A namesake elsewhere in the tree is no clash.
    other = PrimaryFactory(parent=karaganda["region"], title="«Болашақ» БПҰ")
    other.refresh_from_db()
    assert other.collection.name == "«Болашақ» БПҰ"


def test_unique_collection_name_stays_within_the_field_length():
    long_name = "Ұ" * 300
    first = unique_collection_name(long_name, "02-05", [])
    assert len(first) == 255
    second = unique_collection_name(long_name, "02-05", [first])
    assert len(second) == 255
    assert second.endswith(" (02-05)")


def test_a_published_new_title_renames_the_collection_a_draft_does_not(karaganda):
    district = karaganda["district"]
    district.title = "Абай аудандық филиалы"
    district.save_revision()
    district.collection.refresh_from_db()
    assert district.collection.name == "Абай ауданы"
    district.get_latest_revision().publish()
    district.collection.refresh_from_db()
    assert district.collection.name == "Абай аудандық филиалы"


def test_the_migration_drops_the_ids_of_old_names(karaganda):
    migration = importlib.import_module("home.migrations.0004_organisation_collection_names")
    region, district = karaganda["region"], karaganda["district"]
    Collection.objects.filter(pk=region.collection_id).update(name=f"{region.title} #{region.pk}")
    Collection.objects.filter(pk=district.collection_id).update(name="Қолмен берілген атау")
    migration.name_by_organisation(apps, None)
    assert Collection.objects.get(pk=region.collection_id).name == "Қарағанды облысы"
    # A name someone chose by hand is left alone.
    assert Collection.objects.get(pk=district.collection_id).name == "Қолмен берілген атау"


@pytest.mark.parametrize("who", ["superuser", "region editor"])
@pytest.mark.parametrize(
    "url_name", ["wagtaildocs:add", "wagtaildocs:add_multiple", "wagtaildocs_chooser:choose"]
)
def test_upload_forms_and_choosers_show_organisation_names_without_ids(
    client, karaganda, who, url_name
):
    if who == "superuser":
        user = UserFactory(username="root.admin", is_superuser=True, is_staff=True)
    else:
        user = UserFactory(username="karaganda.editor")
        roles.grant(roles.EDITOR, user, karaganda["region"])
    # One more organisation, so that a single collection is not hidden as the only choice.
    PrimaryFactory(parent=karaganda["region"], title="«Еңбек» БПҰ")
    client.force_login(user)

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    is_modal = response["Content-Type"].startswith("application/json")
    labels = collection_options(response.json()["html"] if is_modal else response.content.decode())
    assert not [label for label in labels if AN_ID.search(label)], labels
    for organisation in karaganda.values():
        assert organisation.title in labels
