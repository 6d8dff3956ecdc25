"""What a reader of the public site sees in document libraries and on a record's page."""

import datetime
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from django.shortcuts import resolve_url
from django.template.defaultfilters import filesizeformat
from django.utils import translation

from docs_library.models import DocumentAttachment
from tests.docs_library import samples
from tests.factories import (
    DocumentPageFactory,
    LibraryFactory,
    UserFactory,
    library_document,
    upload,
)

LANGUAGES = ["kk", "ru", "en"]
FIRST_DAY = datetime.date(2026, 1, 1)


def page_path(page, language="en"):  # assertions read the English interface
    with translation.override(language):
        return page.get_url()


def soup_of(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html.parser")


def listed_titles(soup):
    return [row.select_one("td a").get_text() for row in soup.select("table.listing tbody tr")]


def count_shown(soup) -> int:
    return int(re.search(r"\d+", soup.select_one("p.count").get_text()).group())


@pytest.fixture
def member(db):
    return UserFactory(username="member")


# The library listing ----------------------------------------------------------


@pytest.fixture
def many_records(library):
    """26 public records whose date, number and title orders all differ."""
    records = []
    for index in range(26):
        records.append(
            DocumentPageFactory(
                parent=library,
                title=f"Құжат {(index * 7) % 26 + 1:02d}",
                registration_number=f"02-Ш/{(index * 11) % 26 + 1:03d}",
                document_date=FIRST_DAY + datetime.timedelta(days=index),
            )
        )
    return records


SORTS = [
    ("date", "document_date", True),
    ("-date", "document_date", False),
    ("number", "registration_number", False),
    ("title", "title", False),
]


def test_a_library_lists_26_records_on_two_pages_in_each_order(client, library, many_records):
    url = page_path(library)
    first = soup_of(client.get(url))
    newest_first = [record.title for record in reversed(many_records)]
    assert count_shown(first) == 26
    assert listed_titles(first) == newest_first[:25]  # newest first unless asked
    # the reader follows the "next" link rather than guessing the parameter
    second = soup_of(client.get(url + first.select_one('a[rel="next"]')["href"]))
    assert listed_titles(second) == newest_first[25:]
    assert second.select_one('nav.pagination a[rel="prev"]')
    assert not second.select_one('nav.pagination a[rel="next"]')

    for sort, key, reverse in SORTS:
        ordered = sorted(many_records, key=lambda r, key=key: getattr(r, key), reverse=reverse)
        expected = [record.title for record in ordered]
        first = soup_of(client.get(url, {"sort": sort}))
        assert listed_titles(first) == expected[:25], sort
        selected = first.select_one('select[name="sort"] option[selected]')
        assert selected["value"] == sort
        # the next page keeps the chosen order
        next_link = first.select_one('nav.pagination a[rel="next"]')["href"]
        assert parse_qs(urlsplit(next_link).query)["sort"] == [sort]
        assert listed_titles(soup_of(client.get(url + next_link))) == expected[25:], sort


def test_registration_numbers_sort_in_numeric_order(client, library):
    for number in ("02-Ш/10", "02-Ш/2", "02-Ш/9"):
        DocumentPageFactory(parent=library, title=f"Шешім {number}", registration_number=number)
    titles = listed_titles(soup_of(client.get(page_path(library), {"sort": "number"})))
    assert titles == ["Шешім 02-Ш/2", "Шешім 02-Ш/9", "Шешім 02-Ш/10"]


def test_unnumbered_records_come_after_the_numbered_ones(client, library):
    DocumentPageFactory(parent=library, title="Нөмірсіз хат", registration_number="")
    for number in ("3/10", "03/9", "3/9а"):
        DocumentPageFactory(parent=library, title=f"Хат {number}", registration_number=number)
    titles = listed_titles(soup_of(client.get(page_path(library), {"sort": "number"})))
    assert titles == ["Хат 03/9", "Хат 3/9а", "Хат 3/10", "Нөмірсіз хат"]


def test_titles_sort_in_kazakh_alphabetical_order(client, library):
    for title in ("Ірі шаралар", "Ыстық желі", "Бастауыш ұйым", "Әкімдік хаты"):
        DocumentPageFactory(parent=library, title=title)
    titles = listed_titles(soup_of(client.get(page_path(library), {"sort": "title"})))
    assert titles == ["Әкімдік хаты", "Бастауыш ұйым", "Ыстық желі", "Ірі шаралар"]


def test_a_renamed_record_moves_to_its_new_place_in_the_title_order(client, library):
    first = DocumentPageFactory(parent=library, title="Алғыс хат")
    DocumentPageFactory(parent=library, title="Бұйрық")
    first.title = "Өкім"
    first.save_revision().publish()
    titles = listed_titles(soup_of(client.get(page_path(library), {"sort": "title"})))
    assert titles == ["Бұйрық", "Өкім"]


def test_drafts_and_members_records_are_not_listed_to_the_public(client, library, member):
    DocumentPageFactory(parent=library, title="Жария шешім", language="mixed")
    DocumentPageFactory(parent=library, title="Мүшелерге арналған хат", access_level="members")
    DocumentPageFactory(parent=library, title="Дайындалып жатқан жоба", live=False)
    DocumentPageFactory(parent=library, title="Мүшелерге жоба", access_level="members", live=False)
    DocumentPageFactory(parent=library, title="Ұйымның ішкі хаты", access_level="organisation")
    url = page_path(library)

    public = soup_of(client.get(url))
    assert listed_titles(public) == ["Жария шешім"]
    assert count_shown(public) == 1
    assert "жоба" not in public.get_text()
    # a record in several languages does not claim one (nor an empty one)
    assert not public.select_one("table.listing tbody tr").has_attr("lang")

    client.force_login(member)
    signed_in = soup_of(client.get(url))
    assert sorted(listed_titles(signed_in)) == ["Жария шешім", "Мүшелерге арналған хат"]
    assert count_shown(signed_in) == 2


def test_filters_by_type_and_year_narrow_the_list_and_the_count(client, library):
    for slug, (title, kind, date) in enumerate(
        [
            ("2025 шешімі", "decision", datetime.date(2025, 5, 4)),
            ("2026 шешімі", "decision", datetime.date(2026, 2, 3)),
            ("2026 хаттамасы", "minutes", datetime.date(2026, 3, 2)),
            ("2025 хаттамасы", "minutes", datetime.date(2025, 6, 1)),
            ("2026 бұйрығы", "order", datetime.date(2026, 1, 9)),
        ]
    ):
        DocumentPageFactory(
            parent=library, title=title, slug=f"d{slug}", document_type=kind, document_date=date
        )
    url = page_path(library)

    everything = soup_of(client.get(url))
    assert count_shown(everything) == 5
    years = [option["value"] for option in everything.select('select[name="year"] option')]
    assert years == ["", "2026", "2025"]

    cases = [
        ({"type": "minutes"}, ["2026 хаттамасы", "2025 хаттамасы"]),
        ({"year": "2025"}, ["2025 хаттамасы", "2025 шешімі"]),
        ({"type": "decision", "year": "2026"}, ["2026 шешімі"]),
        ({"type": "circular"}, []),
    ]
    for query, titles in cases:
        soup = soup_of(client.get(url, query))
        assert listed_titles(soup) == titles, query
        assert count_shown(soup) == len(titles), query
        for name, value in query.items():
            assert soup.select_one(f'select[name="{name}"] option[selected]')["value"] == value
    # the type label a reader sees is the human one, not the stored code
    minutes = soup_of(client.get(url, {"type": "minutes"}))
    assert minutes.select("table.listing tbody tr td")[3].get_text() == "Minutes"


HOSTILE_QUERIES = [
    "?page=abc&sort=DROP&year=x&type=<script>alert(1)</script>",
    '?type="><img src=x onerror=alert(1)>&sort="onmouseover="alert(1)',
    "?year=2026<script>&page=-1",
    "?year=99999999999999999999&page=99999999999999999999",
    "?page=0&sort=title&sort=<b>bold</b>",
    "?year=%00&type=%00&page=%00",
    "?year=' OR 1=1 --&type=decision' --",
]


def test_hostile_query_parameters_neither_fail_nor_echo(client, library):
    DocumentPageFactory(parent=library, title="Жария шешім")
    url = page_path(library)
    for query in HOSTILE_QUERIES:
        response = client.get(url + query)
        assert response.status_code == 200, query
        html = response.content.decode()
        for fragment in ("<script>", "<img src=x", "<b>bold", '"onmouseover=', "' OR 1=1"):
            assert fragment not in html, query
        # nothing else is listed; an impossible year may list nothing at all
        assert set(listed_titles(BeautifulSoup(html, "html.parser"))) <= {"Жария шешім"}, query


def test_markup_in_editors_fields_is_shown_as_text(client, library):
    hostile = "<script>alert(1)</script>"
    attachment = library_document(samples.kazakh_txt(), "Тізім.txt")
    page = DocumentPageFactory(
        parent=library,
        title=f"Шешім {hostile}",
        registration_number='1"><b>',
        summary=hostile,
    )
    DocumentAttachment.objects.create(page=page, document=attachment, caption=hostile)
    page.keywords.add(hostile)
    page.save()
    for url in (page_path(library), page_path(page)):
        html = client.get(url).content.decode()
        assert "<script>" not in html and '"><b>' not in html, url
        assert "&lt;script&gt;" in html, url


def test_a_superscript_digit_year_does_not_fail(client, library):
    client.raise_request_exception = False
    response = client.get(page_path(library), {"year": "²"})
    assert response.status_code == 200


def test_sub_libraries_are_listed_and_drafts_among_them_are_not(client, library):
    circulars = LibraryFactory(parent=library, title="Циркулярлар")
    LibraryFactory(parent=library, title="Әзірленіп жатқан бума", live=False)
    folders = soup_of(client.get(page_path(library))).select("nav ul li a")
    by_title = {link.get_text(): link["href"] for link in folders}
    assert by_title.get("Циркулярлар") == page_path(circulars)
    assert "Әзірленіп жатқан бума" not in by_title


# A record's page ------------------------------------------------------------------


@pytest.fixture
def record(library):
    """A public decision with a PDF (previewed), a DOCX attachment and keywords."""
    main = library_document(samples.kazakh_pdf(), "Қаулы №5 өңірлік.pdf")
    attachment = library_document(samples.kazakh_docx(), "Қосымша тізім.docx")
    page = DocumentPageFactory(
        parent=library,
        title="Электронды құжат айналымы туралы",
        registration_number="02-Ш/015",
        document_date=datetime.date(2026, 2, 17),
        summary="Бастауыш ұйымдар хаттарды электронды түрде жібереді.",
        body="<p>Қағаз хаттар <b>қысқартылады</b>.</p>",
        main_file=main,
    )
    DocumentAttachment.objects.create(page=page, document=attachment, caption="Ұйымдар тізімі")
    page.keywords.add("цифрлық партия", "құжат айналымы")
    page.save()
    main.refresh_from_db()
    return page


def test_a_record_page_shows_its_metadata_body_and_files(client, record, tree):
    soup = soup_of(client.get(page_path(record)))
    text = soup.get_text(" ")
    assert soup.h1.get_text() == "Электронды құжат айналымы туралы"
    assert "02-Ш/015" in soup.select_one(".page-header__kicker").get_text()
    assert "Decision" in soup.select_one(".page-header__kicker").get_text()
    meta = {
        row.th.get_text(): row.td for row in soup.select("table.meta-table tr") if row.th and row.td
    }
    assert meta["Registration number"].get_text() == "02-Ш/015"
    assert meta["Date"].time["datetime"] == "2026-02-17"
    assert meta["Date"].get_text() == "17.02.2026"
    assert meta["Type"].get_text() == "Decision"
    with translation.override("en"):
        assert meta["Organisation"].a.get_text() == tree["primary"].display_name
    assert meta["Organisation"].a["href"] == page_path(tree["primary"])
    assert set(meta["Keywords"].get_text().split(", ")) == {"цифрлық партия", "құжат айналымы"}
    assert soup.select_one("p.lead").get_text() == record.summary
    assert soup.select_one("section.rich-text b").get_text() == "қысқартылады"
    assert "Қағаз хаттар" in text

    files = soup.select("ul.files li")
    assert len(files) == 2
    main, attachment = files
    assert main.a.get_text() == "Қаулы №5 өңірлік.pdf"
    assert main.a["href"] == record.main_file.url
    assert "PDF" in main.get_text()
    with translation.override("en"):
        assert filesizeformat(record.main_file.file_size) in main.get_text()
    assert "1 page" in main.get_text()
    assert attachment.a.get_text() == "Қосымша тізім.docx"
    assert "DOCX" in attachment.get_text()
    assert "Ұйымдар тізімі" in attachment.get_text()

    # the generated first-page preview is shown and leads to the file
    preview = soup.select_one("img.preview")
    assert record.main_file.preview
    assert preview["src"] == record.main_file.preview_url
    assert preview.parent.name == "a" and preview.parent["href"] == record.main_file.url
    assert preview["alt"]


def test_the_preview_image_on_a_record_page_is_a_png(client, record):
    src = soup_of(client.get(page_path(record))).select_one("img.preview")["src"]
    image = client.get(src)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")


def test_a_record_page_follows_its_access_level(client, settings, library, member):
    members = DocumentPageFactory(parent=library, title="Мүшелерге хат", access_level="members")
    internal = DocumentPageFactory(parent=library, title="Ішкі хат", access_level="organisation")
    draft = DocumentPageFactory(parent=library, title="Жоба", access_level="members", live=False)

    response = client.get(page_path(members))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)

    client.force_login(member)
    assert soup_of(client.get(page_path(members))).h1.get_text() == "Мүшелерге хат"
    for hidden in (internal, draft):
        response = client.get(page_path(hidden))
        assert response.status_code == 404
        assert hidden.title not in response.content.decode()


