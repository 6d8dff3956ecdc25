from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access

from cms.api import urlpatterns as api_urlpatterns
from docs_library.admin.access import PageTypesUsageView
from docs_library.admin.upload import AddDocumentsView
from docs_library.feeds import LatestDocumentsFeed, LatestDocumentsRssFeed
from docs_library.files import views as docs_library_views
from home.feeds import AnnouncementsFeed, AnnouncementsRssFeed
from home.sitemaps import sitemap
from home.two_factor_views import urlpatterns as two_factor_urlpatterns
from home.views import FaviconView, robots_txt

RSS_FEEDS = {LatestDocumentsFeed: LatestDocumentsRssFeed, AnnouncementsFeed: AnnouncementsRssFeed}


def feed_paths(route, atom_feed, name, **kwargs):
    """A feed in Atom at ``route`` (named ``name``) and in RSS 2.0 at ``route`` + rss/
    (named ``name`` + _rss). Each request gets its own feed object: the feeds keep
    the request on it, and one shared object would mix up concurrent requests."""

    def view(feed_class):
        return lambda request, *args, **kwargs: feed_class()(request, *args, **kwargs)

    return [
        path(route, view(atom_feed), kwargs, name=name),
        path(f"{route}rss/", view(RSS_FEEDS[atom_feed]), kwargs, name=f"{name}_rss"),
    ]


urlpatterns = [
    # Ahead of Wagtail's own view at this address: no document file in public media.
    path(
        "admin/documents/multiple/add/",
        require_admin_access(AddDocumentsView.as_view()),
        name="sandyq_add_documents",
    ),
    # Ahead of Wagtail's report: it names every type's last edited page, hidden or not.
    path(
        "admin/reports/page-types-usage/",
        require_admin_access(PageTypesUsageView.as_view()),
        name="sandyq_page_types_usage",
    ),
    path(
        "admin/reports/page-types-usage/results/",
        require_admin_access(PageTypesUsageView.as_view(results_only=True)),
        name="sandyq_page_types_usage_results",
    ),
    path("admin/", include(wagtailadmin_urls)),
    # The read API: what each caller may see, as access.py answers (cms/api.py).
    path("api/v2/", include(api_urlpatterns())),
    # Every stored file goes through docs_library's views, which ask the access policy.
    path(
        "documents/<int:document_id>/<str:document_filename>",
        docs_library_views.serve_document,
        name="wagtaildocs_serve",
    ),
    path("documents/", include("docs_library.files.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("sitemap-<str:section>.xml", sitemap, name="sitemap_section"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
]

urlpatterns += i18n_patterns(
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include(two_factor_urlpatterns)),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset_form.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    # Each feed in Atom at its address and in RSS 2.0 at the same address + rss/.
    *feed_paths("feeds/documents/", LatestDocumentsFeed, "documents_feed"),
    *feed_paths("feeds/documents/<int:library_id>/", LatestDocumentsFeed, "library_feed"),
    *feed_paths(
        "feeds/documents/organisation/<int:organisation_id>/",
        LatestDocumentsFeed,
        "organisation_documents_feed",
    ),
    *feed_paths(
        "feeds/documents/organisation/<int:organisation_id>/own/",
        LatestDocumentsFeed,
        "organisation_own_documents_feed",
        own=True,
    ),
    *feed_paths(
        "feeds/documents/type/<str:document_type>/", LatestDocumentsFeed, "document_type_feed"
    ),
    *feed_paths(
        "feeds/documents/organisation/<int:organisation_id>/type/<str:document_type>/",
        LatestDocumentsFeed,
        "organisation_document_type_feed",
    ),
    *feed_paths("feeds/announcements/", AnnouncementsFeed, "announcements_feed"),
    *feed_paths(
        "feeds/announcements/<int:organisation_id>/",
        AnnouncementsFeed,
        "organisation_announcements_feed",
    ),
    *feed_paths(
        "feeds/announcements/<int:organisation_id>/own/",
        AnnouncementsFeed,
        "organisation_own_announcements_feed",
        own=True,
    ),
    path("", include("search.urls")),
    path("circulars/", include("docs_library.circulation.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) + urlpatterns

# In the language of the address, with the search box and a way back (home/views.py).
handler404 = "home.views.page_not_found"
