"""One serving path for every stored file: current files, old versions, previews.

The views decide *whether* (through ``access``); this module decides *how*:
the file is streamed by Django with a download name the user gave it, never
sniffed by the browser, never run as a page.
"""

from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404

from home.views import page_not_found

from .. import access

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def ascii_fallback(filename: str) -> str:
    """A plain-ASCII name for old clients: «Шешім.pdf» must not become «.pdf»."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""

    def plain(text):
        return text.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")

    stem = plain(stem).strip(" .") or "document"
    extension = plain(extension).strip(" .")
    return f"{stem}.{extension}" if extension else stem


def content_disposition(filename: str, *, inline: bool) -> str:
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename)}"


def deny(request):
    """Signed-out visitors are asked to sign in; others learn nothing, not even existence:
    the site's own 404 page, also in development (see ``home.views.page_not_found``)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return page_not_found(request)


def serve_file(request, document, fieldfile, *, filename: str, mime: str):
    """Stream ``fieldfile`` of ``document`` if the user may see the document."""
    if not access.can_view(request.user, document):
        return deny(request)
    if not fieldfile:
        raise Http404
    try:
        handle = fieldfile.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=mime or "application/octet-stream")
    response["Content-Disposition"] = content_disposition(filename, inline=mime in INLINE_TYPES)
    response["Content-Length"] = fieldfile.size
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response
