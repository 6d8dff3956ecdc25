"""The read API (``/api/v2/``) as a row of the leak matrix, its filters and its errors.

The matrix is ``tests/test_leaks.py``'s: records at every level (public,
members, organisation, restricted, draft) with a unique token in title,
summary, body and file, and its six kinds of user. Each API channel must show
a user every token they may read and none they may not: pages (records live
only, like the site), files (what the guarded file view would serve), search.
"""

import datetime
import json
import re
from unittest import mock

from django.contrib.auth import get_user_model
from django.test import TestCase

from search.engines.base import SearchUnavailable
from tests import test_leaks as leaks
from tests.docs_library import samples
from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DistrictFactory,
    DocumentPageFactory,
    LibraryFactory,
    PrimaryFactory,
    RegionFactory,
    central_office,
    library_document,
)

RECORDS = "/api/v2/pages/?type=docs_library.DocumentPage&fields=*&limit=20"
DOCUMENTS = "/api/v2/documents/?fields=*&limit=20"
GUARDED = re.compile(r"^http://localhost/documents/(\d+)/[^/]+$")


class APILeakMatrix(TestCase):
    @classmethod
    def setUpTestData(cls):
        leaks.LeakMatrix.setUpTestData.__func__(cls)
        index = AnnouncementIndexFactory(parent=cls.primary, slug="news")
        cls.announcement = AnnouncementFactory(
            parent=index, title="Хабарландыру LEAKNEWSQ7", summary="Жиналыс"
        )
        cls.unpublished = AnnouncementFactory(
            parent=index, title="Жоба LEAKUNPUBLISHEDQ7", summary="Жоба", live=False
        )

    def setUp(self):
        # Search tests patch nothing else: the records were indexed as they were saved.
        self.as_user = leaks.LeakMatrix.as_user.__get__(self)

    def get_json(self, url, status=200):
        response = self.client.get(url)
        self.assertEqual(response.status_code, status, (url, response.content[:300]))
        return response.json(), response.content.decode()

    def check(self, channel, kind, url):
        for user in leaks.USERS:
            self.as_user(user)
            _data, text = self.get_json(url)
            for level in leaks.LEVELS:
                with self.subTest(channel=channel, user=user, level=level):
                    self.assertEqual(
                        leaks.token(level) in text, user in leaks.expected(kind, level), url
                    )

    def test_pages_listing(self):
        self.check("records", "site", RECORDS)
        self.check("all pages", "site", "/api/v2/pages/?limit=20")

    def test_page_details(self):
        for user in leaks.USERS:
            self.as_user(user)
            for level, record in self.records.items():
                with self.subTest(user=user, level=level):
                    response = self.client.get(f"/api/v2/pages/{record.pk}/")
                    text = response.content.decode()
                    if user in leaks.expected("site", level):
                        self.assertEqual(response.status_code, 200)
                        data = response.json()
                        for field in ("title", "summary", "body"):
                            self.assertIn(leaks.token(level), data[field])
                        self.assertEqual(data["access_level"], record.access_level)
                    else:
                        self.assertEqual(response.status_code, 404)
                        self.assertNotIn(leaks.token(level), text)

    def test_find_view_does_not_reach_hidden_records(self):
        for user in leaks.USERS:
            self.as_user(user)
            for level, record in self.records.items():
                with self.subTest(user=user, level=level):
                    visible = user in leaks.expected("site", level)
                    response = self.client.get(f"/api/v2/pages/find/?id={record.pk}")
                    self.assertEqual(response.status_code, 302 if visible else 404)
                    if record.url:  # a draft has none
                        path = record.url.removeprefix("/kk")
                        response = self.client.get(f"/api/v2/pages/find/?html_path={path}")
                        self.assertEqual(response.status_code, 302 if visible else 404)

    def test_tree_filters_do_not_reach_hidden_records(self):
        """``child_of``/``descendant_of`` read the same narrowed set of pages."""
        for level in ("restricted", "draft"):
            for name in ("child_of", "descendant_of", "ancestor_of"):
                with self.subTest(level=level, filter=name):
                    _data, text = self.get_json(
                        f"/api/v2/pages/?{name}={self.records[level].pk}", status=400
                    )
                    self.assertNotIn(leaks.token(level), text)

    def test_documents_listing(self):
        self.check("documents", "file", DOCUMENTS)

    def test_document_details(self):
        for user in leaks.USERS:
            self.as_user(user)
            for level, document in self.files.items():
                with self.subTest(user=user, level=level):
                    response = self.client.get(f"/api/v2/documents/{document.pk}/")
                    if user in leaks.expected("file", level):
                        self.assertEqual(response.status_code, 200)
                        self.assertIn(leaks.token(level), response.json()["title"])
                    else:
                        self.assertEqual(response.status_code, 404)

    def test_search(self):
        self.check("search", "site", "/api/v2/pages/?search=Шешім&limit=20")
        self.check("search by token", "site", "/api/v2/pages/?search=Қысқаша&limit=20")

    def test_search_totals_count_only_what_the_user_may_see(self):
        for user in leaks.USERS:
            self.as_user(user)
            data, _text = self.get_json("/api/v2/pages/?search=Шешім&limit=20")
            visible = {lvl for lvl in leaks.LEVELS if user in leaks.expected("site", lvl)}
            with self.subTest(user=user):
                self.assertEqual(data["meta"]["total_count"], len(visible))
                self.assertEqual(len(data["items"]), len(visible))

    def test_unpublished_announcements_never_show(self):
        for user in leaks.USERS:
            self.as_user(user)
            for url in ("/api/v2/pages/?limit=20", "/api/v2/pages/?search=Жоба"):
                with self.subTest(user=user, url=url):
                    _data, text = self.get_json(url)
                    self.assertNotIn("LEAKUNPUBLISHEDQ7", text)
            self.get_json(f"/api/v2/pages/{self.unpublished.pk}/", status=404)
            _data, text = self.get_json(f"/api/v2/pages/{self.announcement.pk}/")
            self.assertIn("LEAKNEWSQ7", text)

    def test_file_urls_are_the_guarded_view(self):
        for user in leaks.USERS:
            self.as_user(user)
            records, _text = self.get_json(RECORDS)
            documents, _text = self.get_json(DOCUMENTS)
            urls = [file["download_url"] for item in records["items"] for file in item["files"]]
            urls += [item["meta"]["download_url"] for item in documents["items"]]
            with self.subTest(user=user):
                self.assertTrue(urls)
                for url in urls:
                    self.assertRegex(url, GUARDED)
                    response = self.client.get(url.removeprefix("http://localhost"))
                    self.assertEqual(response.status_code, 200, url)

    def test_record_fields(self):
        self.as_user("anonymous")
        record = self.records["public"]
        data, _text = self.get_json(f"/api/v2/pages/{record.pk}/")
        self.assertEqual(data["document_type"], record.document_type)
        self.assertEqual(data["document_date"], record.document_date.isoformat())
        self.assertEqual(data["language"], "kk")
        self.assertEqual(data["organisation"]["id"], self.primary.pk)
        self.assertEqual(data["organisation"]["name_kk"], self.primary.title)
        self.assertEqual(data["organisation"]["name_ru"], self.primary.name_ru)
        self.assertEqual(data["files"][0]["id"], self.files["public"].pk)
        self.assertTrue(data["files"][0]["main"])
        self.assertIn("registration_number", data)
        announcement, _text = self.get_json(f"/api/v2/pages/{self.announcement.pk}/")
        self.assertEqual(announcement["date"], self.announcement.date.isoformat())
        self.assertIn("body", announcement)
        organisation, _text = self.get_json(f"/api/v2/pages/{self.region.pk}/")
        self.assertEqual(
            [organisation[name] for name in ("name_kk", "name_ru", "name_en")],
            [self.region.title, self.region.name_ru, self.region.name_en],
        )

    def test_read_only(self):
        self.as_user("superuser")
        for method in ("post", "put", "patch", "delete"):
            with self.subTest(method=method):
                response = getattr(self.client, method)(f"/api/v2/pages/{self.region.pk}/")
                self.assertIn(response.status_code, (403, 405))
        for method in ("head", "options"):
            with self.subTest(method=method):
                response = getattr(self.client, method)(f"/api/v2/pages/{self.region.pk}/")
                self.assertEqual(response.status_code, 200)

    def test_token_callers_see_what_their_user_may(self):
        from rest_framework.authtoken.models import Token

        for user in leaks.USERS[1:]:
            key = Token.objects.create(user=self.users[user]).key
            self.client.logout()
            for url, kind in ((RECORDS, "site"), (DOCUMENTS, "file")):
                response = self.client.get(url, HTTP_AUTHORIZATION=f"Token {key}")
                self.assertEqual(response.status_code, 200)
                for level in leaks.LEVELS:
                    with self.subTest(user=user, url=url, level=level):
                        self.assertEqual(
                            leaks.token(level) in response.content.decode(),
                            user in leaks.expected(kind, level),
                        )
        response = self.client.get(RECORDS, HTTP_AUTHORIZATION="Token nonsense")
        self.assertEqual(response.status_code, 401)
        self.assertNotIn("LEAK", response.content.decode())

    def test_basic_authentication_is_not_accepted(self):
        """Passwords go through the throttled sign-in only, never an API header."""
        import base64

        credentials = base64.b64encode(b"superuser:pass").decode()
        response = self.client.get(
            f"/api/v2/pages/{self.records['restricted'].pk}/",
            HTTP_AUTHORIZATION=f"Basic {credentials}",
        )
        self.assertEqual(response.status_code, 404)


