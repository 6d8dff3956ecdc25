"""A first visit (empty cache) to any public page type moves at most 100 KB: the page
and everything it loads, counted as the bodies the browser received."""

import pytest

from home.models import HomePage
from tests.browser.conftest import url_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUDGET = 100 * 1024


def first_visit(browser, live_server, url) -> dict[str, int]:
    """Bytes of each response body a new browser (nothing cached) receives for ``url``."""
    context = browser.new_context(base_url=live_server.url, locale="kk-KZ")
    bodies = {}

    def received(response):
        if 300 <= response.status < 400:
            bodies[response.url] = 0  # a redirect's body is not read
        else:
            bodies[response.url] = len(response.body())

    page = context.new_page()
    page.on("response", received)
    try:
        response = page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        assert response.status in (200, 404), f"{url} answered {response.status}"
    finally:
        context.close()
    return bodies


def test_a_first_visit_to_each_public_page_type_stays_under_100_kb(browser, live_server, party):
    heavy, weights = [], {}
    for name, url in [
        ("home", url_of(HomePage.objects.get())),
        ("region", url_of(party["region"])),
        ("district", url_of(party["district"])),
        ("primary organisation", url_of(party["primary"])),
        ("library", url_of(party["library"])),
        ("record", url_of(party["record"])),
        ("announcements", url_of(party["index"])),
        ("announcement", url_of(party["announcement"])),
        ("search", "/kk/search/?q=шешім"),
        ("sign-in", "/kk/accounts/login/"),
        ("not found", "/kk/no-such-page/"),
        ("home in Russian", "/ru/"),
    ]:
        bodies = first_visit(browser, live_server, url)
        weights[name] = sum(bodies.values())
        assert len(bodies) >= 2, f"{name}: the page loaded no stylesheet? {bodies}"
        if weights[name] > BUDGET:
            heavy.append(f"{name} ({url}): {weights[name]} bytes: {bodies}")
    print("first-visit bytes:", weights)
    assert not heavy, "\n".join(heavy)


def test_the_measure_counts_the_page_and_what_it_loads(browser, live_server, client, tree):
    """The counting itself: the HTML as the server sent it, and the stylesheets beside it."""
    bodies = first_visit(browser, live_server, "/kk/no-such-page/")
    page = bodies.pop(f"{live_server.url}/kk/no-such-page/")
    assert page == len(client.get("/kk/no-such-page/").content) > 1000
    stylesheets = [size for url, size in bodies.items() if url.endswith(".css")]
    assert stylesheets and all(size > 500 for size in stylesheets)
