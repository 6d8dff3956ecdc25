"""The leak-test matrix: every kind of user × every channel × every access level.

Each record carries a unique token in its title, summary, body and file text.
A channel leaks when the token of a record the user may not read appears in
any response to that user; it fails the other way when a user who may read
the record does not find it. File channels are judged by status: 200 for those
who may, a sign-in redirect for anonymous visitors, 404 for the rest.
"""

import datetime

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

from wagtail.models import Page, PageViewRestriction

from docs_library.models import DocumentPage
from home import roles
from tests.docs_library import samples
from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DistrictFactory,
    LibraryFactory,
    PrimaryFactory,
    RegionFactory,
    central_office,
    library_document,
    upload,
)

USERS = [
    "anonymous",
    "other_member",
    "primary_member",
    "district_reader",
    "region_editor",
    "superuser",
]
LEVELS = ["public", "members", "organisation", "restricted", "draft"]
EVERYONE = set(USERS)
VISIBLE = {
    "public": EVERYONE,
    "members": EVERYONE - {"anonymous"},
    "organisation": {"primary_member", "district_reader", "region_editor", "superuser"},
    "restricted": {"superuser"},
    "draft": {"region_editor", "superuser"},
}
ADMIN_USERS = {"region_editor", "superuser"}


def token(level: str) -> str:
    return f"LEAK{level.upper()}Q7"


def expected(channel_kind: str, level: str) -> set[str]:
    if channel_kind == "site":  # the live site never shows drafts
        return set() if level == "draft" else VISIBLE[level]
    if channel_kind == "public":  # feeds and sitemaps speak to anonymous readers
        return EVERYONE if level == "public" else set()
    if channel_kind == "admin":
        return VISIBLE[level] & ADMIN_USERS
    return VISIBLE[level]  # files


