"""A file over the upload limit is refused in the editor's language, naming its size and the limit.

Wagtail's field checks ``WAGTAILDOCS_MAX_UPLOAD_SIZE`` first (its Kazakh comes
from ``vendor_locale/``); Sandyq's own check of ``SANDYQ_MAX_UPLOAD_SIZE``
answers where Wagtail's does not (another limit, ``import_archive``).
"""

import io
import re

import pytest

from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from wagtail.models import Collection
from wagtail.users.models import UserProfile

from docs_library.files.validation import validate_upload
from docs_library.models import LibraryDocument
from tests.docs_library import samples
from tests.factories import upload

LIMIT = 2048

pytestmark = pytest.mark.django_db


@pytest.fixture
def kazakh_editor(client, admin_user):
    profile = UserProfile.get_for_user(admin_user)
    profile.preferred_language = "kk"
    profile.save()
    client.force_login(admin_user)
    return client


@pytest.fixture
def big_pdf():
    data = samples.kazakh_pdf(pages=3)
    assert len(data) > LIMIT
    return data


def sizes(data):
    """The file's size and the limit as the Kazakh messages write them."""
    return f"{len(data) / 1024:.1f}\xa0КБ", f"{LIMIT / 1024:.1f}\xa0КБ"


def add_single(client, data):
    response = client.post(
        reverse("wagtaildocs:add"),
        {
            "title": "Құжат",
            "file": upload(data, "Шешім.pdf"),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 200
    return " ".join(str(error) for error in response.context["form"].errors["file"])


def add_multiple(client, data):
    url = reverse("wagtaildocs:add_multiple")
    response = client.post(url, {"files[]": upload(data, "Шешім.pdf")})
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is False
    return answer["error_message"]


@override_settings(WAGTAILDOCS_MAX_UPLOAD_SIZE=LIMIT, SANDYQ_MAX_UPLOAD_SIZE=LIMIT)
@pytest.mark.parametrize("add", [add_single, add_multiple])
def test_a_kazakh_editor_is_told_in_kazakh(kazakh_editor, big_pdf, add):
    message = add(kazakh_editor, big_pdf)

    size, limit = sizes(big_pdf)
    assert message == f"Бұл файл тым үлкен ({size}). Файлдың ең үлкен өлшемі: {limit}."
    assert not LibraryDocument.objects.exists()


@override_settings(WAGTAILDOCS_MAX_UPLOAD_SIZE=LIMIT, SANDYQ_MAX_UPLOAD_SIZE=LIMIT)
def test_the_browser_check_of_multiple_upload_is_in_kazakh(kazakh_editor):
    page = kazakh_editor.get(reverse("wagtaildocs:add_multiple")).content.decode()

    # The browser knows only the limit, not how it would write the file's size.
    assert f'data-max-file-size="{LIMIT}"' in page
    [messages] = re.findall(r"data-messages='([^']*)'", page)
    assert "Бұл файл тым үлкен. Файлдың ең үлкен өлшемі: 2.0\xa0КБ." in messages


@override_settings(WAGTAILDOCS_MAX_UPLOAD_SIZE=None, SANDYQ_MAX_UPLOAD_SIZE=LIMIT)
@pytest.mark.parametrize("add", [add_single, add_multiple])
def test_sandyqs_own_limit_names_the_size_in_kazakh(kazakh_editor, big_pdf, add):
    message = add(kazakh_editor, big_pdf)

    size, limit = sizes(big_pdf)
    assert message == f"Файл өлшемі — {size}, бұл рұқсат етілген шектен ({limit}) үлкен."
    assert not LibraryDocument.objects.exists()


@override_settings(SANDYQ_MAX_UPLOAD_SIZE=LIMIT)
@pytest.mark.parametrize(("language", "expected"), [("ru", "Размер файла"), ("en", "The file is")])
def test_a_file_without_a_declared_size_is_measured_not_guessed(big_pdf, language, expected):
    # import_archive hands over open files: no ``size``, but seekable.
    with translation.override(language):
        with pytest.raises(ValidationError) as caught:
            validate_upload(io.BytesIO(big_pdf), "Шешім.pdf")
        text = " ".join(caught.value.messages)

    assert caught.value.code == "too_large"
    assert text.startswith(expected), text
    size, limit = (f"{value / 1024:.1f}" for value in (len(big_pdf), LIMIT))
    if language == "ru":
        size, limit = size.replace(".", ","), limit.replace(".", ",")
    assert size in text and limit in text, text
