"""The document record and its files: text, versions, numbers, owners."""

import datetime
import threading

import pytest

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from docs_library.models import DocumentPage, ExtractionStatus, RegistrationSequence
from tests.docs_library import samples
from tests.factories import DocumentPageFactory, LibraryFactory, library_document, upload


def test_a_pdf_is_read_and_previewed_on_upload(db):
    document = library_document(samples.kazakh_pdf(pages=2), "Қаулы №5.PDF")
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.DONE
    assert document.page_count == 2
    assert document.language == "kk"
    assert "Қаһарман еңбегі" in document.extracted_text
    assert document.mime_type == "application/pdf"
    assert len(document.sha256) == 64
    assert document.preview.name.endswith(".png")
    # stored under a name the uploader does not control, served under theirs
    assert "Қаулы" not in document.file.name
    assert document.filename == "Қаулы №5.pdf"


def test_docx_and_odt_text_reaches_the_record(db):
    docx = library_document(samples.kazakh_docx(), "Хаттама.docx")
    odt = library_document(samples.kazakh_odt(), "Шешім.odt")
    for document in (docx, odt):
        document.refresh_from_db()
        assert document.extraction_status == ExtractionStatus.DONE
        assert "әкімдік" in document.extracted_text


def test_a_broken_file_records_why_and_keeps_the_record(db):
    document = library_document(samples.truncated_pdf(), "сынық.pdf")
    document.refresh_from_db()
    assert document.pk
    assert document.extraction_status == ExtractionStatus.FAILED
    assert document.extraction_error


def test_an_encrypted_pdf_is_stored_as_encrypted(db):
    document = library_document(samples.encrypted_pdf(), "құпия.pdf")
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.ENCRYPTED
    assert not document.preview


def test_replacing_a_file_keeps_the_url_and_the_old_version(client, admin_user):
    original = samples.kazakh_pdf()
    document = library_document(original, "Шешім.pdf")
    url = document.url
    old_sha = document.sha256
    document.replace_file(
        upload(samples.russian_pdf(), "Решение.pdf"), user=admin_user, comment="түзету"
    )
    document.refresh_from_db()
    assert document.url == url  # printed links keep working
    assert document.filename == "Шешім.pdf"
    version = document.versions.get()
    assert (version.number, version.comment, version.created_by) == (1, "түзету", admin_user)
    assert version.sha256 == old_sha
    assert "Қаһарман" in version.extracted_text
    assert "Первичная партийная организация" in document.extracted_text
    assert document.language == "ru"

    client.force_login(admin_user)
    current = client.get(document.url)
    assert current.status_code == 200
    assert b"".join(current.streaming_content).startswith(b"%PDF")
    old = client.get(version.url)
    assert old.status_code == 200
    assert b"".join(old.streaming_content) == original


def test_a_new_file_type_changes_the_extension_and_old_links_follow(client, admin_user):
    document = library_document(samples.kazakh_pdf(), "Бұйрық.pdf")
    url = document.url
    new = samples.kazakh_docx()
    document.replace_file(upload(new, "жаңа нұсқа.docx"), user=admin_user)
    document.refresh_from_db()
    assert document.filename == "Бұйрық.docx"
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == document.url
    served = b"".join(client.get(document.url).streaming_content)
    assert served == new


def test_owning_organisation_is_the_nearest_organisation_and_follows_moves(tree, library):
    record = DocumentPageFactory(parent=library)
    assert record.organisation.pk == tree["primary"].pk
    sub = LibraryFactory(parent=library, title="2026")
    nested = DocumentPageFactory(parent=sub)
    assert nested.organisation.pk == tree["primary"].pk

    library.move(tree["region"], pos="last-child")
    record.refresh_from_db()
    nested.refresh_from_db()
    assert record.organisation.pk == tree["region"].pk
    assert nested.organisation.pk == tree["region"].pk


def test_registration_numbers_are_unique_per_organisation_and_year(tree, library):
    DocumentPageFactory(parent=library, registration_number="02-05/117")
    # another year, or another organisation: fine
    DocumentPageFactory(
        parent=library, registration_number="02-05/117", document_date=datetime.date(2025, 5, 1)
    )
    other = LibraryFactory(parent=tree["district"])
    DocumentPageFactory(parent=other, registration_number="02-05/117")
    with translation.override("en"), pytest.raises(ValidationError, match="already used"):
        DocumentPageFactory(parent=library, registration_number="02-05/117")
    # the database refuses it too, whatever path the write takes
    late = DocumentPageFactory(parent=library, registration_number="02-05/118")
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentPage.objects.filter(pk=late.pk).update(registration_number="02-05/117")


def test_auto_numbering_from_the_organisation_pattern(tree, library):
    primary = tree["primary"]
    primary.org_code = "02-05-001"
    primary.registration_pattern = "{org_code}-{type_code}/{seq}"
    primary.save()
    first = DocumentPageFactory(parent=library, document_type="circular", registration_number="")
    second = DocumentPageFactory(parent=library, document_type="minutes", registration_number="")
    assert first.registration_number == "02-05-001-Ц/1"
    assert second.registration_number == "02-05-001-Х/2"
    typed = DocumentPageFactory(parent=library, registration_number="қолмен/7")
    assert typed.registration_number == "қолмен/7"


@pytest.mark.django_db(transaction=True)
def test_concurrent_auto_numbered_saves_get_different_numbers(tree):
    primary = tree["primary"]
    primary.registration_pattern = "{org_code}/{seq}"
    primary.save()
    library = LibraryFactory(parent=primary)
    barrier = threading.Barrier(2)
    numbers, errors = [], []

    def save_one(index):
        try:
            barrier.wait(timeout=10)
            page = DocumentPage(
                title=f"Параллель {index}",
                slug=f"parallel-{index}",
                document_date=datetime.date(2026, 6, 1),
            )
            library.add_child(instance=page)
            numbers.append(page.registration_number)
        except Exception as error:  # reported below, with the thread's error
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save_one, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(numbers) == [f"{primary.org_code}/1", f"{primary.org_code}/2"]
    assert RegistrationSequence.objects.get(organisation=primary).last_value == 2


def test_a_bad_registration_pattern_is_refused(tree):
    region = tree["region"]
    region.registration_pattern = "{org_code}-{__class__}"
    with pytest.raises(ValidationError) as error:
        region.full_clean()
    assert "registration_pattern" in error.value.message_dict
