"""Wagtail API v2's own error messages reach the caller in their language."""

import pytest

from cms.api_messages import WAGTAIL_MESSAGES, translated

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query, language, expected, wagtails",
    [
        ("nonsense=1", "kk", "Белгісіз сұрау параметрі: nonsense.", "recognised field"),
        ("order=nonsense", "ru", "Нельзя сортировать по «nonsense»", "cannot order by"),
        ("fields=title,,x", "kk", "fields параметрін оқу мүмкін емес", "fields error"),
        ("type=nonsense.Model", "ru", "Такого типа страниц нет.", "type doesn't exist"),
        ("child_of=999999", "kk", "Бұл id бойынша сізге көрінетін бет жоқ (child_of).", "parent"),
        ("order=random&offset=2", "en", "Random order cannot be combined with an offset.", "with"),
    ],
)
def test_wagtails_errors_are_in_the_callers_language(
    client, tree, query, language, expected, wagtails
):
    response = client.get(f"/api/v2/pages/?{query}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    message = response.json()["message"]
    assert expected in message
    if language != "en":
        assert wagtails not in message  # not Wagtail's English


@pytest.mark.parametrize("url", ["/api/v2/pages/999999/", "/api/v2/pages/abc/", "/api/v2/x"])
def test_not_found_is_json_and_translated(client, tree, url):
    """Also where no route matches (``pages/abc/``): the API's JSON, not the site's page."""
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["message"] == "Не найдено."


def test_an_unknown_message_passes_through_unchanged():
    assert translated("something Wagtail says one day") == "something Wagtail says one day"


def test_every_listed_message_has_kazakh_and_russian():
    from django.utils import translation

    for _pattern, message in WAGTAIL_MESSAGES:
        with translation.override("en"):
            english = str(message)
        for language in ("kk", "ru"):
            with translation.override(language):
                assert str(message) != english, (language, english)
