"""Editors work in Wagtail's admin: documents, uploads, records."""

import pytest

from django.conf import settings
from django.urls import resolve, reverse
from django.utils import translation

from wagtail.models import Collection, UploadedFile
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from docs_library.models import DocumentPage, LibraryDocument
from tests.docs_library import samples
from tests.factories import library_document, upload


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def add_document(admin_client, data, name, title="Құжат"):
    return admin_client.post(
        reverse("wagtaildocs:add"),
        {
            "title": title,
            "file": upload(data, name),
            "collection": Collection.get_first_root_node().pk,
        },
    )


def test_an_editor_uploads_a_document_in_the_admin(admin_client):
    response = add_document(admin_client, samples.kazakh_docx(), "Хаттама №3.docx")
    assert response.status_code == 302
    document = LibraryDocument.objects.get()
    assert document.filename == "Хаттама №3.docx"
    assert document.mime_type.endswith("wordprocessingml.document")
    assert "Тіркеу нөмірі" in document.extracted_text


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (samples.HTML, "report.pdf", "HTML"),
        (samples.SVG, "logo.svg", "SVG"),
        (samples.WINDOWS_EXE, "setup.pdf", "Programs"),
        (b"", "бос.pdf", "empty"),
    ],
)
def test_a_hostile_upload_is_refused_with_a_clear_message(admin_client, data, name, message):
    response = add_document(admin_client, data, name)
    assert response.status_code == 200
    with translation.override("en"):
        errors = [str(error) for error in response.context["form"].errors["file"]]
    assert any(message.lower() in error.lower() for error in errors), errors
    assert not LibraryDocument.objects.exists()


def test_multiple_upload_uses_the_checked_custom_model(admin_client):
    url = reverse("wagtaildocs:add_multiple")
    ok = admin_client.post(url, {"files[]": upload(samples.kazakh_pdf(), "Шешім.pdf")})
    assert ok.json()["success"] is True
    bad = admin_client.post(url, {"files[]": upload(samples.SHELL_SCRIPT, "run.txt")})
    assert bad.json()["success"] is False
    assert bad.json()["error_message"]
    document = LibraryDocument.objects.get()
    assert document.extraction_status == "done"


def stored_files(root) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_a_multiple_upload_with_a_bad_title_stores_the_file_nowhere(admin_client):
    # Wagtail would park the file as an UploadedFile in public media until the
    # form is completed; the editor is told instead, and nothing is kept.
    url = reverse("wagtaildocs:add_multiple")
    assert resolve(url).url_name == "sandyq_add_documents"
    public, private = stored_files(settings.MEDIA_ROOT), stored_files(settings.PRIVATE_MEDIA_ROOT)
    response = admin_client.post(
        url,
        {"files[]": upload(samples.kazakh_pdf(), "Шешім.pdf"), "title": "Ш" * 300},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    answer = response.json()
    assert answer["success"] is False
    assert "not stored" in answer["error_message"]
    assert "at most 255 characters" in answer["error_message"]
    assert not UploadedFile.objects.exists()
    assert not LibraryDocument.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == public
    assert stored_files(settings.PRIVATE_MEDIA_ROOT) == private

    # The same file with its own name as the title is stored, privately.
    ok = admin_client.post(url, {"files[]": upload(samples.kazakh_pdf(), "Шешім.pdf")})
    assert ok.json()["success"] is True
    assert stored_files(settings.MEDIA_ROOT) == public
    assert LibraryDocument.objects.get().filename == "Шешім.pdf"


def test_replacing_the_file_in_the_admin_keeps_a_version(admin_client, admin_user):
    document = library_document(samples.kazakh_pdf(), "Шешім.pdf", title="Шешім")
    response = admin_client.post(
        reverse("wagtaildocs:edit", args=[document.pk]),
        {
            "title": "Шешім",
            "file": upload(samples.russian_pdf(), "Решение.pdf"),
            "collection": document.collection_id,
            "version_comment": "Орысша нұсқа",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    document.refresh_from_db()
    version = document.versions.get()
    assert version.comment == "Орысша нұсқа"
    assert version.created_by == admin_user
    assert version.file.storage.exists(version.file.name)  # Wagtail did not delete it
    assert document.filename == "Шешім.pdf"
    assert "Первичная" in document.extracted_text


def test_an_editor_creates_a_record_with_a_file_in_the_admin(admin_client, library):
    document = library_document(samples.kazakh_pdf(), "Қаулы.pdf")
    url = reverse("wagtailadmin_pages:add", args=["docs_library", "documentpage", library.pk])
    form = admin_client.get(url)
    assert form.status_code == 200
    data = nested_form_data(
        {
            "title": "Қаулы №12",
            "slug": "қаулы-12",
            "document_type": "resolution",
            "access_level": "public",
            "registration_number": "02-05/12",
            "document_date": "2026-04-02",
            "language": "kk",
            "summary": "Партия ұйымдарына арналған қаулы",
            "main_file": document.pk,
            "attachments": inline_formset([]),
            "body": rich_text("<p>Қаулының мәтіні</p>"),
            "keywords": "қаулы, партия",
            "action-publish": "publish",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    record = DocumentPage.objects.get()
    assert record.live
    assert record.main_file == document
    assert record.organisation.pk == library.get_parent().pk

    again = admin_client.post(url, {**data, "title": "Тағы бір", "slug": "тағы"})
    assert again.status_code == 200
    errors = again.context["form"].errors["registration_number"]
    assert len(errors) == 1 and "02-05/12" in errors[0]  # says which number is taken
    assert DocumentPage.objects.count() == 1

    page = admin_client.get(record.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Қаулы №12" in html and document.url in html and "02-05/12" in html
