"""Archive, restore and withdraw a published record.

*Archived* records stay published at their URL, with their files, under an
"Archived on …" banner; they leave the current listings (the library's
default view, organisation pages, feeds: ``DocumentPage.objects.current()``)
and stay in the library's archive view and in archive search
(``.archived()``; the search index has ``archived_at`` as a filter field).
An Editor, Reviewer or Manager of the record archives and restores it by
hand; ``apply_retention`` archives by rule (``retention``).

*Withdrawn* records are unpublished with a reason. Their URL does not answer
"not found" to those who could read the record: ``DocumentPage.route``
hands withdrawn records to ``serve_withdrawal_notice``, which shows the
reason (HTTP 410 Gone) to whoever the record would open for were it still
published (the access policy answers: ``access.could_view_before_withdrawal``),
and answers everyone else as for any unpublished record. The
files go with the publication: nobody but its editors can fetch them.
Withdrawal is Wagtail's unpublish, so it needs the right to unpublish
(Reviewers and Managers). Publishing the record again lifts it.

The three fields are kept out of revisions (``DocumentPage.with_content_json``)
so that publishing an older draft never undoes them.
"""

from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.search import index
from wagtail.signals import page_published

from home import page_cache
from home.models import breadcrumb

from ..access import could_view_before_withdrawal
from ..files.serving import deny
from ..models import DocumentPage


def _reindex(record_id: int) -> None:
    """Archive search filters on ``archived_at``; a queryset update does not reindex."""
    record = DocumentPage.objects.filter(pk=record_id).first()
    if record is not None:
        index.insert_or_update_object(record)


def archive(record, user=None, *, rule=None, when=None) -> bool:
    """Move a published record to the archive; False if it already was there.

    A queryset update, not a save: saving would recompute the record's access
    tokens, and for a circular to thousands of organisations that is work
    nothing here needs.
    """
    when = when or timezone.now()
    by = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        changed = DocumentPage.objects.filter(pk=record.pk, archived_at__isnull=True).update(
            archived_at=when, archived_by=by
        )
        if changed:
            data = {"rule": rule.describe()} if rule is not None else {}
            log(instance=record, action="sandyq.archive", user=by, data=data)
    if changed:
        record.archived_at, record.archived_by = when, by
        _reindex(record.pk)
        page_cache.purge(record)  # a queryset update: no signal says it
    return bool(changed)


def restore(record, user=None) -> bool:
    """Bring an archived record back to the current listings."""
    by = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        changed = DocumentPage.objects.filter(pk=record.pk, archived_at__isnull=False).update(
            archived_at=None, archived_by=None
        )
        if changed:
            log(instance=record, action="sandyq.restore", user=by)
    if changed:
        record.archived_at = record.archived_by = None
        _reindex(record.pk)
        page_cache.purge(record)
    return bool(changed)


def withdraw(record, user, reason: str) -> None:
    """Unpublish the record with a reason, leaving a notice at its URL.

    Raises Wagtail's ``UnpublishPagePermissionError`` when ``user`` may not
    unpublish it.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("A withdrawal needs a reason.")
    with transaction.atomic():
        record.withdrawn_at = timezone.now()
        record.withdrawn_by = user
        record.withdrawal_reason = reason
        # Wagtail's unpublish saves the whole row, the withdrawal fields with it.
        record.unpublish(user=user, log_action=False)
        log(instance=record, action="sandyq.withdraw", user=user, data={"reason": reason})


def lift_withdrawal(sender, instance, **kwargs):
    """Publishing a withdrawn record again ends its withdrawal."""
    if instance.withdrawn_at:
        DocumentPage.objects.filter(pk=instance.pk).update(
            withdrawn_at=None, withdrawn_by=None, withdrawal_reason=""
        )
        instance.withdrawn_at = instance.withdrawn_by = None
        instance.withdrawal_reason = ""


def serve_withdrawal_notice(request, record):
    """The notice at a withdrawn record's URL, for those who could read it."""
    if not could_view_before_withdrawal(request.user, record):
        return deny(request)

    return TemplateResponse(
        request,
        "docs_library/circulars/withdrawn.html",
        {
            "page": record,
            "self": record,
            "request": request,
            "breadcrumb": breadcrumb(record),
        },
        status=410,
    )


def connect_signals():
    page_published.connect(
        lift_withdrawal, sender=DocumentPage, dispatch_uid="sandyq_lift_withdrawal"
    )
