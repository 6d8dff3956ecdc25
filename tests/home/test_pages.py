"""What a reader sees on organisation and announcement pages, in each language."""

from urllib.parse import unquote

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from home.models import CHILD_ORGANISATIONS_PER_PAGE, AnnouncementPage
from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DistrictFactory,
    PrimaryFactory,
    RegionFactory,
)

LANGUAGES = ["kk", "ru", "en"]


def page_path(page, language):
    with translation.override(language):
        return page.get_url()


@pytest.fixture
def announcements(tree):
    index = AnnouncementIndexFactory(parent=tree["region"], title="Облыс жаңалықтары")
    original = AnnouncementFactory(
        parent=index, title="Қағазбастылықтан құтылу жолы", language="kk", summary="Әңгіме"
    )
    translated = AnnouncementFactory(
        parent=index,
        title="Как избавиться от бумажной волокиты",
        language="ru",
        translation_of=original,
    )
    return {"index": index, "original": original, "translated": translated}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["home", "region", "district", "primary"])
def test_organisation_pages_render_in_every_language(client, tree, kind, language):
    page = tree[kind]
    url = page_path(page, language)
    assert url.startswith(f"/{language}/")
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    with translation.override(language):
        assert page.display_name in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_announcement_pages_render_in_every_language(client, announcements, language):
    for page in announcements.values():
        response = client.get(page_path(page, language))
        assert response.status_code == 200
        assert page.title in response.content.decode()


def test_kazakh_letters_survive_in_title_slug_and_url(client, tree):
    region = tree["region"]
    assert region.slug == "қарағанды-облысы"
    url = page_path(tree["district"], "kk")
    assert unquote(url) == "/kk/қарағанды-облысы/әуезов-ауданы/"
    response = client.get(url)
    assert response.status_code == 200
    assert "Әуезов ауданы" in response.content.decode()


def test_active_language_shows_the_localised_name_falling_back_to_kazakh(client, tree):
    region = tree["region"]
    ru = client.get(page_path(region, "ru")).content.decode()
    assert "<h1>Карагандинская область</h1>" in ru
    region.name_en = ""
    region.save()
    en = client.get(page_path(region, "en")).content.decode()
    assert "<h1>Қарағанды облысы</h1>" in en


def test_language_switcher_keeps_the_page(client, tree):
    district = tree["district"]
    html = client.get(page_path(district, "kk")).content.decode()
    for language in ("ru", "en"):
        assert f'href="{page_path(district, language)}"' in html


def test_organisation_page_shows_breadcrumb_children_and_latest_announcements(
    client, tree, announcements
):
    html = client.get(page_path(tree["region"], "kk")).content.decode()
    breadcrumb = html.split('class="breadcrumb')[1].split("</nav>")[0]
    assert "Орталық аппарат" in breadcrumb
    assert "Әуезов ауданы" in html  # its child district
    english = client.get(page_path(tree["region"], "en")).content.decode()
    assert "1 organisation" in english  # the district's own primary organisation
    assert "Қағазбастылықтан құтылу жолы" in html


def test_translations_link_to_each_other(client, announcements):
    html = client.get(page_path(announcements["original"], "kk")).content.decode()
    assert page_path(announcements["translated"], "kk") in html
    html = client.get(page_path(announcements["translated"], "kk")).content.decode()
    assert page_path(announcements["original"], "kk") in html


def test_children_are_in_kazakh_alphabetical_order(client, home):
    assert not home.get_children().exists()  # a clean tree: only what the test adds
    for title in ["Ұлытау облысы", "Үржар", "Абай облысы", "Әуезов", "Бостандық", "Қостанай"]:
        RegionFactory(parent=home, title=title)
    html = client.get(page_path(home, "kk")).content.decode()
    order = [html.index(f">{title}<") for title in ["Абай облысы", "Әуезов", "Бостандық"]]
    order += [html.index(f">{title}<") for title in ["Қостанай", "Ұлытау облысы", "Үржар"]]
    assert order == sorted(order)


def test_child_organisations_are_paginated(client, tree):
    for number in range(CHILD_ORGANISATIONS_PER_PAGE + 5):
        PrimaryFactory(parent=tree["district"], title=f"БПҰ {number:03d}")
    url = page_path(tree["district"], "kk")
    first = client.get(url).content.decode()
    assert f"({CHILD_ORGANISATIONS_PER_PAGE + 6})" in first
    assert 'rel="next"' in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "БПҰ 034" in second and "БПҰ 034" not in first


def test_organisation_page_queries_do_not_grow_with_children(
    client, tree, django_assert_max_num_queries
):
    district = DistrictFactory(parent=tree["region"], title="Алатау ауданы")
    index = AnnouncementIndexFactory(parent=district)
    for _ in range(3):
        PrimaryFactory(parent=district)
        AnnouncementFactory(parent=index)
    url = page_path(district, "kk")
    client.get(url)  # warm Wagtail's site-root cache
    with CaptureQueriesContext(connection) as few:
        client.get(url)

    for _ in range(197):
        PrimaryFactory(parent=district)
    for _ in range(47):
        AnnouncementFactory(parent=index)
    assert AnnouncementPage.objects.descendant_of(district).count() == 50

    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
    assert "(200)" in response.content.decode()