class APIFilters(TestCase):
    @classmethod
    def setUpTestData(cls):
        home = central_office()
        cls.region = RegionFactory(parent=home)
        cls.district = DistrictFactory(parent=cls.region)
        cls.primary = PrimaryFactory(parent=cls.district)
        cls.other = other = RegionFactory(parent=home)
        deep = LibraryFactory(parent=cls.primary)
        top = LibraryFactory(parent=cls.region)
        elsewhere = LibraryFactory(parent=other)
        cls.records = {}
        for name, parent, kind, year, language in [
            ("deep", deep, "decision", 2024, "kk"),
            ("top", top, "minutes", 2025, "ru"),
            ("elsewhere", elsewhere, "decision", 2025, "kk"),
        ]:
            cls.records[name] = DocumentPageFactory(
                parent=parent,
                title=f"Шешім {name}",
                document_type=kind,
                document_date=datetime.date(year, 5, 1),
                language=language,
            )
        index = AnnouncementIndexFactory(parent=cls.district)
        cls.news = AnnouncementFactory(parent=index, date=datetime.date(2024, 2, 1), language="ru")

    def ids(self, url) -> set[int]:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, (url, response.content[:300]))
        data = response.json()
        self.assertEqual(data["meta"]["total_count"], len(data["items"]))
        return {item["id"] for item in data["items"]}

    def pks(self, *names) -> set[int]:
        return {self.records[name].pk for name in names}

    def test_organisation_with_descendants(self):
        base = "/api/v2/pages/?type=docs_library.DocumentPage&organisation="
        self.assertEqual(self.ids(f"{base}{self.region.pk}"), self.pks("deep", "top"))
        self.assertEqual(self.ids(f"{base}{self.district.pk}"), self.pks("deep"))
        everything = self.ids(f"/api/v2/pages/?organisation={self.district.pk}&limit=20")
        self.assertIn(self.news.pk, everything)
        self.assertIn(self.primary.pk, everything)
        self.assertNotIn(self.records["top"].pk, everything)

    def test_document_type_year_and_language(self):
        base = "/api/v2/pages/?limit=20&"
        self.assertEqual(self.ids(f"{base}document_type=decision"), self.pks("deep", "elsewhere"))
        self.assertEqual(self.ids(f"{base}year=2025"), self.pks("top", "elsewhere"))
        self.assertEqual(self.ids(f"{base}year=2024"), {*self.pks("deep"), self.news.pk})
        self.assertEqual(self.ids(f"{base}language=ru"), {*self.pks("top"), self.news.pk})
        self.assertEqual(
            self.ids(f"{base}document_type=decision&year=2025&organisation={self.region.pk}"),
            set(),
        )

    def test_filters_on_documents(self):
        files = {}
        for name in ("deep", "top"):
            files[name] = library_document(samples.kazakh_pdf(text=name), f"{name}.pdf")
            record = self.records[name]
            record.main_file = files[name]
            record.save_revision().publish()
        # A restricted order shows the same file: its type, year and place say nothing.
        DocumentPageFactory(
            parent=self.records["elsewhere"].get_parent(),
            document_type="order",
            document_date=datetime.date(2019, 1, 1),
            access_level="restricted",
            main_file=files["deep"],
        )
        base = "/api/v2/documents/?"
        self.assertEqual(self.ids(base), {files["deep"].pk, files["top"].pk})
        self.assertEqual(self.ids(f"{base}organisation={self.district.pk}"), {files["deep"].pk})
        self.assertEqual(self.ids(f"{base}document_type=minutes"), {files["top"].pk})
        self.assertEqual(self.ids(f"{base}year=2024"), {files["deep"].pk})
        self.assertEqual(self.ids(f"{base}language=ru"), {files["top"].pk})
        for query in ("document_type=order", "year=2019", f"organisation={self.other.pk}"):
            with self.subTest(query=query):
                self.assertEqual(self.ids(f"{base}{query}"), set())
        self.client.force_login(
            get_user_model().objects.create_superuser("root", "root@example.kz", "pass")
        )
        self.assertEqual(self.ids(f"{base}document_type=order"), {files["deep"].pk})

    def test_search_with_filters(self):
        base = "/api/v2/pages/?search=Шешім&limit=20"
        self.assertEqual(self.ids(base), self.pks("deep", "top", "elsewhere"))
        self.assertEqual(self.ids(f"{base}&organisation={self.region.pk}"), self.pks("deep", "top"))
        self.assertEqual(self.ids(f"{base}&document_type=minutes"), self.pks("top"))
        self.assertEqual(self.ids(f"{base}&year=2025"), self.pks("top", "elsewhere"))
        self.assertEqual(self.ids(f"{base}&language=ru"), self.pks("top"))

    def test_search_pages(self):
        first = self.ids_page("/api/v2/pages/?search=Шешім&limit=2")
        second = self.ids_page("/api/v2/pages/?search=Шешім&limit=2&offset=2")
        self.assertEqual(len(first), 2)
        self.assertEqual(len(second), 1)
        self.assertFalse(first & second)
        self.assertEqual(self.ids_page("/api/v2/pages/?search=Шешім&limit=2&offset=40"), set())

    def ids_page(self, url) -> set[int]:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["meta"]["total_count"], 3)
        return {item["id"] for item in response.json()["items"]}

    def test_search_unavailable_is_an_error_not_a_fallback(self):
        with mock.patch("search.service.search", side_effect=SearchUnavailable):
            response = self.client.get("/api/v2/pages/?search=Шешім")
        self.assertEqual(response.status_code, 503)
        self.assertIn("message", response.json())

    def test_bad_values_answer_400_with_a_message(self):
        hidden = DocumentPageFactory(
            parent=LibraryFactory(parent=self.primary), access_level="restricted"
        )
        for query in [
            "organisation=abc",
            "organisation=-1",
            "organisation=99999999999999999999",
            f"organisation={self.records['deep'].pk}",  # not an organisation
            f"organisation={hidden.pk}",
            "document_type=nonsense",
            "year=20x5",
            "year=99999",
            "language=de",
            "limit=-1",
            "limit=abc",
            "offset=x",
            "order=nonsense",
            "type=nonsense.Model",
            "type=docs_library.DocumentPage&document_date=not-a-date",
            "type=docs_library.DocumentPage&body=x",
            "fields=nonsense",
            "search=x&offset=3",
            "search=x&type=docs_library.DocumentPage",
            "search=x&order=title",
            "search=x&limit=abc",
            "search=x&year=abc",
            "child_of=abc",
            "child_of=99999999999999999999",
            "descendant_of=99999999999999999999",
            "ancestor_of=99999999999999999999",
            "translation_of=99999999999999999999",
            "nonsense=1",
        ]:
            with self.subTest(query=query):
                response = self.client.get(f"/api/v2/pages/?{query}")
                self.assertEqual(response.status_code, 400, response.content[:300])
                self.assertTrue(response.json()["message"])
        for query in ["search=x", "year=abc", "document_date=x", "id=abc"]:
            with self.subTest(documents=query):
                response = self.client.get(f"/api/v2/documents/?{query}")
                self.assertEqual(response.status_code, 400, response.content[:300])
        for url in [
            "/api/v2/pages/find/?id=abc",
            "/api/v2/documents/find/?id=abc",
            "/api/v2/pages/find/?id=99999999999999999999",
        ]:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 400)

    def test_no_server_error_for_odd_input(self):
        for url in [
            "/api/v2/pages/99999999999999999999/",
            "/api/v2/documents/99999999999999999999/",
            "/api/v2/pages/find/?html_path=/kk/nowhere/",
            "/api/v2/pages/find/",
            "/api/v2/pages/?search=",
            "/api/v2/pages/?search=%00",
            "/api/v2/pages/?search=" + "ә" * 2000,
            "/api/v2/pages/?title=%00",
            "/api/v2/pages/?rich_text_format=markdown&type=docs_library.DocumentPage&fields=*",
            "/api/v2/pages/?rich_text_format=nonsense",
            "/api/v2/pages/?format=api",
            "/api/v2/pages/?locale=xx",
            "/api/v2/pages/?id=99999999999999999999",
            "/api/v2/documents/?id=99999999999999999999",
            "/api/v2/pages/?type=docs_library.DocumentPage&organisation_id=99999999999999999999",
            "/api/v2/pages/?type=docs_library.DocumentPage&main_file=99999999999999999999",
            "/api/v2/pages/?type=docs_library.DocumentPage&access_level=%00",
            "/api/v2/pages/?fields=*,-title,parent(nonsense)",
            "/api/v2/pages/?order=random&offset=1",
        ]:
            with self.subTest(url=url):
                self.assertLess(self.client.get(url).status_code, 500)

    def test_every_documented_parameter_with_hostile_values(self):
        """A small stand-in for a schema fuzzer: never a 5xx, a message on every 400."""
        from urllib.parse import quote

        from cms.api import openapi_schema as schema

        values = ["", "0", "-1", "abc", "1e3", "99999999999999999999", "\x00", "ә", "' OR 1=1", "*"]
        paths = schema()["paths"]
        for path in ("/pages/", "/documents/"):
            for parameter in paths[path]["get"]["parameters"]:
                for value in values:
                    url = f"/api/v2{path}?{parameter['name']}={quote(value)}"
                    with self.subTest(url=url):
                        response = self.client.get(url)
                        self.assertLess(response.status_code, 500)
                        if response.status_code == 400:
                            self.assertTrue(response.json()["message"])

    def test_messages_are_translated(self):
        response = self.client.get("/api/v2/pages/?year=abc", HTTP_ACCEPT_LANGUAGE="ru")
        self.assertEqual(response.status_code, 400)
        self.assertIn("целым числом", response.json()["message"])
        response = self.client.get("/api/v2/pages/999999/", HTTP_ACCEPT_LANGUAGE="kk")
        self.assertEqual(response.json(), {"message": "Табылмады."})
        english = self.client.get("/api/v2/pages/?year=abc", HTTP_ACCEPT_LANGUAGE="en")
        self.assertIn("year", english.json()["message"])