class LeakMatrix(TestCase):
    @classmethod
    def setUpTestData(cls):
        home = central_office()
        cls.region = RegionFactory(parent=home, title="Қарағанды облысы")
        cls.district = DistrictFactory(parent=cls.region, title="Абай ауданы")
        cls.primary = PrimaryFactory(parent=cls.district, title="«Бірлік» БПҰ")
        other_region = RegionFactory(parent=home, title="Ақмола облысы")
        cls.library = LibraryFactory(parent=cls.primary, title="Хаттамалар")

        cls.records, cls.files = {}, {}
        collection = roles.collection_for(cls.library)
        for number, level in enumerate(LEVELS):
            secret = token(level)
            text = f"Құжат мәтіні {secret} партия"
            document = library_document(
                samples.kazakh_pdf(text=text), f"{secret}.pdf", collection=collection
            )
            document.replace_file(upload(samples.kazakh_pdf(text=text), f"{secret}.pdf"))
            document.refresh_from_db()  # the extraction task stored the new preview
            record = DocumentPage(
                title=f"Шешім {secret}",
                slug=f"record-{number}",
                summary=f"Қысқаша {secret}",
                body=f"<p>{secret}</p>",
                access_level="organisation" if level == "draft" else level,
                main_file=document,
                live=level != "draft",
            )
            cls.library.add_child(instance=record)
            cls.records[level] = record
            cls.files[level] = document

        User = get_user_model()
        cls.users = {"anonymous": None}
        for name in USERS[1:]:
            cls.users[name] = User.objects.create_user(
                name, f"{name}@example.kz", "pass", is_superuser=name == "superuser"
            )
        roles.grant(roles.READER, cls.users["other_member"], other_region)
        roles.grant(roles.READER, cls.users["primary_member"], cls.primary)
        roles.grant(roles.READER, cls.users["district_reader"], cls.district)
        roles.grant(roles.EDITOR, cls.users["region_editor"], cls.region)

    def as_user(self, name):
        self.client.logout()
        if self.users[name] is not None:
            self.client.force_login(self.users[name])

    def body(self, response) -> str:
        if response.streaming:
            return b"".join(response.streaming_content).decode("utf-8", "replace")
        return response.content.decode()

    def check_text_channel(self, channel, kind, url_for):
        for user in USERS:
            self.as_user(user)
            url = url_for()
            html = self.body(self.client.get(url))
            for level in LEVELS:
                with self.subTest(channel=channel, user=user, level=level):
                    shown = token(level) in html
                    self.assertEqual(shown, user in expected(kind, level), url)

    def check_status_channel(self, channel, url_for_level):
        for user in USERS:
            self.as_user(user)
            for level in LEVELS:
                with self.subTest(channel=channel, user=user, level=level):
                    response = self.client.get(url_for_level(level))
                    if user in expected("file", level):
                        self.assertEqual(response.status_code, 200)
                    elif user == "anonymous":
                        self.assertEqual(response.status_code, 302)
                        self.assertIn(reverse("login"), response["Location"])
                    else:
                        self.assertEqual(response.status_code, 404)

    # --- the public site ---------------------------------------------------------

    def test_record_pages(self):
        for user in USERS:
            self.as_user(user)
            for level in LEVELS:
                with self.subTest(user=user, level=level):
                    response = self.client.get(self.records[level].url or "/kk/nowhere/")
                    html = self.body(response)
                    visible = user in expected("site", level)
                    self.assertEqual(token(level) in html, visible)
                    if not visible and user == "anonymous" and level != "draft":
                        self.assertEqual(response.status_code, 302)
                    elif not visible:
                        self.assertEqual(response.status_code, 404)

    def test_library_listing(self):
        self.check_text_channel("library", "site", lambda: self.library.url)

    def test_latest_documents_on_organisation_pages(self):
        for page in (self.primary, self.region):
            self.check_text_channel(f"organisation {page.pk}", "site", lambda p=page: p.url)

    def test_feeds(self):
        """Every documents feed, in Atom and RSS 2.0: the whole party, the library, its
        organisation (with what is below, and its own) and the region above it, the
        records' type, and type within both."""
        kind = self.records["public"].document_type
        feeds = [
            ("feed", "documents_feed", []),
            ("library feed", "library_feed", [self.library.pk]),
            ("organisation feed", "organisation_documents_feed", [self.primary.pk]),
            ("region feed", "organisation_documents_feed", [self.region.pk]),
            ("organisation's own feed", "organisation_own_documents_feed", [self.primary.pk]),
            ("type feed", "document_type_feed", [kind]),
            ("organisation type feed", "organisation_document_type_feed", [self.primary.pk, kind]),
            ("region type feed", "organisation_document_type_feed", [self.region.pk, kind]),
        ]
        for channel, name, args in feeds:
            for suffix, language in (("", "kk"), ("_rss", "ru")):
                with translation.override(language):
                    url = reverse(name + suffix, args=args)
                self.check_text_channel(f"{channel}{suffix}", "public", lambda u=url: u)

    def test_sitemap(self):
        """Whoever asks, the sitemap lists what a signed-out visitor may read:
        public records and live pages, never an unpublished page."""
        unpublished = LibraryFactory(parent=self.primary, title="Жоба", slug="draft-library")
        unpublished.unpublish()
        urls = {level: record.url for level, record in self.records.items() if record.url}
        for user in USERS:
            self.as_user(user)
            xml = self.body(self.client.get("/sitemap.xml"))
            for level, url in urls.items():
                with self.subTest(user=user, level=level):
                    self.assertEqual(url in xml, level == "public")
            with self.subTest(user=user, page="others"):
                self.assertIn(self.library.url, xml)
                self.assertIn(self.primary.url, xml)
                self.assertNotIn(unpublished.url, xml)

    # --- files ----------------------------------------------------------------------

    def test_current_files(self):
        self.check_status_channel("file", lambda level: self.files[level].url)

    def test_old_versions(self):
        self.check_status_channel("version", lambda level: self.files[level].versions.get().url)

    def test_previews(self):
        self.check_status_channel("preview", lambda level: self.files[level].preview_url)

    def test_wagtail_document_urls_are_the_guarded_view(self):
        document = self.files["restricted"]
        self.assertTrue(document.url.startswith("/documents/"))
        media = f"/media/{document.file.name}"
        self.as_user("superuser")
        self.assertEqual(self.client.get(media).status_code, 404)

    # --- the admin -------------------------------------------------------------------

    def test_admin_explorer(self):
        url = reverse("wagtailadmin_explore", args=[self.library.pk])
        self.check_text_channel("explorer", "admin", lambda: url)

    def test_admin_page_chooser(self):
        url = reverse("wagtailadmin_choose_page_child", args=[self.library.pk])
        self.check_text_channel("page chooser", "admin", lambda: url)

    def test_admin_document_chooser_and_listing(self):
        chooser = reverse("wagtaildocs_chooser:choose")
        listing = reverse("wagtaildocs:index")
        self.check_text_channel("document chooser", "admin", lambda: chooser)
        self.check_text_channel("document listing", "admin", lambda: listing)

    def test_admin_record_choosers_in_the_edit_form(self):
        """The related-documents field lists titles; only readable ones are offered."""
        other = LibraryFactory(parent=self.region, title="Облыс құжаттары")
        editing = DocumentPage(title="Жаңа шешім", slug="new", access_level="public")
        other.add_child(instance=editing)
        url = reverse("wagtailadmin_pages:edit", args=[editing.pk])
        self.check_text_channel("edit form", "admin", lambda: url)


