"""Approval routes (лист согласования / келісу парағы) on Wagtail's workflow engine.

A route is a Wagtail ``Workflow``; its steps are its tasks, in sequence. A
``ParallelApprovalTask`` is one step taken by a group of approvers in parallel:
named people and/or the holders of a role granted on the record's own
organisation. It completes only when every approver has approved; any of them
returns the record with a comment, which ends the workflow as Wagtail's own
rejection does. Each decision is an ``ApprovalDecision`` row next to Wagtail's
``TaskState``; the approval sheet is read back from both.

``ApprovalRoute`` chooses a workflow by organisation subtree and document type;
where none matches, Wagtail's own assignment (``WorkflowPage``: the review
workflow on the root, migration 0004) stands. Who approves is asked of
``docs_library.access.may_approve`` through ``services``.
"""

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.models import Page, Task, TaskState, Workflow

from home import roles

from .lifecycle import RequestChangesForm
from .records import DocumentType
from .services import services

ROLE_CHOICES = [(role.code, role.name) for role in roles.ROLES]


class ParallelApprovalTask(Task):
    """One step of an approval route: every approver of the group must approve."""

    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approvers"),
        blank=True,
        related_name="+",
        help_text=_("Named people; each of them must approve."),
    )
    role = models.CharField(
        _("and the holders of the role"),
        max_length=20,
        choices=ROLE_CHOICES,
        blank=True,
        help_text=_(
            "Everyone granted this role on the record's own organisation must approve too."
        ),
    )
    due_days = models.PositiveIntegerField(
        _("due in (days)"),
        default=3,
        help_text=_("Days from the start of this step to its due date."),
    )

    admin_form_fields = [*Task.admin_form_fields, "approvers", "role", "due_days"]
    admin_form_widgets = {"approvers": forms.CheckboxSelectMultiple}

    class Meta:
        verbose_name = _("Parallel approval step")
        verbose_name_plural = _("Parallel approval steps")

    @classmethod
    def get_description(cls):
        return _(
            "A group of approvers, in parallel: the step completes when all of them have "
            "approved; any of them may return the document with a comment."
        )

    def due_date(self, task_state) -> datetime.date:
        return timezone.localdate(task_state.started_at) + datetime.timedelta(days=self.due_days)

    def _may(self, user, obj) -> bool:
        return services.may_approve(user, self, obj)

    def user_can_access_editor(self, obj, user):
        return self._may(user, obj)

    def locked_for_user(self, obj, user):
        return not self._may(user, obj)

    def user_can_lock(self, obj, user):
        return self._may(user, obj)

    def get_actions(self, obj, user):
        if not self._may(user, obj):
            return []
        task_state = obj.current_workflow_task_state
        if task_state and self.decisions_of(task_state).filter(user=user).exists():
            return []  # decided already: the others are awaited
        return [
            ("reject", _("Return with comment"), True),
            ("approve", _("Approve"), False),
            ("approve", _("Approve with comment"), True),
        ]

    def get_form_for_action(self, action):
        if action == "reject":
            return RequestChangesForm
        return super().get_form_for_action(action)

    @staticmethod
    def decisions_of(task_state):
        return ApprovalDecision.objects.filter(task_state_id=task_state.pk)

    def on_action(self, task_state, user, action_name, **kwargs):
        record = task_state.workflow_state.content_object
        if not self._may(user, record):
            raise PermissionDenied  # no path (an API, a script) approves without the rule
        comment = kwargs.get("comment", "") or ""
        with transaction.atomic():
            # One approver at a time per step: the last "all approved" is seen once.
            task_state = TaskState.objects.select_for_update().get(pk=task_state.pk)
            if task_state.status != TaskState.STATUS_IN_PROGRESS:
                return None
            decision, created = ApprovalDecision.objects.get_or_create(
                task_state=task_state,
                user=user,
                defaults={"decision": action_name_to_decision(action_name), "comment": comment},
            )
            if not created:
                return None
            if decision.decision == ApprovalDecision.RETURNED:
                task_state.reject(user=user, comment=comment)
            elif services.approvers_done(self, record, task_state):
                task_state.approve(user=user, comment=comment)
        return None

    def _might_approve(self, user) -> bool:
        """Cheap first answer for every admin's dashboard: named here, holding the
        step's role somewhere, or a superuser (who stands in for an empty group)."""
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser or self.approvers.filter(pk=user.pk).exists():
            return True
        return bool(self.role) and any(
            grant.role.code == self.role for grant in roles.principal(user).grants
        )

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if not self._might_approve(user):
            return states.none()
        pages = Page.objects.in_bulk(
            {int(pk) for pk in states.values_list("workflow_state__object_id", flat=True)}
        )
        allowed = [
            state_id
            for state_id, object_id in states.values_list("pk", "workflow_state__object_id")
            if int(object_id) in pages and self._may(user, pages[int(object_id)].specific)
        ]
        return states.filter(pk__in=allowed)


def action_name_to_decision(action_name: str) -> str:
    return ApprovalDecision.RETURNED if action_name == "reject" else ApprovalDecision.APPROVED


class ApprovalDecision(models.Model):
    """One approver's decision on one step of one run of a route: the sheet's lines."""

    APPROVED = "approved"
    RETURNED = "returned"
    DECISIONS = [(APPROVED, _("Approved")), (RETURNED, _("Returned with comment"))]

    task_state = models.ForeignKey(TaskState, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=10, choices=DECISIONS)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task_state", "user"],
                name="one_decision_per_approver_and_step",
                violation_error_message=_("This approver has decided on this step already."),
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.get_decision_display()}"


class ApprovalRoute(models.Model):
    """Which workflow a record goes through, by organisation subtree and document type.

    The most specific route wins: the nearest organisation (an empty one means
    the whole tree), then a route for the record's own type before one for any
    type. No route: Wagtail's ``WorkflowPage`` assignment (the default review).
    """

    organisation = models.ForeignKey(
        Page,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The route holds for this organisation and all below it; empty: everywhere."),
    )
    document_type = models.CharField(
        _("document type"),
        max_length=20,
        choices=DocumentType.choices,
        blank=True,
        help_text=_("Empty: every type."),
    )
    workflow = models.ForeignKey(
        Workflow, verbose_name=_("route"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [FieldPanel("organisation"), FieldPanel("document_type"), FieldPanel("workflow")]

    class Meta:
        verbose_name = _("approval route")
        verbose_name_plural = _("approval routes")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "document_type"],
                name="one_route_per_place_and_type",
                violation_error_message=_(
                    "This organisation already has a route for this document type."
                ),
            ),
            models.UniqueConstraint(
                fields=["document_type"],
                condition=Q(organisation__isnull=True),
                name="one_tree_wide_route_per_type",
                violation_error_message=_(
                    "There is already a route for this document type everywhere."
                ),
            ),
        ]

    def __str__(self):
        kind = DocumentType(self.document_type).label if self.document_type else _("every type")
        place = self.organisation.title if self.organisation_id else _("everywhere")
        return f"{place} · {kind} → {self.workflow.name}"
