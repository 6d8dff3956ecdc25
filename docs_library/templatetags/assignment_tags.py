"""The record page's box of assignments: issuing one, and those the reader follows."""

from django import template

from .. import access
from ..circulation import assignments

register = template.Library()


@register.inclusion_tag("docs_library/assignments/_record_box.html", takes_context=True)
def assignments_box(context, page):
    user = context["request"].user
    return {
        "page": page,
        "may_issue": access.may_issue_assignment(user, page),
        "followed": assignments.followed_on(page, user) if user.is_authenticated else [],
    }
