"""The index follows the pages: saves, unpublishing, deletion, moves, new file text."""

import pytest

from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.utils import translation

from docs_library.models import DocumentPage
from search import analysis, service
from search.models import SearchEntry
from tests.factories import (
    DocumentPageFactory,
    LibraryFactory,
    RegionFactory,
    library_document,
)
from tests.search.conftest import pdf_document

pytestmark = pytest.mark.django_db


def found(query, **kwargs):
    results = service.search(AnonymousUser(), query, scope=service.PUBLIC, per_page=50, **kwargs)
    return [result.title for result in results.results]


@pytest.fixture
def library(tree):
    return LibraryFactory(parent=tree["district"], title="Аудан құжаттары")


def test_an_edited_record_is_found_by_its_new_words_only(library):
    record = DocumentPageFactory(parent=library, title="Жиналыс хаттамасы", summary="")
    assert found("хаттамалары") == ["Жиналыс хаттамасы"]
    record.title = "Конференция шешімі"
    record.save()
    assert found("хаттамалары") == []
    assert found("конференцияның") == ["Конференция шешімі"]


def test_unpublished_and_deleted_pages_leave_search(library):
    record = DocumentPageFactory(parent=library, title="Жиналыс хаттамасы")
    record.unpublish()
    assert found("хаттама") == []
    assert not SearchEntry.objects.filter(page_id=record.pk).exists()
    record.save_revision().publish()
    assert found("хаттама") == ["Жиналыс хаттамасы"]
    DocumentPage.objects.get(pk=record.pk).delete()
    assert found("хаттама") == []
    assert found("жиналыс") == []  # the full-text index forgot it too


def test_file_text_reaches_the_index_when_extraction_finishes(library):
    from tests.docs_library import samples
    from tests.factories import upload

    document = pdf_document("Бірінші нұсқадағы сөз: тарихнама.")
    DocumentPageFactory(parent=library, title="Есеп", summary="", main_file=document)
    assert found("тарихнаманың") == ["Есеп"]
    # Replacing the file runs extraction again as a task; its end updates the record.
    document.replace_file(upload(samples.kazakh_pdf(text="Екінші нұсқа: шежіре."), "v2.pdf"))
    assert found("тарихнама") == []
    assert found("шежіресінің") == ["Есеп"]


def test_a_moved_library_is_counted_under_its_new_region(tree, library):
    DocumentPageFactory(parent=library, title="Жиналыс хаттамасы")
    other = RegionFactory(parent=tree["home"], title="Маңғыстау облысы")
    assert found("хаттама", filters=_organisation(other)) == []
    library.move(other, pos="last-child")
    assert found("хаттама", filters=_organisation(other)) == ["Жиналыс хаттамасы"]
    with translation.override("kk"):
        results = service.search(AnonymousUser(), "хаттама", scope=service.PUBLIC)
    [region] = [facet for facet in results.facets if facet.name == "region"]
    assert [(v.value, v.label, v.count) for v in region.values] == [
        (other.pk, "Маңғыстау облысы", 1)
    ]


def _organisation(page):
    from search.engines.base import SearchFilters

    return SearchFilters(organisation_path=page.specific_deferred.path)


def test_the_admins_page_search_finds_inflected_titles_by_their_beginning(library):
    """The admin's page search, explorer search and choosers call ``autocomplete`` on
    Wagtail's database backend: title prefixes, not Sandyq's keys, which that backend
    is no longer given (docs/search.md, "Wagtail's own index")."""
    DocumentPageFactory(parent=library, title="Партиямыздың есебі", summary="")
    DocumentPageFactory(parent=library, title="Жиналыс хаттамасы", summary="")
    matches = DocumentPage.objects.live().autocomplete("партия")
    assert [page.title for page in matches] == ["Партиямыздың есебі"]


