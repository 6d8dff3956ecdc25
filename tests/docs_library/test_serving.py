"""Every stored file goes out through one door that asks the access policy first.

Current files, old versions and previews: who gets the bytes, who is asked to
sign in, who learns nothing (not even that the file exists), and what headers
keep a browser from treating a file as a page.
"""

import re
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from django.shortcuts import resolve_url
from django.urls import reverse

from tests.docs_library import samples
from tests.factories import DocumentPageFactory, UserFactory, library_document, upload

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MISSING_ID = 999_999


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def disposition(response) -> tuple[str, str, str]:
    """(inline/attachment, the ASCII ``filename``, the decoded ``filename*``)."""
    header = response["Content-Disposition"]
    kind = header.split(";")[0].strip()
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", header).group(1)
    assert encoded.isascii()
    return kind, fallback, unquote(encoded)


def assert_login_redirect(response, settings, next_url):
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == resolve_url(settings.LOGIN_URL)
    assert unquote(parse_qs(location.query)["next"][0]) == unquote(next_url)


def comparable(response) -> tuple:
    """What a visitor could compare between two answers, less the URL they asked for."""
    html = re.sub(r'href="[^"]*"', 'href=""', response.content.decode())
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)  # masked anew each time
    return (response.status_code, response["Content-Type"], html)


@pytest.fixture
def member(db):
    return UserFactory(username="member")


@pytest.fixture
def pdf():
    return samples.kazakh_pdf()


# Public files -------------------------------------------------------------------


def test_a_public_file_is_served_under_its_kazakh_name_with_safe_headers(client, library, pdf):
    main = library_document(pdf, "Қаулы №5 өңірлік.pdf")
    docx_bytes = samples.kazakh_docx()
    attachment = library_document(docx_bytes, "Жиналыс хаттамасы.docx")
    page = DocumentPageFactory(parent=library, main_file=main)
    page.attachments.create(document=attachment, caption="Хаттама")
    page.save()

    response = client.get(main.url)
    assert response.status_code == 200
    assert body(response) == pdf
    assert response["Content-Type"] == "application/pdf"
    assert int(response["Content-Length"]) == len(pdf)
    kind, fallback, name = disposition(response)
    assert (kind, name) == ("inline", "Қаулы №5 өңірлік.pdf")
    assert fallback.isascii() and fallback.endswith(".pdf")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "public" not in response.get("Cache-Control", "")

    response = client.get(attachment.url)
    assert response.status_code == 200
    assert body(response) == docx_bytes
    assert response["Content-Type"] == DOCX_TYPE
    kind, fallback, name = disposition(response)
    assert (kind, name) == ("attachment", "Жиналыс хаттамасы.docx")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"]


def test_the_ascii_fallback_name_is_a_usable_file_name(client, library, pdf):
    main = library_document(pdf, "Шешім.pdf")
    DocumentPageFactory(parent=library, main_file=main)
    _kind, fallback, name = disposition(client.get(main.url))
    assert name == "Шешім.pdf"
    stem = fallback.rsplit(".", 1)[0]
    assert stem and stem == stem.strip(" ."), fallback


# Members, organisations, drafts, orphans ------------------------------------------


def test_a_members_file_asks_visitors_to_sign_in_and_serves_members(
    client, settings, library, member, pdf
):
    main = library_document(pdf, "Мүшелерге хат.pdf")
    DocumentPageFactory(parent=library, main_file=main, access_level="members")

    response = client.get(main.url)
    assert_login_redirect(response, settings, main.url)
    assert client.get(response["Location"], follow=True).status_code == 200  # a real form

    client.force_login(member)
    response = client.get(main.url)
    assert response.status_code == 200
    assert body(response) == pdf


@pytest.fixture
def internal_file(library, pdf):
    """An organisation-level record's file with an old version and a preview."""
    document = library_document(pdf, "Ішкі хат.pdf")
    document.replace_file(upload(samples.russian_pdf(), "Ішкі хат.pdf"))
    document.refresh_from_db()
    assert document.preview, "the new PDF should have been previewed"
    DocumentPageFactory(parent=library, main_file=document, access_level="organisation")
    return document