def test_a_file_without_preview_shows_no_image(client, library):
    docx = library_document(samples.kazakh_docx(), "Хаттама.docx")
    page = DocumentPageFactory(parent=library, main_file=docx)
    soup = soup_of(client.get(page_path(page)))
    assert soup.select_one("img.preview") is None
    assert soup.select_one("ul.files li a").get_text() == "Хаттама.docx"


def test_earlier_versions_are_listed_with_working_links(client, record, admin_user):
    first = samples.kazakh_pdf()
    record.main_file.replace_file(
        upload(samples.russian_pdf(), "Решение.pdf"), user=admin_user, comment="қате түзетілді"
    )
    soup = soup_of(client.get(page_path(record)))
    # the URL and the name the reader knows stay
    assert soup.select_one("ul.files li a").get_text() == "Қаулы №5 өңірлік.pdf"
    section = soup.select_one('section[aria-labelledby="versions-heading"]')
    links = section.select("li a")
    assert [link.get_text() for link in links] == ["Version 1"]
    assert "қате түзетілді" in section.get_text()
    version = record.main_file.versions.get()
    assert links[0]["href"] == version.url
    old = client.get(links[0]["href"])
    assert old.status_code == 200
    assert b"".join(old.streaming_content) == first


def test_a_superseded_record_says_so_and_links_to_the_new_one(client, library):
    old = DocumentPageFactory(parent=library, title="Ескі ереже", registration_number="1")
    new = DocumentPageFactory(parent=library, title="Жаңа ереже", registration_number="2")
    new.supersedes = old
    new.save()
    banner = soup_of(client.get(page_path(old))).select_one(".banner")
    assert banner is not None
    assert banner.a["href"] == page_path(new)
    assert "Жаңа ереже" in banner.a.get_text()
    new_page = soup_of(client.get(page_path(new)))
    assert new_page.select_one(".banner") is None
    supersedes = [a for a in new_page.select("table.meta-table a") if a["href"] == page_path(old)]
    assert supersedes and "Ескі ереже" in supersedes[0].get_text()


