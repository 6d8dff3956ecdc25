"""The 404 and 500 pages: in the reader's language, with a search box and a way on."""

from html.parser import HTMLParser

import pytest

from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from wagtail.models import PageViewRestriction

from tests.factories import DocumentPageFactory, LibraryFactory

NOT_FOUND = {"kk": "Бет табылмады", "ru": "Страница не найдена", "en": "Page not found"}
SERVER_ERROR = {"kk": "Сервер қатесі", "ru": "Ошибка сервера", "en": "Server error"}


class Page(HTMLParser):
    """What a reader can use on the page: its language, links and search forms."""

    def __init__(self, html):
        super().__init__()
        self.lang, self.links, self.forms, self.scripts = None, [], [], 0
        self.in_main, self.main_links = False, []
        self.feed(html)

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "main":
            self.in_main = True
        elif tag == "a":
            self.links.append(attrs.get("href"))
            if self.in_main:
                self.main_links.append(attrs.get("href"))
        elif tag == "form" and attrs.get("role") == "search":
            self.forms.append((attrs.get("method"), attrs.get("action")))
        elif tag == "input" and attrs.get("name") == "q" and self.forms:
            self.forms[-1] += ("q",)
        elif tag == "script":
            self.scripts += 1


def url_in(language, page):
    with translation.override(language):
        return page.get_url()


def not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    return response, Page(response.content.decode())


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_missing_page_answers_in_the_language_of_its_address(client, tree, language):
    response, page = not_found(client, f"/{language}/no-such-page/")
    html = response.content.decode()
    assert page.lang == language
    assert NOT_FOUND[language] in html
    assert response["Content-Language"] == language
    # The search box works without JavaScript: a GET form to the search page.
    assert ("get", f"/{language}/search/", "q") in page.forms
    assert page.main_links == [url_in(language, tree["home"])]  # no organisation above it
    assert "Traceback" not in html and "URLconf" not in html  # not Django's debug page


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_missing_page_under_an_organisation_leads_back_to_it(client, tree, language):
    district = url_in(language, tree["district"])
    response, page = not_found(client, f"{district}no-such-page/deeper/")
    assert page.main_links == [district, url_in(language, tree["home"])]
    with translation.override(language):
        assert tree["district"].display_name in response.content.decode()


def test_an_organisation_closed_to_the_public_is_not_offered(client, tree):
    PageViewRestriction.objects.create(
        page=tree["district"], restriction_type=PageViewRestriction.LOGIN
    )
    district = url_in("kk", tree["district"])
    _response, page = not_found(client, f"{district}no-such-page/")
    assert district not in page.links
    assert page.main_links == [url_in("kk", tree["region"]), url_in("kk", tree["home"])]


def test_a_record_hidden_from_a_member_is_the_same_localised_404(client, tree, django_user_model):
    library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    record = DocumentPageFactory(parent=library, title="Шектеулі", access_level="restricted")
    client.force_login(django_user_model.objects.create_user("member", "m@example.kz", "x"))
    response, page = not_found(client, url_in("ru", record))
    assert NOT_FOUND["ru"] in response.content.decode()
    assert record.title not in response.content.decode()
    assert page.main_links == [url_in("ru", tree["region"]), url_in("ru", tree["home"])]


def test_under_debug_a_member_without_access_gets_the_sites_404_not_djangos(
    client, tree, django_user_model, settings
):
    """``make run`` (DEBUG on): a record and an inbox the member may not see answer with
    the localised 404 and its search box, not the technical page that lists the site's
    URL patterns."""
    settings.DEBUG = True
    library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    record = DocumentPageFactory(parent=library, title="Шектеулі", access_level="restricted")
    client.force_login(django_user_model.objects.create_user("member", "m@example.kz", "x"))
    for language, url in [
        ("kk", url_in("kk", record)),
        ("ru", url_in("ru", record)),
        ("kk", f"/kk/circulars/inbox/{tree['primary'].pk}/"),
    ]:
        response, page = not_found(client, url)
        html = response.content.decode()
        assert NOT_FOUND[language] in html, url
        assert ("get", f"/{language}/search/", "q") in page.forms
        assert "URLconf" not in html and "technical" not in html.lower()
        assert record.title not in html


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_server_error_page_needs_no_request_context_nor_database(language):
    """No ``db`` fixture: pytest-django fails any query this makes."""
    request = RequestFactory().get(f"/{language}/")
    with translation.override(language):
        response = server_error(request)
    html = response.content.decode()
    page = Page(html)
    assert response.status_code == 500
    assert page.lang == language and SERVER_ERROR[language] in html
    assert ("get", f"/{language}/search/", "q") in page.forms
    assert page.main_links == [f"/{language}/"]
    assert page.scripts == 0
