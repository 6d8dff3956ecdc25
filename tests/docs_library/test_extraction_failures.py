"""A file whose text could not be read says why, to those who look after it, in their language.

The failures here are real: a time limit hit, a DOCX that unpacks past the
limit, a damaged PDF. Editors of the organisation (not superusers) see the
reason in the admin (the file's edit view, the record's editor) and on the
record's page; readers do not. Editors have the text read again; the
administrator's ``retry_extraction`` does so with other limits.
"""

import html
import io

import pytest

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from wagtail.users.models import UserProfile

from docs_library.files import extraction
from docs_library.files.extraction import extract_text as real_extract_text
from docs_library.files.tasks import extract_document
from docs_library.models import ExtractionFailure, ExtractionStatus, LibraryDocument
from home import roles
from tests.docs_library import samples
from tests.docs_library.lifecycle import library_of, person
from tests.factories import DistrictFactory, DocumentPageFactory, library_document

#: Time budget no file can be read within: every page after the first is left unread.
NO_TIME = 1e-9


def timed_out():
    with override_settings(SANDYQ_EXTRACTION_TIMEOUT=NO_TIME):
        return library_document(samples.kazakh_pdf(pages=3), "Қаулы.pdf")


def unpacks_too_far():
    document = library_document(samples.kazakh_docx(), "Хаттама.docx")
    with override_settings(SANDYQ_MAX_UNCOMPRESSED_SIZE=1000):  # read again under a lower limit
        return extract_document(document)


def damaged():
    return library_document(samples.truncated_pdf(), "Шешім.pdf")


FAILURES = {
    ExtractionFailure.TIME_LIMIT: timed_out,
    ExtractionFailure.TOO_LARGE: unpacks_too_far,
    ExtractionFailure.DAMAGED: damaged,
}


@pytest.fixture
def district(tree):
    return tree["district"]


@pytest.fixture
def editor(district):
    user = person(roles.EDITOR, district, username="editor")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "ru"
    profile.save()
    return user


def failed_file(district, make):
    document = make()
    LibraryDocument.objects.filter(pk=document.pk).update(collection=district.collection)
    document.refresh_from_db()
    return document


def reason_in(language, code) -> str:
    with translation.override(language):
        said = str(ExtractionFailure(code).label)
    with translation.override("en"):
        assert said != str(ExtractionFailure(code).label), f"no {language} translation"
    return said


def text_of(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("code", list(FAILURES))
def test_editors_are_told_why_a_files_text_was_not_read(client, district, editor, code):
    document = failed_file(district, FAILURES[code])
    assert document.extraction_status == ExtractionStatus.FAILED
    assert document.extraction_failure == code
    record = DocumentPageFactory(
        parent=library_of(district), main_file=document, access_level="organisation"
    )
    record.save_revision().publish()
    reader = person(roles.READER, district, username="reader")

    client.force_login(editor)  # the admin in Russian, the site in the language of its address
    edit_view = text_of(client.get(reverse("wagtaildocs:edit", args=[document.pk])))
    assert reason_in("ru", code) in edit_view
    assert "Прочитать текст ещё раз" in edit_view
    record_editor = text_of(client.get(reverse("wagtailadmin_pages:edit", args=[record.pk])))
    assert reason_in("ru", code) in record_editor
    assert reverse("wagtaildocs:edit", args=[document.pk]) in record_editor
    record_page = text_of(client.get(record.url))
    assert reason_in("kk", code) in record_page

    client.force_login(reader)
    record_page = text_of(client.get(record.url))
    assert "Қаулы" in record_page or document.filename in record_page  # the file is listed
    assert reason_in("kk", code) not in record_page
    assert "data-extraction-failed" not in record_page


def test_an_editor_has_the_text_read_again(client, district, editor):
    document = failed_file(district, timed_out)
    assert samples.KAZAKH_WORDS[0] in document.extracted_text  # the first page was read
    sibling = person(roles.EDITOR, DistrictFactory(parent=district.get_parent()), username="other")
    url = reverse("sandyq_extract_again", args=[document.pk])

    client.force_login(sibling)  # may not edit the file: not told it exists
    assert client.post(url).status_code == 404
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.FAILED

    client.force_login(editor)
    assert client.get(url).status_code == 405  # a button, not a link
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("wagtaildocs:edit", args=[document.pk])
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.DONE
    assert (document.extraction_failure, document.extraction_error) == ("", "")
    assert document.page_count == 3
    assert "Прочитать текст ещё раз" not in text_of(response)


def retry(*args):
    out = io.StringIO()
    with translation.override("en"):
        call_command("retry_extraction", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@override_settings(SANDYQ_EXTRACTION_TIMEOUT=NO_TIME)
def test_retry_extraction_takes_other_limits_than_the_sites(district, monkeypatch):
    document = failed_file(district, timed_out)

    assert "failed 1" in retry()  # the site's limits: failed again
    assert "done 1" in retry("--timeout", "120")
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.DONE
    assert document.page_count == 3

    asked = []

    def extract_text(*args, **limits):
        asked.append(limits)
        return real_extract_text(*args, **limits)

    monkeypatch.setattr(extraction, "extract_text", extract_text)
    retry(str(document.pk), "--memory-limit", "2048", "--max-ocr-pages", "500")
    assert asked[0]["memory_limit"] == 2048 * 1024 * 1024
    assert asked[0]["max_ocr_pages"] == 500
