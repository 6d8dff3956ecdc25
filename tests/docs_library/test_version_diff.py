"""The admin's file history: what changed in the text when a file was replaced."""

from urllib.parse import urlencode

import pytest

from django.contrib.auth.models import Permission
from django.urls import reverse

from wagtail.users.models import UserProfile

from docs_library.admin.views import line_diff
from tests.factories import DocumentPageFactory, UserFactory, library_document, upload

FIRST = "Облыстық кеңестің шешімі\nЖиналыс 12 наурызда өтеді.\nШарт: a<b> & c\nТөраға: А. Сейітов\n"
SECOND = (
    "Облыстық кеңестің шешімі\n"
    "Жиналыс 14 наурызда өтеді.\n"
    "Шарт: a<b> & c\n"
    "Төраға: А. Сейітов\n"
    "Хатшы: Б. Омарова\n"
)


@pytest.fixture
def document(admin_user):
    document = library_document(FIRST.encode(), "Шешім.txt", title="Кеңес шешімі")
    document.replace_file(upload(SECOND.encode(), "Шешім.txt"), user=admin_user, comment="Күні")
    return document


def versions_url(document, **query):
    url = reverse("sandyq_document_versions", args=[document.pk])
    return f"{url}?{urlencode(query)}" if query else url


@pytest.fixture
def admin_user(admin_user):
    """The admin speaks the user's own language; this one reads English."""
    profile = UserProfile.get_for_user(admin_user)
    profile.preferred_language = "en"
    profile.save()
    return admin_user


def test_a_superuser_sees_which_lines_changed(client, admin_user, document):
    client.force_login(admin_user)

    response = client.get(versions_url(document, a=1, b="current"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<del>Жиналыс 12 наурызда өтеді.</del>" in html
    assert "<ins>Жиналыс 14 наурызда өтеді.</ins>" in html
    assert "<ins>Хатшы: Б. Омарова</ins>" in html
    assert "<del>Облыстық" not in html and "<ins>Облыстық" not in html  # unchanged
    assert "a&lt;b&gt; &amp; c" in html and "a<b>" not in html  # text is never markup
    assert "2 lines added" in html and "1 line removed" in html
    # The history: both files, with the replacement's comment and who uploaded it.
    version = document.versions.get()
    assert version.url in html and document.url in html
    assert "Күні" in html and admin_user.get_username() in html
    assert document.sha256[:12] in html and version.sha256[:12] in html


@pytest.mark.parametrize(
    "query",
    [{}, {"a": "current", "b": "1"}, {"a": "99", "b": "current"}, {"a": "1", "b": "1"}],
    ids=["no choice", "picked newest first", "no such version", "the same twice"],
)
def test_the_earlier_file_is_always_on_the_left(client, admin_user, document, query):
    client.force_login(admin_user)
    html = client.get(versions_url(document, **query)).content.decode()
    assert "<del>Жиналыс 12 наурызда өтеді.</del>" in html
    assert "<ins>Жиналыс 14 наурызда өтеді.</ins>" in html


def test_a_document_with_one_file_has_nothing_to_compare(client, admin_user):
    client.force_login(admin_user)
    document = library_document(FIRST.encode(), "Бір.txt")

    html = client.get(versions_url(document)).content.decode()

    assert "only one file" in html
    assert "<del>" not in html


def test_an_editor_without_permission_on_the_document_gets_not_found(client, document):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)

    assert client.get(versions_url(document)).status_code == 404
    # The same answer as for a document that does not exist.
    assert client.get(f"/admin/documents/{document.pk + 1000}/versions/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_admin_login(client, document):
    response = client.get(versions_url(document))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_the_record_page_links_to_its_file_versions(client, admin_user, document, library):
    record = DocumentPageFactory(parent=library, main_file=document)
    client.force_login(admin_user)

    html = client.get(reverse("wagtailadmin_pages:edit", args=[record.pk])).content.decode()

    assert versions_url(document) in html


def test_unchanged_lines_far_from_a_change_are_folded():
    old = "\n".join(f"жол {number}" for number in range(1, 21))
    new = old.replace("жол 10", "жол ОН")

    diff = line_diff(old, new)

    kinds = [row.kind for row in diff.rows]
    assert kinds == ["gap", *["same"] * 3, "removed", "added", *["same"] * 3, "gap"]
    assert (diff.rows[4].old_number, diff.rows[5].new_number) == (10, 10)
    assert line_diff(old, old).unchanged
