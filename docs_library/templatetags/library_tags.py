from django import template

from ..access import viewable
from ..models import DocumentPage

register = template.Library()

LATEST_DOCUMENTS = 5


@register.inclusion_tag("docs_library/includes/latest_documents.html", takes_context=True)
def latest_documents(context, organisation, limit=LATEST_DOCUMENTS):
    """The newest records anywhere under ``organisation`` that the reader may open."""
    request = context.get("request")
    records = DocumentPage.objects.live().current().descendant_of(organisation)
    records = viewable(request.user, records) if request else records.none()
    return {
        "documents": records.order_by("-document_date", "-pk")[:limit],
        "request": request,
    }
