"""OpenGraph cards and meta descriptions of records and announcements, and a record on paper."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from django.contrib.staticfiles import finders
from django.utils import translation
from django.utils.encoding import uri_to_iri

from tests.docs_library import samples
from tests.factories import (
    AnnouncementFactory,
    DocumentPageFactory,
    LibraryFactory,
    library_document,
)

LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}


def page_in(client, page, language):
    with translation.override(language):
        url, full_url = page.get_url(), page.get_full_url()
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser"), full_url


def card(soup):
    properties = {}
    for meta in soup.head.find_all("meta", property=True):
        properties.setdefault(meta["property"], []).append(meta["content"])
    return properties


@pytest.fixture
def record(tree):
    library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    file = library_document(samples.kazakh_txt(), "Шешім мәтіні.txt")
    return DocumentPageFactory(
        parent=library,
        title="Сайлау туралы",
        registration_number="15-Ш",
        summary="Облыстық кеңес   сайлау\nтуралы шешім қабылдады.",
        main_file=file,
    )


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_record_has_a_card_and_a_description_from_its_summary(client, record, language):
    soup, full_url = page_in(client, record, language)
    summary = "Облыстық кеңес сайлау туралы шешім қабылдады."
    assert soup.head.find("meta", attrs={"name": "description"})["content"] == summary
    assert card(soup) == {
        "og:type": ["article"],
        "og:site_name": [{"kk": "Сандық", "ru": "Сандық", "en": "Sandyq"}[language]],
        "og:title": ["№ 15-Ш Сайлау туралы"],
        "og:description": [summary],
        "og:url": [full_url],
        "og:locale": [LOCALES[language]],
        "og:locale:alternate": [locale for code, locale in LOCALES.items() if code != language],
    }
    assert f"/{language}/" in full_url


def test_an_announcement_has_a_card_and_no_image(client, tree):
    news = AnnouncementFactory(
        parent=tree["district"], title="Жиналыс", summary="Аудандық жиналыс өтеді."
    )
    soup, full_url = page_in(client, news, "ru")
    properties = card(soup)
    assert properties["og:title"] == ["Жиналыс"]
    assert properties["og:description"] == ["Аудандық жиналыс өтеді."]
    assert properties["og:url"] == [full_url] and properties["og:locale"] == ["ru_RU"]
    assert "og:image" not in properties
    description = soup.head.find_all("meta", attrs={"name": "description"})
    assert [meta["content"] for meta in description] == ["Аудандық жиналыс өтеді."]


def test_without_a_summary_there_is_no_empty_description(client, tree):
    news = AnnouncementFactory(parent=tree["district"], title="Жиналыс", summary="")
    soup, _full_url = page_in(client, news, "kk")
    assert soup.head.find("meta", attrs={"name": "description"}) is None
    assert "og:description" not in card(soup) and card(soup)["og:title"] == ["Жиналыс"]


def test_a_record_prints_without_navigation_and_with_full_addresses(client, record):
    soup, _full_url = page_in(client, record, "kk")
    sheets = [link for link in soup.head.find_all("link", rel="stylesheet") if link.get("media")]
    assert [(link["href"], link["media"]) for link in sheets] == [
        ("/static/css/print.css", "print")
    ]
    css = Path(finders.find("css/print.css")).read_text(encoding="utf-8")
    hidden = re.search(r"([^{}]*)\{\s*display:\s*none", css).group(1)
    for selector in (".site-header", ".breadcrumb", ".site-footer", "form"):
        assert selector in hidden
    assert re.search(r"\.print-only\s*\{\s*display:\s*block", css)
    printed = [element.get_text(strip=True) for element in soup.select(".print-only")]
    with translation.override("kk"):
        address = uri_to_iri(f"http://testserver{record.get_url()}")
    assert address == "http://testserver/kk/қарағанды-облысы/облыс-құжаттары/сайлау-туралы/"
    assert address in printed  # as letters, not %-escapes
    assert uri_to_iri(f"http://testserver{record.main_file.url}") in printed
    # The rest of what the paper needs is the record's table: number, date, organisation.
    table = soup.select_one(".meta-table").get_text(" ", strip=True)
    assert "15-Ш" in table and "01.03.2026" in table
    assert record.organisation.specific.display_name in table
    for element in soup.select(".print-only"):
        assert element.has_attr("hidden")  # on screen only the links show
