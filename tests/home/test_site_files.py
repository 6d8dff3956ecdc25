"""robots.txt and the favicon: what crawlers and browsers ask the site for by name."""

import re
import urllib.robotparser
import xml.etree.ElementTree as ET

from django.contrib.staticfiles import finders


def robots(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(response.content.decode().splitlines())
    return parser


def test_robots_txt_names_the_sitemap(client, home):
    assert robots(client).site_maps() == ["http://testserver/sitemap.xml"]
    assert client.get("/sitemap.xml").status_code == 200


def test_robots_txt_keeps_crawlers_out_of_the_admin_and_search_results(client, tree):
    parser = robots(client)
    for path in ["/admin/", "/admin/pages/", "/kk/search/?q=партия", "/ru/search/?q=партия"]:
        assert not parser.can_fetch("*", path), path
    assert not parser.can_fetch("*", "/en/search/archive/?q=x")
    for path in ["/kk/", "/ru/қарағанды-облысы/", "/sitemap.xml"]:
        assert parser.can_fetch("*", path), path


def test_every_page_links_the_favicon_from_this_site(client, tree):
    html = client.get("/kk/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    assert not re.search(r'(?:href|src)="(?:https?:)?//', html)  # nothing from another host
    svg = ET.parse(finders.find("img/favicon.svg")).getroot()  # noqa: S314 (our own file)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    for url in ["/kk/search/", "/kk/accounts/login/"]:
        assert "/static/img/favicon.svg" in client.get(url).content.decode()


def test_the_old_favicon_address_leads_to_the_svg(client, home):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