def test_related_documents_are_linked(client, library):
    page = DocumentPageFactory(parent=library, title="Негізгі шешім")
    others = [
        DocumentPageFactory(parent=library, title="Қосалқы шешім"),
        DocumentPageFactory(parent=library, title="Өңірлік хат"),
    ]
    page.related_documents.set(others)
    page.save()
    section = soup_of(client.get(page_path(page))).select_one(
        'section[aria-labelledby="related-heading"]'
    )
    links = {link["href"]: link.get_text() for link in section.select("a")}
    assert links == {page_path(other): str(other) for other in others}


def test_records_the_visitor_may_not_see_are_not_named_on_a_public_page(client, library, member):
    public = DocumentPageFactory(parent=library, title="Жария шешім")
    members_related = DocumentPageFactory(
        parent=library, title="Мүшелерге арналған ілеспе хат", access_level="members"
    )
    members_newer = DocumentPageFactory(
        parent=library, title="Мүшелерге арналған жаңа ереже", access_level="members"
    )
    members_older = DocumentPageFactory(
        parent=library, title="Мүшелерге арналған ескі ереже", access_level="members"
    )
    draft_related = DocumentPageFactory(parent=library, title="Жарияланбаған жоба", live=False)
    public.related_documents.set([members_related, draft_related])
    public.supersedes = members_older
    public.save()
    members_newer.supersedes = public
    members_newer.save()
    url = page_path(public)
    hidden = [members_related, members_newer, members_older]

    html = client.get(url).content.decode()
    for other in [*hidden, draft_related]:
        assert other.title not in html
        assert page_path(other) not in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one(".banner") is None
    assert soup.select_one('section[aria-labelledby="related-heading"]') is None

    client.force_login(member)
    html = client.get(url).content.decode()
    for other in hidden:
        assert other.title in html
    assert draft_related.title not in html


def test_a_record_renders_in_each_language_with_kazakh_file_names_intact(client, record, tree):
    name = "Қаулы №5 өңірлік.pdf"
    for language in LANGUAGES:
        url = page_path(record, language)
        assert url.startswith(f"/{language}/")
        soup = soup_of(client.get(url))
        assert soup.html["lang"] == language
        assert soup.select_one("article.document")["lang"] == "kk"
        link = soup.select_one("ul.files li a")
        assert link.get_text() == name
        href = link["href"]
        assert href.isascii()  # percent-encoded, as a link must be
        assert unquote(href) == f"/documents/{record.main_file.pk}/{name}"
        with translation.override(language):
            organisation = tree["primary"].display_name
        assert organisation in soup.select_one("table.meta-table").get_text()
        # and the library around it
        library = soup_of(client.get(page_path(record.get_parent(), language)))
        assert library.html["lang"] == language
        assert listed_titles(library) == [record.title]
        assert library.select_one("table.listing tbody tr")["lang"] == "kk"
        download = client.get(href)
        assert download.status_code == 200
        assert name in unquote(download["Content-Disposition"])
