"""Archive, restore and withdraw: who may, and what each listing and URL then shows."""

import pytest

from django.urls import reverse
from django.utils import timezone, translation

from docs_library import access
from docs_library.lifecycle import archive
from docs_library.models import DocumentPage
from home import roles
from tests.docs_library import samples
from tests.docs_library.lifecycle import circular, draft, library_of, person, publish, words
from tests.factories import library_document


@pytest.fixture
def library(tree):
    return library_of(tree["district"], title="Аудан құжаттары")


@pytest.fixture
def people(tree):
    return {
        "editor": person(roles.EDITOR, tree["district"]),
        "reviewer": person(roles.REVIEWER, tree["district"]),
        "contributor": person(roles.CONTRIBUTOR, tree["district"]),
        "reader": person(roles.READER, tree["district"]),
        "outsider": person(),
    }


@pytest.fixture
def record(library):
    return publish(draft(library, title="Мұрағатқа баратын шешім"))


def url_of(record, language="kk"):
    with translation.override(language):
        return record.get_url()


def library_titles(client, library, **query):
    response = client.get(url_of(library), query)
    return [document.title for document in response.context["documents"]]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("editor", True), ("reviewer", True), ("contributor", False), ("reader", False)],
)
def test_who_may_archive_and_restore(client, people, record, who, allowed):
    client.force_login(people[who])
    client.post(reverse("sandyq_archive", args=[record.pk]))
    record.refresh_from_db()
    assert bool(record.archived_at) is allowed
    if allowed:
        assert record.archived_by == people[who]
        client.post(reverse("sandyq_restore", args=[record.pk]))
        record.refresh_from_db()
        assert record.archived_at is None


def test_an_archived_record_keeps_its_url_and_leaves_the_current_listing(
    client, people, library, record
):
    current = publish(draft(library, title="Күшіндегі шешім"))
    client.force_login(people["reader"])
    assert set(library_titles(client, library)) == {record.title, current.title}

    archive.archive(record, people["editor"])
    page = client.get(url_of(record))
    assert page.status_code == 200
    archived_on = (
        "Archived on %(date)s. This document is kept for reference and is no longer current."
    )
    assert (
        words("kk", archived_on, date=f"{timezone.localtime(record.archived_at):%d.%m.%Y}")
        in page.content.decode()
    )
    assert library_titles(client, library) == [current.title]
    assert library_titles(client, library, view="archive") == [record.title]
    assert list(DocumentPage.objects.current().child_of(library)) == [current]

    archive.restore(record, people["editor"])
    assert set(library_titles(client, library)) == {record.title, current.title}


def test_publishing_a_new_version_of_an_archived_record_keeps_it_archived(people, record):
    archive.archive(record, people["editor"])
    record.refresh_from_db()
    record.summary = "Түзетілген"
    publish(record)
    assert record.archived_at is not None
    assert record.summary == "Түзетілген"


def test_the_admin_header_offers_archive_to_those_who_may(client, people, record):
    client.force_login(people["editor"])
    html = client.get(reverse("wagtailadmin_pages:edit", args=[record.pk])).content.decode()
    assert reverse("sandyq_archive", args=[record.pk]) in html
    assert reverse("sandyq_withdraw", args=[record.pk]) not in html  # Editors do not unpublish
    client.force_login(people["reviewer"])
    html = client.get(reverse("wagtailadmin_pages:edit", args=[record.pk])).content.decode()
    assert reverse("sandyq_withdraw", args=[record.pk]) in html


def test_only_those_who_may_unpublish_withdraw_and_a_reason_is_required(client, people, record):
    client.force_login(people["editor"])
    client.post(reverse("sandyq_withdraw", args=[record.pk]), {"reason": "Қате"})
    record.refresh_from_db()
    assert record.live

    client.force_login(people["reviewer"])
    client.post(reverse("sandyq_withdraw", args=[record.pk]), {"reason": ""})
    record.refresh_from_db()
    assert record.live
    client.post(reverse("sandyq_withdraw", args=[record.pk]), {"reason": "Қате нөмір"})
    record.refresh_from_db()
    assert not record.live
    assert record.withdrawal_reason == "Қате нөмір"


def test_a_withdrawn_record_shows_its_notice_to_those_who_could_read_it(client, people, library):
    document = library_document(samples.kazakh_pdf(), "Шешім.pdf")
    record = draft(library, title="Қайтарылған шешім", main_file=document)
    publish(record)
    url = url_of(record)
    archive.withdraw(record, people["reviewer"], "Жаңа шешіммен ауыстырылады")

    client.force_login(people["reader"])
    notice = client.get(url)
    assert notice.status_code == 410
    html = notice.content.decode()
    assert "Жаңа шешіммен ауыстырылады" in html
    withdrawn_on = words("kk", "This document was withdrawn on %(date)s.")
    assert withdrawn_on.split("%(date)s")[0] in html
    assert not access.can_view(people["reader"], document)  # the file went with it

    client.force_login(people["outsider"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # asked to sign in, as for any closed record


def test_publishing_again_ends_the_withdrawal(client, people, record):
    archive.withdraw(record, people["reviewer"], "Уақытша")
    publish(record)
    assert record.live and record.withdrawn_at is None and record.withdrawal_reason == ""
    client.force_login(people["reader"])
    assert client.get(url_of(record)).status_code == 200


def test_a_withdrawn_public_circular_tells_everyone_and_its_inbox_says_withdrawn(
    client, people, tree
):
    library = library_of(tree["region"])
    record = circular(library, addressing="all", access_level="public", title="Жалпы циркуляр")
    archive.withdraw(record, person(roles.REVIEWER, tree["region"]), "Қайта қаралады")
    assert client.get(url_of(record)).status_code == 410
    client.force_login(people["reader"])
    inbox = client.get(reverse("circulars:inbox", args=[tree["district"].pk]))
    assert words("kk", "Withdrawn") in inbox.content.decode()


def test_organisation_pages_and_feeds_list_only_current_records(client, people, library, tree):
    kept = publish(draft(library, title="Күшіндегі хабар", access_level="public"))
    gone = publish(draft(library, title="Мұрағаттағы хабар", access_level="public"))
    archive.archive(gone, people["editor"])
    organisation_page = client.get(url_of(tree["district"])).content.decode()
    with translation.override("kk"):
        feed = client.get(reverse("documents_feed")).content.decode()
    for listing in (organisation_page, feed):
        assert kept.title in listing
        assert gone.title not in listing