class OpenAPIDescription(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.home = central_office()

    def test_served_and_matches_the_endpoints(self):
        response = self.client.get("/api/v2/openapi.json")
        self.assertEqual(response.status_code, 200)
        schema = json.loads(response.content)
        self.assertEqual(schema["openapi"], "3.1.0")
        self.assertEqual(
            set(schema["paths"]),
            {
                "/pages/",
                "/pages/{id}/",
                "/pages/find/",
                "/documents/",
                "/documents/{id}/",
                "/documents/find/",
            },
        )
        for path, query in (("/pages/find/", "html_path=/"), ("/pages/find/", "id=1")):
            with self.subTest(path=path, query=query):
                response = self.client.get(f"/api/v2{path}?{query}")
                self.assertIn(response.status_code, (302, 404))
        examples = {
            "limit": "5",
            "offset": "0",
            "fields": "title",
            "order": "id",
            "organisation": str(self.home.pk),
            "document_type": "decision",
            "year": "2025",
            "language": "kk",
            "type": "docs_library.DocumentPage",
            "search": "шешім",
            "child_of": str(self.home.pk),
            "descendant_of": str(self.home.pk),
            "ancestor_of": str(self.home.pk),
        }
        for path in ("/pages/", "/documents/"):
            for parameter in schema["paths"][path]["get"]["parameters"]:
                name = parameter["name"]
                with self.subTest(path=path, parameter=name):
                    response = self.client.get(f"/api/v2{path}?{name}={examples[name]}")
                    self.assertEqual(response.status_code, 200, response.content[:300])
        detail = schema["paths"]["/pages/{id}/"]["get"]
        self.assertIn("404", detail["responses"])
        response = self.client.get(f"/api/v2/pages/{self.home.pk}/?fields=title")
        self.assertEqual(response.status_code, 200)
