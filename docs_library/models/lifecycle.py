"""The record's life as data: the review task of the default workflow and the
retention rules. What applies them is in ``docs_library.lifecycle.workflow``,
``docs_library.lifecycle.archive`` and ``docs_library.lifecycle.retention``.
"""

import datetime

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import Page, Task, TaskState

from .records import DocumentPage, DocumentType
from .services import services


class OrganisationReviewTask(Task):
    """A review step whose reviewers are found through ``home.roles`` (see the module)."""

    class Meta:
        verbose_name = _("Review by the organisation's reviewers")
        verbose_name_plural = _("Reviews by the organisation's reviewers")

    @classmethod
    def get_description(cls):
        return _(
            "The reviewers of the document's own organisation approve it; where it has "
            "none, those of the organisation above."
        )

    def user_can_access_editor(self, obj, user):
        return services.may_review(user, obj)

    def locked_for_user(self, obj, user):
        # What is under review is what the reviewer approves: nobody else edits it meanwhile.
        return not services.may_review(user, obj)

    def user_can_lock(self, obj, user):
        return services.may_review(user, obj)

    def get_actions(self, obj, user):
        if not services.may_review(user, obj):
            return []
        return [
            ("reject", _("Request changes"), True),
            ("approve", _("Approve"), False),
            ("approve", _("Approve with comment"), True),
        ]

    def get_form_for_action(self, action):
        if action == "reject":
            return RequestChangesForm
        return super().get_form_for_action(action)

    def on_action(self, task_state, user, action_name, **kwargs):
        # Wagtail's view asks get_actions first; asking again here means no
        # other path (an API, a script) approves without the role.
        if not services.may_review(user, task_state.workflow_state.content_object):
            raise PermissionDenied
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if user.is_superuser:
            return states
        if not services.reviews_somewhere(user):
            return states.none()  # every admin's dashboard asks: answer most without a query
        pages = Page.objects.in_bulk(
            {
                int(object_id)
                for object_id in states.values_list("workflow_state__object_id", flat=True)
            }
        )
        allowed = [
            state_id
            for state_id, object_id in states.values_list("pk", "workflow_state__object_id")
            if int(object_id) in pages and services.may_review(user, pages[int(object_id)])
        ]
        return states.filter(pk__in=allowed)


class RequestChangesForm(forms.Form):
    """Asking for changes says what to change: the comment is kept in the history."""

    comment = forms.CharField(
        label=_("What should be changed?"),
        required=True,
        widget=forms.Textarea({"rows": 3}),
    )


class CountedFrom(models.TextChoices):
    PUBLISHED = "published", _("first publication")
    DOCUMENT_DATE = "document_date", _("document date")
    DEADLINE = "deadline", _("response deadline (else the document date)")


class RetentionRule(models.Model):
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices, unique=True
    )
    archive_after_days = models.PositiveIntegerField(
        _("archive after (days)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to keep records of this type in the current listings."),
    )
    counted_from = models.CharField(
        _("counted from"), max_length=20, choices=CountedFrom.choices, default=CountedFrom.PUBLISHED
    )
    active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldPanel("document_type"),
        FieldRowPanel([FieldPanel("archive_after_days"), FieldPanel("counted_from")]),
        FieldPanel("active"),
    ]

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["document_type"]

    def __str__(self):
        return self.describe()

    def describe(self) -> str:
        kind = DocumentType(self.document_type).label
        if self.archive_after_days is None:
            return str(_("%(type)s: never archived") % {"type": kind})
        return str(
            _("%(type)s: archived %(days)s days after the %(start)s")
            % {
                "type": kind,
                "days": self.archive_after_days,
                "start": CountedFrom(self.counted_from).label,
            }
        )

    def due(self, now=None):
        """Published, current records of this type whose time in the listings is up."""
        if self.archive_after_days is None or not self.active:
            return DocumentPage.objects.none()
        now = now or timezone.now()
        today = timezone.localdate(now)
        days = datetime.timedelta(days=self.archive_after_days)
        records = DocumentPage.objects.live().current().filter(document_type=self.document_type)
        if self.counted_from == CountedFrom.PUBLISHED:
            return records.filter(first_published_at__lte=now - days)
        if self.counted_from == CountedFrom.DOCUMENT_DATE:
            return records.filter(document_date__lte=today - days)
        return records.filter(
            Q(response_deadline__lte=today - days)
            | Q(response_deadline__isnull=True, document_date__lte=today - days)
        )