class AnnouncementFeedLeaks(TestCase):
    """The announcements feeds, Atom and RSS, as rows of the matrix ("public" kind).

    Announcements have no access level: a published one outside any view
    restriction is public, one behind a sign-in restriction is for members, an
    unpublished one is a draft. Feeds speak to anonymous readers, so whoever asks
    sees the public one only.
    """

    LEVELS = ["public", "members", "draft"]

    @classmethod
    def setUpTestData(cls):
        home = central_office()
        cls.region = RegionFactory(parent=home, title="Қарағанды облысы")
        cls.primary = PrimaryFactory(
            parent=DistrictFactory(parent=cls.region, title="Абай ауданы"), title="«Бірлік» БПҰ"
        )
        news = AnnouncementIndexFactory(parent=cls.primary, title="Жаңалықтар")
        closed = AnnouncementIndexFactory(parent=cls.primary, title="Мүшелерге", slug="members")
        PageViewRestriction.objects.create(page=closed, restriction_type=PageViewRestriction.LOGIN)
        AnnouncementFactory(parent=news, title=f"Жиналыс {token('public')}")
        AnnouncementFactory(parent=closed, title=f"Жиналыс {token('members')}")
        AnnouncementFactory(parent=news, title=f"Жиналыс {token('draft')}", live=False)
        User = get_user_model()
        cls.users = {"anonymous": None}
        for name in USERS[1:]:
            cls.users[name] = User.objects.create_user(
                name, f"{name}@example.kz", "pass", is_superuser=name == "superuser"
            )
        roles.grant(roles.READER, cls.users["primary_member"], cls.primary)
        roles.grant(roles.EDITOR, cls.users["region_editor"], cls.region)

    def test_announcement_feeds(self):
        feeds = [
            ("announcements feed", "announcements_feed", []),
            ("region announcements feed", "organisation_announcements_feed", [self.region.pk]),
            ("primary announcements feed", "organisation_announcements_feed", [self.primary.pk]),
            ("primary's own news", "organisation_own_announcements_feed", [self.primary.pk]),
        ]
        for channel, name, args in feeds:
            for suffix, language in (("", "kk"), ("_rss", "ru"), ("_rss", "en")):
                with translation.override(language):
                    url = reverse(name + suffix, args=args)
                for user, html in self.pages_by_user(url):
                    for level in self.LEVELS:
                        with self.subTest(channel=f"{channel}{suffix}", user=user, level=level):
                            shown = token(level) in html
                            self.assertEqual(shown, user in expected("public", level), url)

    def pages_by_user(self, url):
        """``(user, html)`` of ``url`` for each user of the matrix, signed out first."""
        for user in USERS:
            self.client.logout()
            if self.users[user] is not None:
                self.client.force_login(self.users[user])
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
            yield user, response.content.decode()

    def test_organisation_pages_latest_announcements(self):
        """The organisation pages' "latest announcements" is one list for every
        reader (a shared fragment), so it holds public announcements only: one
        behind a sign-in restriction is read in its own list, never here."""
        pages = [("home", central_office()), ("region", self.region), ("primary", self.primary)]
        for channel, page in pages:
            for language in ("kk", "ru"):
                with translation.override(language):
                    url = page.get_url()
                for user, html in self.pages_by_user(url):
                    for level in self.LEVELS:
                        with self.subTest(channel=f"{channel} page", user=user, level=level):
                            self.assertEqual(token(level) in html, level == "public", url)


