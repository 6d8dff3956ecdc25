"""A member of staff searches the archive in a real browser: an inflected Kazakh word
finds the record, with its snippet marked, facets beside it, and suggestions while typing;
a word typed in the Kazakh Latin alphabet finds the Cyrillic text inside a file."""

import os

import pytest

from home import roles
from tests.docs_library import samples
from tests.factories import DocumentPageFactory, LibraryFactory, UserFactory, library_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_find_an_inflected_word_with_snippet_and_facets(page, tree, tmp_path):
    library = LibraryFactory(parent=tree["primary"], title="Хаттамалар")
    DocumentPageFactory(
        parent=library,
        title="Бастауыш ұйымның жиналыс хаттамасы",
        summary="Жиналыста партиямыздың электронды құжат айналымына көшуі талқыланды.",
        access_level="organisation",
        document_type="minutes",
    )
    DocumentPageFactory(
        parent=library,
        title="Қаржы есебі",
        summary="Жарналар туралы есеп.",
        access_level="organisation",
    )
    samples.require_font()
    DocumentPageFactory(
        parent=library,
        title="Мұрағат тәртібі",
        summary="",
        access_level="organisation",
        main_file=library_document(
            samples.kazakh_pdf(text="Бастауыш ұйымдар құжаттарды мұрағатқа жыл сайын тапсырады."),
            "tartip.pdf",
        ),
    )
    staff = UserFactory(username="igilik.secretary", password="secretary-pass")
    roles.grant(roles.READER, staff, tree["primary"])

    page.goto("/kk/accounts/login/?next=/kk/search/archive/")
    page.fill("input[name=username]", "igilik.secretary")
    page.fill("input[name=password]", "secretary-pass")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/kk/search/archive/")

    box = page.get_by_role("searchbox")
    box.fill("партиялар")
    box.press("Enter")
    page.wait_for_url("**q=*")

    results = page.locator(".search-result")
    assert results.count() == 1
    assert results.first.locator("h2 a").inner_text() == "Бастауыш ұйымның жиналыс хаттамасы"
    assert results.first.locator("mark").first.inner_text() == "партиямыздың"
    type_facet = page.locator('[data-facet="type"]')
    assert type_facet.get_by_role("link").first.inner_text() in ("Хаттама", "Minutes")
    assert type_facet.locator(".search-facet__count").first.inner_text() == "1"
    assert page.locator('[data-facet="region"]').is_visible()

    # Kazakh typed in the Latin alphabet, in another form of the verb, finds the
    # Cyrillic text inside the PDF («тапсыру» to hand over, «тапсырады» hands over).
    box.fill("tapsyru")
    box.press("Enter")
    page.wait_for_url("**q=tapsyru*")
    assert results.count() == 1
    assert results.first.locator("h2 a").inner_text() == "Мұрағат тәртібі"
    assert results.first.locator("mark").first.inner_text() == "тапсырады"

    # Suggestions while typing: only titles this reader may open.
    box.fill("Қаржы")
    suggestion = page.locator("#search-suggestions a")
    suggestion.first.wait_for()
    assert suggestion.first.inner_text().startswith("Қаржы есебі")

    shots = os.environ.get("SANDYQ_SCREENSHOTS", tmp_path)
    page.screenshot(path=f"{shots}/search-archive-kk.png", full_page=True)

    results.first.locator("h2 a").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Мұрағат тәртібі"
