from django.shortcuts import get_object_or_404, redirect

from ..access import can_view
from ..models import DocumentVersion, LibraryDocument
from .serving import deny, serve_file


def serve_document(request, document_id, document_filename):
    """The current file, at the URL that never changes (Wagtail's ``wagtaildocs_serve``).

    A link carrying an earlier file name (the type of the file changed) is
    sent on to the current one, once the reader is known to be allowed.
    """
    document = get_object_or_404(LibraryDocument, pk=document_id)
    if document.filename != document_filename:
        if not can_view(request.user, document):
            return deny(request)
        return redirect(document.url)
    return serve_file(
        request, document, document.file, filename=document.filename, mime=document.content_type
    )


def serve_version(request, document_id, number, filename):
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document"),
        document_id=document_id,
        number=number,
    )
    if version.original_filename != filename:
        if not can_view(request.user, version.document):
            return deny(request)
        return redirect(version.url)
    return serve_file(
        request,
        version.document,
        version.file,
        filename=version.original_filename,
        mime=version.mime_type,
    )


def serve_preview(request, document_id):
    document = get_object_or_404(LibraryDocument, pk=document_id)
    stem = document.filename.rsplit(".", 1)[0]
    return serve_file(request, document, document.preview, filename=f"{stem}.png", mime="image/png")
