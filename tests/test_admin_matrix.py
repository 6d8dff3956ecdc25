"""The admin's leak matrix: Wagtail's admin obeys the access policy for every role.

Every admin URL that names a page or a file is taken from Django's URL registry
(not from a hand list), filled with each record's ids and requested as each
kind of user; so are the admin's searches, choosers, reports, API and
dashboard. Each record carries a unique token in its title, summary, body and
file. A record the user may not see never shows its token, its own URLs
answer 404 (or send a user without admin access away), and nothing answers
5xx. A new kind of id in Wagtail's URLs fails ``test_every_admin_id_is_known``
until it is classified here.
"""

import re

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.models import Page, Task, WorkflowState

from docs_library import access
from docs_library.lifecycle import workflow
from docs_library.models import DocumentPage
from home import roles
from tests.docs_library.lifecycle import edit_data, publish
from tests.factories import (
    DistrictFactory,
    DocumentPageFactory,
    LibraryFactory,
    PrimaryFactory,
    RegionFactory,
    central_office,
    library_document,
)

# --- the records -----------------------------------------------------------------------------

#: name: (organisation, access level, state)
RECORDS = {
    "public": ("district", "public", "live"),
    "members": ("district", "members", "live"),
    "organisation": ("district", "organisation", "live"),
    "restricted": ("district", "restricted", "live, new revision in review"),
    "draft": ("district", "organisation", "draft"),
    "review": ("district", "organisation", "draft in review"),
    "blocked": ("primary", "organisation", "live"),  # the primary organisation blocks
    "blocked_restricted": ("primary", "restricted", "live"),
}
DISTRICT_STAFF = {"public", "members", "organisation", "draft", "review"}

#: user: what they may see, as the access policy says (checked by test_the_table_is_the_policy)
SEES = {
    "superuser": set(RECORDS),
    "district_reader": {"public", "members", "organisation"},
    "district_contributor": DISTRICT_STAFF,
    "district_editor": DISTRICT_STAFF,
    "district_reviewer": DISTRICT_STAFF,
    "district_manager": DISTRICT_STAFF | {"restricted"},
    "region_manager": DISTRICT_STAFF | {"restricted"},  # above the primary's block
    "primary_editor": {"public", "members", "blocked"},
    "sibling_editor": {"public", "members"},
    "other_region_editor": {"public", "members"},
    "revoked_editor": {"public", "members"},
}


def token(name: str) -> str:
    return f"MX{name.upper().replace('_', '')}Q7"


# --- Wagtail's URL registry ---------------------------------------------------------------

#: Keyword arguments that hold a page's or a file's id, by name.
PAGE_KWARGS = {"page_id", "parent_page_id", "page_to_move_id", "destination_id", "page_pk"}
FILE_KWARGS = {"document_id", "doc_id"}
#: Namespaces whose ``pk`` is a page or a file.
PK_PAGE_NAMESPACES = ("wagtailadmin_pages", "wagtailadmin_api:pages")
PK_FILE_NAMESPACES = ("wagtaildocs", "wagtailadmin_api:documents")
#: Ids of other things: users, groups, images, snippets, workflows, sessions…
UNRELATED_KWARGS = {
    "revision_id",
    "revision_id_a",
    "revision_id_b",
    "task_state_id",
    "workflow_state_id",
    "task_id",
    "workflow_pk",
    "redirect_id",
    "image_id",
    "uploaded_file_id",
    "collection_id",
    "session_id",
    "filter_spec",
    "action_name",
    "action",
    "uidb64",
    "token",
    "app_label",
    "model_name",
    "app_name",
    "content_type_app_name",
    "content_type_model_name",
}