class LeakAfterChanges(TestCase):
    """A grant, a revoke, a block or a move changes what is seen at once."""

    @classmethod
    def setUpTestData(cls):
        home = central_office()
        cls.region = RegionFactory(parent=home, title="Қарағанды облысы")
        cls.district = DistrictFactory(parent=cls.region, title="Абай ауданы")
        cls.other = RegionFactory(parent=home, title="Ақмола облысы")
        cls.library = LibraryFactory(parent=cls.district)
        cls.record = DocumentPage(
            title=f"Шешім {token('organisation')}", slug="r", access_level="organisation"
        )
        cls.library.add_child(instance=cls.record)
        cls.user = get_user_model().objects.create_user("reader", "r@example.kz", "pass")

    def sees(self) -> bool:
        self.client.force_login(self.user)
        return token("organisation") in self.client.get(self.library.url).content.decode()

    def test_grant_and_revoke_take_effect_at_once(self):
        self.assertFalse(self.sees())
        roles.grant(roles.READER, self.user, self.region)
        self.assertTrue(self.sees())
        roles.revoke(roles.READER, self.user, self.region)
        self.assertFalse(self.sees())

    def test_blocking_inheritance_hides_from_readers_above(self):
        roles.grant(roles.READER, self.user, self.region)
        roles.set_inheritance_blocked(self.district, True)
        self.assertFalse(self.sees())
        roles.set_inheritance_blocked(self.district, False)
        self.assertTrue(self.sees())

    def test_a_site_wide_role_passes_blocks(self):
        roles.grant(roles.READER, self.user, Page.get_first_root_node())
        roles.set_inheritance_blocked(self.district, True)
        self.assertTrue(self.sees())

    def test_moving_a_library_recomputes_access(self):
        roles.grant(roles.READER, self.user, self.other)
        self.assertFalse(self.sees())
        self.library.move(self.other, pos="last-child")
        self.library.refresh_from_db()
        self.assertTrue(self.sees())


