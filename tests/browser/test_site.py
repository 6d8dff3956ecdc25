"""A reader moves through the tree and switches language in a real browser."""

import os
from urllib.parse import unquote

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_walks_down_the_tree_and_switches_language(page, tree, tmp_path):
    page.goto("/kk/")
    assert page.locator("h1").inner_text() == "Орталық аппарат"
    page.get_by_role("link", name="Қарағанды облысы").last.click()
    assert page.locator("h1").inner_text() == "Қарағанды облысы"
    page.get_by_role("link", name="Әуезов ауданы").click()
    assert page.locator("h1").inner_text() == "Әуезов ауданы"

    page.get_by_role("link", name="Русский").click()
    assert unquote(page.url).endswith("/ru/қарағанды-облысы/әуезов-ауданы/")
    assert page.locator("h1").inner_text() == "Ауэзовский район"
    assert page.locator("html").get_attribute("lang") == "ru"
    shots = os.environ.get("SANDYQ_SCREENSHOTS", tmp_path)
    page.screenshot(path=f"{shots}/district-ru.png", full_page=True)

    # the skip link is the first thing the keyboard reaches
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
