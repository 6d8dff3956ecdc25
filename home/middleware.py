from django.middleware.locale import LocaleMiddleware

# URLs that live outside the language prefixes (see cms/urls.py).
UNPREFIXED = ("/admin/", "/api/", "/documents/", "/i18n/", "/sitemap.xml", "/static/", "/media/")


class SandyqLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, minus its guess on unprefixed 404s.

    Django answers a 404 for ``/x/`` by redirecting to ``/kk/x/`` when that
    path resolves, and Wagtail's catch-all resolves every path. For the admin
    and file URLs that turned "not found" into a redirect: a 404 stays a 404.
    """

    def process_response(self, request, response):
        if response.status_code == 404 and request.path_info.startswith(UNPREFIXED):
            response.headers.setdefault("Content-Language", self._language(request))
            return response
        return super().process_response(request, response)

    @staticmethod
    def _language(request):
        return getattr(request, "LANGUAGE_CODE", "kk")