class AssignmentChannelLeaks(TestCase):
    """The assignments' own channels as rows of the matrix: the files sent with a report
    (each a record of the executor's library) and the pages of a sub-assignment.

    A record of each level an assignment may take (public, members, organisation)
    lives in the region's library; the region assigns it to the district, whose
    reader reports with a file bearing the record's token; the region's editor
    passes a sub-assignment from the district's execution down to the primary.
    """

    LEVELS = ["public", "members", "organisation"]

    @classmethod
    def setUpTestData(cls):
        from docs_library.circulation import assignments
        from docs_library.models import ReportFile

        home = central_office()
        cls.region = RegionFactory(parent=home, title="Қарағанды облысы")
        cls.district = DistrictFactory(parent=cls.region, title="Абай ауданы")
        cls.primary = PrimaryFactory(parent=cls.district, title="«Бірлік» БПҰ")
        other_region = RegionFactory(parent=home, title="Ақмола облысы")
        library = LibraryFactory(parent=cls.region, title="Шешімдер")
        LibraryFactory(parent=cls.district, title="Есептер")
        User = get_user_model()
        cls.users = {"anonymous": None}
        for name in USERS[1:]:
            cls.users[name] = User.objects.create_user(
                name, f"{name}@example.kz", "pass", is_superuser=name == "superuser"
            )
        roles.grant(roles.READER, cls.users["other_member"], other_region)
        roles.grant(roles.READER, cls.users["primary_member"], cls.primary)
        roles.grant(roles.READER, cls.users["district_reader"], cls.district)
        roles.grant(roles.EDITOR, cls.users["region_editor"], cls.region)

        cls.assignments, cls.subs, cls.sub_executions, cls.files = {}, {}, {}, {}
        deadline = timezone.localdate() + datetime.timedelta(days=10)
        for number, level in enumerate(cls.LEVELS):
            secret = token(level)
            record = DocumentPage(
                title=f"Шешім {secret}", slug=f"decision-{number}", access_level=level
            )
            library.add_child(instance=record)
            record.save_revision().publish()
            record.refresh_from_db()
            assignment, _created = assignments.issue(
                record,
                cls.users["region_editor"],
                text="Жиналыс өткізу",
                deadline=deadline,
                executors=[cls.district],
            )
            execution = assignment.executions.get()
            sub, _created = assignments.issue(
                record,
                cls.users["region_editor"],
                text="Бастауыш ұйымда өткізу",
                deadline=deadline,
                executors=[cls.primary],
                parent=execution,
            )
            file = upload(samples.kazakh_pdf(text=f"Есеп {secret}"), f"{secret}.pdf")
            assignments.report(execution, cls.users["district_reader"], f"Өтті {secret}", [file])
            cls.assignments[level] = assignment
            cls.subs[level] = sub
            cls.sub_executions[level] = sub.executions.get()
            cls.files[level] = DocumentPage.objects.get(
                pk=ReportFile.objects.get(execution=execution).record_id
            )

    # Who may read each level's report file: the file is a record of the district's
    # library, as open as the assigned record, and opens to the issuing region too.
    FILE_VISIBLE = {
        "public": EVERYONE,
        "members": EVERYONE - {"anonymous"},
        "organisation": {"district_reader", "region_editor", "superuser"},
    }

    def as_user(self, name):
        self.client.logout()
        if self.users[name] is not None:
            self.client.force_login(self.users[name])

    def check_status(self, channel, url_for_level, visible):
        for user in USERS:
            self.as_user(user)
            for level in self.LEVELS:
                with self.subTest(channel=channel, user=user, level=level):
                    url = url_for_level(level)
                    response = self.client.get(url)
                    if user in visible[level]:
                        self.assertEqual(response.status_code, 200)
                    elif user == "anonymous":
                        self.assertEqual(response.status_code, 302)
                        self.assertIn(reverse("login"), response["Location"])
                    else:
                        self.assertEqual(response.status_code, 404)
                        if token(level) not in url:  # a 404 page links the URL asked for
                            self.assertNotIn(token(level), response.content.decode())

    def test_report_files(self):
        """A report's file and its record page, like any record's, by the file's level."""
        self.check_status(
            "report file", lambda level: self.files[level].main_file.url, self.FILE_VISIBLE
        )
        self.check_status(
            "report file record", lambda level: self.files[level].url, self.FILE_VISIBLE
        )

    def test_report_files_listed_on_the_assignment_page(self):
        """The author's page lists the files only to those it opens for (its deciders)."""
        deciders = {"region_editor", "superuser"}
        self.check_status(
            "assignment page",
            lambda level: reverse("circulars:assignment", args=[self.assignments[level].pk]),
            dict.fromkeys(self.LEVELS, deciders),
        )
        self.as_user("region_editor")
        for level in self.LEVELS:
            url = reverse("circulars:assignment", args=[self.assignments[level].pk])
            html = self.client.get(url).content.decode()
            with self.subTest(level=level):
                self.assertIn(f'data-report-file="{self.files[level].pk}"', html)
                self.assertIn(f'data-sub-assignment="{self.subs[level].pk}"', html)

    def test_sub_assignment_pages(self):
        """A sub-assignment's page opens to those who decide on it (who passed it down,
        the managers of records of the district, through their inherited role); its
        execution's page to the primary's people, who may now read the record."""
        self.check_status(
            "sub-assignment page",
            lambda level: reverse("circulars:assignment", args=[self.subs[level].pk]),
            dict.fromkeys(self.LEVELS, {"region_editor", "superuser"}),
        )
        executors = {"primary_member", "district_reader", "region_editor", "superuser"}
        self.check_status(
            "sub-execution page",
            lambda level: reverse("circulars:execution", args=[self.sub_executions[level].pk]),
            dict.fromkeys(self.LEVELS, executors),
        )
