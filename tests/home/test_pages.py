"""What a reader sees on organisation and announcement pages, in each language."""

import datetime
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
    LibraryFactory,
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


def test_each_child_counts_all_the_organisations_directly_below_it(client, tree):
    """Grouping by the tree path only: an ORDER BY path in the GROUP BY made every count 1."""
    region = tree["region"]  # already holds one district with one primary organisation
    for title in ["Алатау ауданы", "Бостандық ауданы"]:
        district = DistrictFactory(parent=region, title=title)
        for number in range(3):
            PrimaryFactory(parent=district, title=f"{title} БПҰ {number}")
    for number in range(2):
        PrimaryFactory(parent=region, title=f"Облыстық БПҰ {number}")
    counts = tree["home"].suborganisation_counts([region])
    assert counts == {region.pk: 5}  # three districts and two primaries
    home_html = client.get(page_path(tree["home"], "en")).content.decode()
    assert "5 organisations" in home_html
    region_html = client.get(page_path(region, "en")).content.decode()
    assert region_html.count("3 organisations") == 2
    assert "1 organisation<" in region_html


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


def nav_links(html: str, css_class: str) -> str:
    return html.split(f'class="{css_class}"')[1].split("</nav>")[0]


def test_an_organisation_page_links_to_its_libraries_and_announcements(client, tree):
    primary = tree["primary"]
    library = LibraryFactory(parent=primary, title="Бастауыш ұйымның хаттамалары")
    index = AnnouncementIndexFactory(parent=primary, title="Бастауыш ұйымның жаңалықтары")
    AnnouncementFactory(parent=index, title="Жиналыс өтеді")
    unpublished = LibraryFactory(parent=primary, title="Дайындалып жатқан кітапхана", live=False)
    html = client.get(page_path(primary, "kk")).content.decode()
    sections = nav_links(html, "org-sections")
    assert f'href="{page_path(library, "kk")}"' in sections
    assert f'href="{page_path(index, "kk")}"' in sections
    assert unpublished.title not in html
    assert "Құжаттар мен хабарландырулар" in html
    # A sibling's libraries are not offered.
    assert "org-sections" not in client.get(page_path(tree["district"], "kk")).content.decode()


def test_the_main_menu_leads_to_the_central_library_announcements_and_search(client, tree):
    home = tree["home"]
    library = LibraryFactory(parent=home, title="Орталық аппараттың құжаттары")
    index = AnnouncementIndexFactory(parent=home, title="Партия жаңалықтары")
    LibraryFactory(parent=tree["region"], title="Облыс құжаттары")  # not the central one
    for language, words in [
        ("kk", ("Құжаттар", "Хабарландырулар", "Іздеу")),
        ("ru", ("Документы", "Объявления", "Поиск")),
    ]:
        for url in (page_path(tree["district"], language), f"/{language}/search/"):
            menu = nav_links(client.get(url).content.decode(), "site-nav")
            assert f'<a href="{page_path(library, language)}">{words[0]}</a>' in menu
            assert f'<a href="{page_path(index, language)}">{words[1]}</a>' in menu
            assert f'<a href="/{language}/search/">{words[2]}</a>' in menu
            assert "Облыс құжаттары" not in menu


@pytest.mark.parametrize(
    "language, shown, hidden",
    [
        ("kk", "original", "translated"),
        ("ru", "translated", "original"),
        ("en", "original", "translated"),
    ],
)
def test_a_translation_group_is_listed_once_in_the_readers_language(
    client, tree, announcements, language, shown, hidden
):
    index = announcements["index"]
    lonely = AnnouncementFactory(parent=index, title="Только по-русски", language="ru")
    for page in (tree["home"], tree["region"], index):
        html = client.get(page_path(page, language)).content.decode()
        assert html.count(announcements[shown].title) == 1
        assert announcements[hidden].title not in html
        assert lonely.title in html  # a group without the reader's language shows what it has


def test_a_translation_stands_in_for_an_unpublished_original(client, announcements):
    announcements["original"].unpublish()
    html = client.get(page_path(announcements["index"], "kk")).content.decode()
    assert html.count(announcements["translated"].title) == 1


@pytest.mark.parametrize(
    "language, expected",
    [("kk", "12 сәуір 2019"), ("ru", "12 апреля 2019"), ("en", "12 April 2019")],
)
def test_dates_in_running_text_follow_each_languages_style(
    client, announcements, language, expected
):
    for page in (announcements["original"], announcements["translated"]):
        page.date = datetime.date(2019, 4, 12)
        page.save_revision().publish()
    for url in (page_path(page, language), page_path(announcements["index"], language)):
        html = client.get(url).content.decode()
        assert f'<time datetime="2019-04-12">{expected}</time>' in html
