"""The approval route of a record as the admin's History panel shows it."""

from django import template

from docs_library.circulation.approval_sheet import runs_of

register = template.Library()


@register.simple_tag
def approval_progress(record):
    """The latest run of an approval route on ``record`` (steps, due dates, each
    approver's decision), as the approval sheet lists it; ``None`` before any
    (a review by the organisation's reviewers has its own history, below it)."""
    if record is None or not record.pk:
        return None
    runs = [run for run in runs_of(record) if any(step.due for step in run.steps)]
    return runs[-1] if runs else None
