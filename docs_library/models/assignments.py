"""Assignments (тапсырма / поручение): work an author sets on a record for
organisations below their own and for named people, and each executor's
execution of it.

One ``Assignment`` per issue, one ``Execution`` per executor: an organisation
or a named person, never both (a check constraint). A sub-assignment is an
``Assignment`` whose ``parent`` is the execution it was passed down from. The
files of a report are records of their own (``ReportFile`` ties each to its
execution).
What is done with them (issuing, reporting, accepting, returning, the lists)
is in ``docs_library.circulation.assignments``; who may do it in
``docs_library.access``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.models import Page

from .records import DocumentPage


class Assignment(models.Model):
    record = models.ForeignKey(DocumentPage, on_delete=models.CASCADE, related_name="assignments")
    # The organisation that issues it: the record's own, kept in case the record moves.
    organisation = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=4000)
    deadline = models.DateField()
    report_required = models.BooleanField(default=True)
    # The responsible executor: one of the executor organisations, or one of the named people.
    responsible = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A sub-assignment: the execution it was passed down from (its organisation issues it).
    parent = models.ForeignKey(
        "Execution",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sub_assignments",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)
    # The issuing form's one-time key: a second press of the button finds it taken.
    submission = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=F("issued_on")), name="assignment_deadline_not_past"
            ),
            models.CheckConstraint(
                condition=Q(responsible__isnull=True) | Q(responsible_person__isnull=True),
                name="assignment_one_responsible",
            ),
        ]

    def __str__(self):
        return f"{self.record_id}: {self.text[:40]}"


class ExecutionState(models.TextChoices):
    ISSUED = "issued", _("Issued")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


#: States in which the executor still owes a report (and may be overdue).
OPEN_STATES = (ExecutionState.ISSUED, ExecutionState.IN_PROGRESS, ExecutionState.RETURNED)


class Execution(models.Model):
    """One executor's execution of an assignment: an organisation's, or a named person's."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="executions")
    organisation = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A named person executes it themselves. Deleted with them, as an organisation's with
    # its page (deactivate people instead to keep their work counted).
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Where a named person is counted (discipline, journals): the organisation where they
    # hold a role nearest the issuing organisation (``access.nameable_people``).
    person_organisation = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=ExecutionState.choices, default=ExecutionState.ISSUED
    )
    report = models.TextField(blank=True, max_length=4000)
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True, max_length=2000)  # the author's, on returning
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # This executor's own deadline, set by a granted extension; else the assignment's.
    deadline = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "organisation"], name="one_execution_per_organisation"
            ),
            models.UniqueConstraint(
                fields=["assignment", "person"], name="one_execution_per_person"
            ),
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, person__isnull=True)
                | Q(organisation__isnull=True, person__isnull=False),
                name="execution_has_one_executor",
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=True) | Q(person_organisation__isnull=False),
                name="execution_person_counted_somewhere",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ExecutionState.values), name="execution_state_known"
            ),
            # Reported and accepted work has its report's time; accepted work its decision's.
            models.CheckConstraint(
                condition=~Q(state__in=[ExecutionState.REPORTED, ExecutionState.ACCEPTED])
                | Q(reported_at__isnull=False),
                name="execution_reported_has_report_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=ExecutionState.ACCEPTED) | Q(decided_at__isnull=False),
                name="execution_accepted_has_decision_time",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "state"], name="executions_to_do"),
            models.Index(fields=["person", "state"], name="executions_of_people"),
        ]

    def __str__(self):
        executor = self.organisation_id or f"person {self.person_id}"
        return f"{self.assignment_id} → {executor}: {self.state}"

    @property
    def unit_id(self):
        """The organisation this execution counts under: its own, or the named person's."""
        return self.organisation_id or self.person_organisation_id

    @property
    def executor_name(self) -> str:
        """The executor as pages show it: the organisation's name, or the person's."""
        if self.person_id:
            person = self.person
            return person.get_full_name() or person.get_username()
        return self.organisation.specific.display_name

    @property
    def due_on(self):
        """The deadline this executor works to: its own (extended) one, else the assignment's."""
        return self.deadline or self.assignment.deadline

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.state in OPEN_STATES and self.due_on < today


def unit_of(prefix: str = "", field: str = "id"):
    """The expression of an execution's organisation in queries (see ``Execution.unit_id``):
    ``field`` of the executor organisation, else of the named person's."""
    if field == "id":
        return Coalesce(f"{prefix}organisation_id", f"{prefix}person_organisation_id")
    return Coalesce(f"{prefix}organisation__{field}", f"{prefix}person_organisation__{field}")


def due_on(prefix: str = ""):
    """The expression of an execution's deadline in queries (see ``Execution.due_on``);
    ``prefix`` leads from the queried model to the execution (``"execution__"``)."""
    return Coalesce(f"{prefix}deadline", f"{prefix}assignment__deadline")


class ExtensionState(models.TextChoices):
    ASKED = "asked", _("Asked")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class ExtensionRequest(models.Model):
    """An executor's request for a new deadline, and the author's answer to it.
    At most one request per execution is open at a time, by a constraint."""

    execution = models.ForeignKey(
        Execution, on_delete=models.CASCADE, related_name="extension_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(max_length=2000)
    new_deadline = models.DateField()
    # The deadline when it was asked: what a grant moves the execution's deadline from.
    old_deadline = models.DateField()
    state = models.CharField(
        max_length=16, choices=ExtensionState.choices, default=ExtensionState.ASKED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True, max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["execution"],
                condition=Q(state="asked"),
                name="one_open_extension_request",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ExtensionState.values), name="extension_state_known"
            ),
            models.CheckConstraint(
                condition=Q(new_deadline__gt=F("old_deadline")), name="extension_moves_later"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="extension_has_reason"),
        ]

    def __str__(self):
        return f"{self.execution_id}: {self.new_deadline} ({self.state})"


class ReportFile(models.Model):
    """A file sent with a report: a record of its own (``DocumentPage`` with the file as
    its main file) in the executor organisation's library, at the access level of the
    assignment's record; the access policy decides who sees it as for any record."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="report_files")
    record = models.OneToOneField(DocumentPage, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.execution_id}: {self.record_id}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due in 3 days")
    OVERDUE = "overdue", _("Overdue")


class AssignmentReminder(models.Model):
    """A reminder sent about one execution: at most one of each kind, by a constraint,
    so the daily run never mails the same reminder twice."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(default=timezone.now)
    # The run that wrote the row: a run mails only the rows it wrote itself.
    run = models.UUIDField(editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["execution", "kind"], name="one_reminder_of_a_kind")
        ]

    def __str__(self):
        return f"{self.execution_id}: {self.kind}"


class DigestEntry(models.Model):
    """A mail about an assignment kept for a person's daily digest instead of being sent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "user"], name="digest_to_send")]

    def __str__(self):
        return f"{self.user_id}: {self.kind} {self.execution_id}"
