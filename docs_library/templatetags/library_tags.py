from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from home import page_cache

from ..access import viewable
from ..models import DocumentPage

register = template.Library()

LATEST_DOCUMENTS = 5


@register.simple_tag(takes_context=True)
def latest_documents(context, organisation, limit=LATEST_DOCUMENTS):
    """The newest records anywhere under ``organisation`` that the reader may open;
    for signed-out readers the same for all, so from the page cache's fragments."""
    request = context.get("request")

    def render():
        records = DocumentPage.objects.live().current().descendant_of(organisation)
        records = viewable(request.user, records) if request else records.none()
        return render_to_string(
            "docs_library/includes/latest_documents.html",
            {"documents": records.order_by("-document_date", "-pk")[:limit], "request": request},
        )

    if request is None or request.user.is_authenticated:
        return mark_safe(render())  # noqa: S308 - our template's HTML
    parts = (request.get_host(), translation.get_language(), organisation.pk, limit)
    return mark_safe(page_cache.fragment(request, "latest_documents", parts, render))  # noqa: S308