def test_the_rebuild_command_rewrites_missing_and_stale_entries(library, capsys):
    record = DocumentPageFactory(parent=library, title="Жиналыс хаттамасы")
    SearchEntry.objects.filter(page_id=record.pk).delete()
    SearchEntry.objects.update(analyser_version=analysis.ANALYSER_VERSION - 1)
    with pytest.raises(CommandError, match="missing or stale"):
        call_command("rebuild_search_index", "--check")
    assert found("хаттама") == []
    call_command("rebuild_search_index")
    assert found("хаттама") == ["Жиналыс хаттамасы"]
    assert not SearchEntry.objects.exclude(analyser_version=analysis.ANALYSER_VERSION).exists()
    call_command("rebuild_search_index", "--check")
    call_command("rebuild_search_index", "--all", verbosity=0)
    assert found("хаттама") == ["Жиналыс хаттамасы"]
    assert "entries written" in capsys.readouterr().out


def test_a_rebuild_reads_each_records_own_attachments(library):
    """A rebuild reads the attachments of a whole batch at once: each record must
    still be found by the words of its own attached files, and only by those."""
    from docs_library.models import DocumentAttachment, LibraryDocument

    words = {"Бірінші хаттама": "мелиорация", "Екінші хаттама": "ирригация"}
    for title, word in words.items():
        record = DocumentPageFactory(parent=library, title=title)
        document = library_document(b"attachment", f"{word}.txt")
        LibraryDocument.objects.filter(pk=document.pk).update(extracted_text=f"{word} жоспары")
        DocumentAttachment.objects.create(page=record, document=document)
    SearchEntry.objects.all().delete()

    call_command("rebuild_search_index", "--all", verbosity=0)

    for title, word in words.items():
        assert found(word) == [title]


def test_very_long_text_is_indexed_up_to_the_budget(library):
    """A huge file must not break saving (PostgreSQL's tsvector is at most 1 MB)."""
    import random

    letters = "абвгдежзийклмнопрстуфхцшыіәғқңөұүһ"
    generator = random.Random(4)
    words = ["".join(generator.choices(letters, k=9)) for _ in range(15_000)]
    record = DocumentPageFactory(
        parent=library, title="Үлкен мәтін", summary="бастапқы " + " ".join(words)
    )
    text = SearchEntry.objects.get(page_id=record.pk).text
    assert text.text_words.startswith("бастапқы")
    assert len(text.text_words) < len(record.summary)  # the rest was left out
    assert found("бастапқы") == ["Үлкен мәтін"]


def test_a_database_check_asks_for_a_rebuild_after_an_analyser_change(library):
    from search.checks import search_index_is_current

    DocumentPageFactory(parent=library, title="Жиналыс хаттамасы")
    assert search_index_is_current(databases=["default"]) == []
    SearchEntry.objects.update(analyser_version=analysis.ANALYSER_VERSION - 1)
    [warning] = search_index_is_current(databases=["default"])
    assert warning.id == "search.W001" and "rebuild_search_index" in warning.hint


def fts_is_consistent() -> bool:
    """FTS5's own check that its index matches the rows it indexes (SQLite)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_entry_fts(search_entry_fts, rank) VALUES ('integrity-check', 1)"
        )
    return True


def test_who_finds_a_record_follows_its_access_tokens_at_once(library, tree):
    from django.db import transaction

    from docs_library.models import DocumentAccess
    from home import roles
    from tests.factories import UserFactory

    record = DocumentPageFactory(parent=library, title="Бюджет жобасы", access_level="public")
    member = UserFactory()
    roles.grant(roles.READER, member, tree["district"])

    def finds(user):
        results = service.search(user, "бюджет", scope=service.ARCHIVE)
        return [result.title for result in results.results]

    assert found("бюджет") == ["Бюджет жобасы"]
    # The tokens change without the record being indexed again (as a block or
    # a grant source would change them): search obeys in the same transaction.
    with transaction.atomic():
        DocumentAccess.objects.filter(page=record, token="public").delete()
        assert found("бюджет") == []
        assert finds(member) == []
        DocumentAccess.objects.create(page=record, token=f"role:{tree['district'].pk}")
        assert finds(member) == ["Бюджет жобасы"]
        assert found("бюджет") == []
    # A new access level goes through docs_library.access as usual.
    record.access_level = "public"
    record.save()
    assert found("бюджет") == ["Бюджет жобасы"]
    assert fts_is_consistent()