def channel_urls(document):
    """(URL of the real thing, the same kind of URL for an id that does not exist)."""
    version = document.versions.get()
    return [
        (document.url, f"/documents/{MISSING_ID}/{quote(document.filename)}"),
        (version.url, reverse("docs_library:version", args=[MISSING_ID, 1, version.filename])),
        (document.preview_url, reverse("docs_library:preview", args=[MISSING_ID])),
    ]


def test_an_organisation_file_its_version_and_preview_are_not_found_for_ordinary_users(
    client, internal_file, member, admin_user, pdf
):
    client.force_login(member)
    for url, missing in channel_urls(internal_file):
        denied, absent = client.get(url), client.get(missing)
        assert denied.status_code == 404, url
        # the answer is the one for a file that does not exist: nothing confirmed
        assert comparable(denied) == comparable(absent), url
        assert b"%PDF" not in denied.content and b"PNG" not in denied.content

    client.force_login(admin_user)
    current = client.get(internal_file.url)
    assert current.status_code == 200
    assert body(current) == samples.russian_pdf()
    old = client.get(internal_file.versions.get().url)
    assert old.status_code == 200
    assert body(old) == pdf
    assert disposition(old)[2] == "Ішкі хат.pdf"
    preview = client.get(internal_file.preview_url)
    assert preview.status_code == 200
    assert preview["Content-Type"] == "image/png"
    assert body(preview).startswith(b"\x89PNG")
    assert preview["X-Content-Type-Options"] == "nosniff"


def test_a_file_on_no_record_is_for_file_editors_only(client, settings, member, admin_user, pdf):
    orphan = library_document(pdf, "Жетім файл.pdf")

    assert_login_redirect(client.get(orphan.url), settings, orphan.url)
    client.force_login(member)
    assert client.get(orphan.url).status_code == 404
    client.force_login(admin_user)
    response = client.get(orphan.url)
    assert response.status_code == 200
    assert body(response) == pdf


def test_a_draft_records_file_is_not_served_to_a_member(client, settings, library, member, pdf):
    main = library_document(pdf, "Жоба.pdf")
    DocumentPageFactory(parent=library, main_file=main, access_level="members", live=False)

    assert_login_redirect(client.get(main.url), settings, main.url)
    client.force_login(member)
    response = client.get(main.url)
    assert response.status_code == 404
    assert b"%PDF" not in response.content


# Storage and URLs -----------------------------------------------------------------


def test_files_are_stored_outside_media_and_not_served_from_it(client, settings, internal_file):
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    assert not private.is_relative_to(media)
    stored = [internal_file.file, internal_file.preview, internal_file.versions.get().file]
    for fieldfile in stored:
        path = Path(fieldfile.path).resolve()
        assert path.is_file()
        assert path.is_relative_to(private)
        assert not path.is_relative_to(media)
        response = client.get(settings.MEDIA_URL + fieldfile.name, follow=True)
        assert response.status_code == 404, fieldfile.name
        assert b"%PDF" not in response.content and b"PNG" not in response.content


def test_a_wrong_file_name_redirects_only_those_who_may_see_the_file(
    client, settings, library, member, internal_file, pdf
):
    public = library_document(pdf, "Жария хат.pdf")
    members = library_document(pdf, "Мүшелер хаты.pdf")
    DocumentPageFactory(parent=library, main_file=public)
    DocumentPageFactory(parent=library, main_file=members, access_level="members")

    def wrong(document):
        return f"/documents/{document.pk}/{quote('басқа атау.pdf')}"

    # allowed: sent on to the current name
    response = client.get(wrong(public))
    assert response.status_code == 302
    assert response["Location"] == public.url
    # not allowed: never learns the real name
    response = client.get(wrong(members))
    assert_login_redirect(response, settings, wrong(members))
    assert "Мүшелер" not in unquote(response["Location"])

    client.force_login(member)
    response = client.get(wrong(members))
    assert response.status_code == 302
    assert response["Location"] == members.url
    denied = client.get(wrong(internal_file))
    assert denied.status_code == 404
    absent = client.get(f"/documents/{MISSING_ID}/{quote('басқа атау.pdf')}")
    assert comparable(denied) == comparable(absent)