def admin_patterns():
    """(route, full URL name, keyword names) of every named admin URL."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                route = prefix + str(pattern.pattern)
                names = set(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route))
                keywords = {a or b for a, b in names}
                if route.startswith("admin/"):
                    yield route, f"{namespace}:{pattern.name}".lstrip(":"), keywords

    return list(walk(get_resolver().url_patterns, "", ""))


def kind_of(url_name: str, keyword: str) -> str | None:
    if keyword in PAGE_KWARGS:
        return "page"
    if keyword in FILE_KWARGS:
        return "file"
    if keyword == "pk" and url_name.startswith(PK_PAGE_NAMESPACES):
        return "page"
    if keyword == "pk" and url_name.startswith(PK_FILE_NAMESPACES):
        return "file"
    if keyword == "object_id":  # editing sessions: filled with a record below
        return "page"
    return None


class AdminMatrix(TestCase):
    @classmethod
    def setUpTestData(cls):
        workflow.ensure_default_workflow()
        home = central_office()
        cls.region = RegionFactory(parent=home, title="Қарағанды облысы")
        cls.district = DistrictFactory(parent=cls.region, title="Абай ауданы")
        cls.primary = PrimaryFactory(parent=cls.district, title="«Бірлік» БПҰ")
        cls.sibling = DistrictFactory(parent=cls.region, title="Бұқар жырау ауданы")
        cls.other_region = RegionFactory(parent=home, title="Ақмола облысы")
        organisations = {"district": cls.district, "primary": cls.primary}
        cls.libraries = {key: LibraryFactory(parent=page) for key, page in organisations.items()}

        User = get_user_model()
        cls.users = {
            name: User.objects.create_user(
                name, f"{name}@example.kz", "pass", is_superuser=name == "superuser"
            )
            for name in SEES
        }
        grants = {
            "district_reader": (roles.READER, cls.district),
            "district_contributor": (roles.CONTRIBUTOR, cls.district),
            "district_editor": (roles.EDITOR, cls.district),
            "district_reviewer": (roles.REVIEWER, cls.district),
            "district_manager": (roles.MANAGER, cls.district),
            "region_manager": (roles.MANAGER, cls.region),
            "primary_editor": (roles.EDITOR, cls.primary),
            "sibling_editor": (roles.EDITOR, cls.sibling),
            "other_region_editor": (roles.EDITOR, cls.other_region),
            "revoked_editor": (roles.EDITOR, cls.district),
        }
        for name, (role, page) in grants.items():
            roles.grant(role, cls.users[name], page)
        roles.revoke(roles.EDITOR, cls.users["revoked_editor"], cls.district)

        cls.records, cls.files = {}, {}
        for name, (organisation, level, state) in RECORDS.items():
            secret = token(name)
            library = cls.libraries[organisation]
            document = library_document(
                f"Құжат мәтіні {secret}".encode(),
                f"{secret}.txt",
                title=f"Файл {secret}",
                collection=roles.collection_for(library),
            )
            record = DocumentPageFactory(
                parent=library,
                title=f"Шешім {secret}",
                summary=f"Қысқаша {secret}",
                body=f"<p>{secret}</p>",
                access_level=level,
                main_file=document,
                live=False,
            )
            log(instance=document, action="wagtail.create")  # as the admin's upload does
            record.save_revision()
            if state.startswith("live"):
                publish(record)
            cls.records[name], cls.files[name] = record, document
        roles.set_inheritance_blocked(cls.primary, True)

    def setUp(self):
        # Records sent to review through the editor, as people do it.
        self.submit("review", "district_editor")
        self.submit("restricted", "district_manager")

    def submit(self, name, user):
        record = DocumentPage.objects.get(pk=self.records[name].pk)
        self.client.force_login(self.users[user])
        response = self.client.post(
            reverse("wagtailadmin_pages:edit", args=[record.pk]),
            edit_data(record, **{"action-submit": "submit"}, main_file=record.main_file_id),
        )
        assert response.status_code == 302, response
        assert WorkflowState.objects.filter(object_id=str(record.pk)).exists()

    def as_user(self, name):
        self.client.force_login(self.users[name])

    def body(self, response) -> str:
        if response.streaming:
            return b"".join(response.streaming_content).decode("utf-8", "replace")
        return response.content.decode("utf-8", "replace")

    def check_listing(self, channel, url):
        """Tokens of hidden records never show; the request never fails."""
        for user, sees in SEES.items():
            self.as_user(user)
            response = self.client.get(url)
            html = self.body(response)
            with self.subTest(channel=channel, user=user):
                self.assertLess(response.status_code, 500, url)
            for name in RECORDS:
                if name not in sees:
                    with self.subTest(channel=channel, user=user, record=name):
                        self.assertNotIn(token(name), html, url)

    # --- the table itself ---------------------------------------------------------------

    def test_the_table_is_the_policy(self):
        for user, sees in SEES.items():
            seen = {
                name
                for name, record in self.records.items()
                if access.can_view_in_admin(self.users[user], record)
            }
            self.assertEqual(seen, sees, user)

    def test_every_admin_id_is_known(self):
        unknown = set()
        for route, name, keywords in admin_patterns():
            for keyword in keywords:
                # ``pk`` elsewhere is a user, group, snippet, site, workflow…
                if kind_of(name, keyword) is None and keyword not in UNRELATED_KWARGS | {"pk"}:
                    unknown.add((route, keyword))
        self.assertEqual(unknown, set(), "classify these admin URL arguments")

    # --- every admin URL that names a page or a file -------------------------------------

    def url_kwargs(self, name, keywords, record_name):
        record = DocumentPage.objects.get(pk=self.records[record_name].pk)
        state = WorkflowState.objects.filter(object_id=str(record.pk)).order_by("-pk").first()
        task_state = state.current_task_state if state else None
        values = {
            "revision_id": record.latest_revision_id,
            "revision_id_a": "earliest",
            "revision_id_b": "latest",
            "task_state_id": task_state.pk if task_state else 999999,
            "workflow_state_id": state.pk if state else 999999,
            "task_id": Task.objects.first().pk,
            "action_name": "approve",
            "content_type_app_name": "docs_library",
            "content_type_model_name": "documentpage",
            "app_label": "docs_library",
            "model_name": "documentpage",
            "object_id": record.pk,
            "session_id": 999999,
            "action": "delete",
        }
        kwargs = {}
        for keyword in keywords:
            kind = kind_of(name, keyword)
            if kind == "page":
                kwargs[keyword] = record.pk
            elif kind == "file":
                kwargs[keyword] = self.files[record_name].pk
            elif keyword in values:
                kwargs[keyword] = values[keyword]
            else:
                return None  # an id of something else: not a record's URL
        return kwargs

    def record_urls(self, record_name):
        urls = []
        for _route, name, keywords in admin_patterns():
            if not any(kind_of(name, keyword) for keyword in keywords):
                continue
            kwargs = self.url_kwargs(name, keywords, record_name)
            if kwargs is None:
                continue
            if name == "wagtail_bulk_action":
                kwargs.update(app_label="wagtailcore", model_name="page")
            url = reverse(name, kwargs=kwargs)
            if name == "wagtail_bulk_action":
                for action in ("delete", "move", "publish", "unpublish"):
                    urls.append(
                        reverse(name, kwargs={**kwargs, "action": action})
                        + f"?id={self.records[record_name].pk}"
                    )
                continue
            urls.append(url)
        return urls

    def test_record_urls(self):
        checked = 0
        for record_name in RECORDS:
            urls = self.record_urls(record_name)
            for user, sees in SEES.items():
                self.as_user(user)
                for url in urls:
                    response = self.client.get(url)
                    checked += 1
                    with self.subTest(url=url, user=user):
                        self.assertLess(response.status_code, 500)
                        if record_name in sees:
                            continue
                        self.assertNotIn(token(record_name), self.body(response))
                        if response.status_code == 302:  # no admin access at all
                            self.assertTrue(
                                response.url.startswith(("/admin/login/", "/admin/")), url
                            )
                        else:
                            self.assertEqual(response.status_code, 404)
        self.assertGreater(checked, 500)  # the registry gave the URLs it should

    def test_a_record_the_user_may_see_opens_in_the_editor(self):
        for user, record_name in (
            ("district_editor", "organisation"),
            ("district_editor", "draft"),
            ("district_manager", "restricted"),
            ("region_manager", "restricted"),
            ("primary_editor", "blocked"),
            ("superuser", "blocked_restricted"),
        ):
            self.as_user(user)
            response = self.client.get(
                reverse("wagtailadmin_pages:edit", args=[self.records[record_name].pk])
            )
            with self.subTest(user=user, record=record_name):
                self.assertEqual(response.status_code, 200)
                self.assertIn(token(record_name), self.body(response))

    def test_a_hidden_record_answers_404_in_the_editor(self):
        for user, record_name in (
            ("district_editor", "restricted"),
            ("district_reviewer", "restricted"),
            ("region_manager", "blocked"),
            ("region_manager", "blocked_restricted"),
            ("sibling_editor", "organisation"),
        ):
            self.as_user(user)
            for view in ("edit", "view_draft", "history", "usage", "copy", "delete"):
                url = reverse(f"wagtailadmin_pages:{view}", args=[self.records[record_name].pk])
                with self.subTest(user=user, record=record_name, view=view):
                    self.assertEqual(self.client.get(url).status_code, 404)

    # --- searches, choosers, listings, reports, API, dashboard ---------------------------

    def test_searches_and_choosers(self):
        for channel, url in (
            ("page search", "/admin/pages/search/?q=Шешім"),
            ("page chooser search", "/admin/choose-page/search/?q=Шешім"),
            ("document listing", "/admin/documents/"),
            ("document search", "/admin/documents/?q=Файл"),
            ("document chooser", "/admin/documents/chooser/"),
            ("document chooser search", "/admin/documents/chooser/?q=Файл"),
        ):
            self.check_listing(channel, url)

    def test_an_editor_finds_what_they_may_see(self):
        self.as_user("district_editor")
        html = self.body(self.client.get("/admin/pages/search/?q=Шешім"))
        self.assertIn(token("organisation"), html)
        html = self.body(self.client.get("/admin/documents/?q=Файл"))
        self.assertIn(token("organisation"), html)
        html = self.body(self.client.get("/admin/documents/chooser/?q=Файл"))
        self.assertIn(token("organisation"), html)

    def test_explorer_and_page_chooser(self):
        for key, library in self.libraries.items():
            explorer = reverse("wagtailadmin_explore", args=[library.pk])
            self.check_listing(f"explorer {key}", explorer)
            self.check_listing(
                f"page chooser {key}", reverse("wagtailadmin_choose_page_child", args=[library.pk])
            )
            self.check_listing(
                f"page type usage {key}",
                reverse("wagtailadmin_pages:type_use", args=["docs_library", "documentpage"]),
            )

    def test_admin_api(self):
        api = "/admin/api/main/"
        self.check_listing("api pages", f"{api}pages/?search=Шешім")
        self.check_listing("api documents", f"{api}documents/")
        for library in self.libraries.values():
            self.check_listing(
                "api children", f"{api}pages/?child_of={library.pk}&for_explorer=1&fields=title"
            )

    def test_reports_and_dashboard(self):
        self.check_listing("dashboard", reverse("wagtailadmin_home"))
        reports = [
            name
            for _route, name, keywords in admin_patterns()
            if name.startswith("wagtailadmin_reports:") and not keywords
        ]
        self.assertGreaterEqual(len(reports), 10)  # site history, aging pages, workflows…
        for name in reports:
            self.check_listing(name, reverse(name))

    def test_lock_and_recent_edits_panels_forget_what_was_taken_away(self):
        """An editor who locked and edited a record, then lost access to it."""
        record = Page.objects.get(pk=self.records["organisation"].pk)
        user = self.users["district_editor"]
        record.locked, record.locked_by, record.locked_at = True, user, timezone.now()
        record.save(update_fields=["locked", "locked_by", "locked_at"])
        self.as_user("district_editor")
        self.client.post(
            reverse("wagtailadmin_pages:edit", args=[record.pk]),
            edit_data(record.specific, main_file=self.files["organisation"].pk),
        )
        self.assertIn(token("organisation"), self.body(self.client.get("/admin/")))
        roles.revoke(roles.EDITOR, user, self.district)
        roles.grant(roles.EDITOR, user, self.sibling)  # still an editor, elsewhere
        html = self.body(self.client.get("/admin/"))
        self.assertNotIn(token("organisation"), html)

    def test_the_dashboard_counts_only_pages_the_user_may_see(self):
        from django.test import RequestFactory

        from docs_library.admin.access import VisiblePagesSummaryItem

        request = RequestFactory().get("/admin/")
        request.user = self.users["district_editor"]
        context = VisiblePagesSummaryItem(request).get_context_data({})
        under = Page.objects.descendant_of(context["root_page"], inclusive=True)
        hidden = [
            name
            for name in RECORDS
            if name not in SEES["district_editor"]
            and under.filter(pk=self.records[name].pk).exists()
        ]
        self.assertEqual(set(hidden), {"restricted", "blocked", "blocked_restricted"})
        self.assertEqual(context["total_pages"], under.count() - len(hidden))
