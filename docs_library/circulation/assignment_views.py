"""The assignments' pages on the public site: issuing one from a record, an
executor's page with its report, and the author's page with every execution.

Who may do what is asked of ``docs_library.access`` (``may_issue_assignment``,
``may_report``, ``may_decide``); anyone else gets 404, as on the rest of the
site. Bad input and steps the state no longer allows come back as messages
from ``assignments``, and nothing is saved.
"""

import contextlib
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wagtail.models import Page

from .. import access
from ..models import Assignment, DocumentPage, Execution, ExtensionRequest
from . import assignments


class OrganisationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.specific.display_name


class OrganisationsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.specific.display_name


class IssueForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What is to be done"),
        max_length=4000,
        widget=forms.Textarea({"rows": 4}),
    )
    deadline = forms.DateField(
        label=gettext_lazy("Deadline"), widget=forms.DateInput({"type": "date"}, "%Y-%m-%d")
    )
    report_required = forms.BooleanField(
        label=gettext_lazy("A report is required"), required=False, initial=True
    )
    executors = OrganisationsChoice(
        label=gettext_lazy("Executor organisations"),
        queryset=Page.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": gettext_lazy(
                "An executor must be an organisation below the record's organisation."
            )
        },
    )
    responsible = OrganisationChoice(
        label=gettext_lazy("Responsible executor"),
        queryset=Page.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy("The responsible executor must be one of the executors.")
        },
    )
    submission = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, record, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = assignments.executor_choices(record)
        self.fields["executors"].queryset = choices
        self.fields["responsible"].queryset = choices
        self.fields["submission"].initial = uuid.uuid4()

    def clean_deadline(self):
        """Said next to the field here; ``assignments.issue`` refuses it again."""
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise ValidationError(_("The deadline cannot be in the past."))
        return deadline


class ReportForm(forms.Form):
    report = forms.CharField(
        label=gettext_lazy("What was done"),
        required=False,
        max_length=4000,
        widget=forms.Textarea({"rows": 4}),
    )


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )


class ExtensionForm(forms.Form):
    new_deadline = forms.DateField(
        label=gettext_lazy("New deadline"), widget=forms.DateInput({"type": "date"}, "%Y-%m-%d")
    )
    reason = forms.CharField(
        label=gettext_lazy("Why it is needed"),
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )


def _say(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def issue(request, record_id):
    record = get_object_or_404(DocumentPage.objects.select_related("organisation"), pk=record_id)
    if not access.may_issue_assignment(request.user, record):
        raise Http404
    form = IssueForm(record, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment, created = assignments.issue(
                record,
                request.user,
                text=data["text"],
                deadline=data["deadline"],
                executors=data["executors"],
                responsible=data["responsible"],
                report_required=data["report_required"],
                submission=data["submission"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(request, _("The assignment is issued."))
            else:
                messages.info(request, _("This assignment was issued already."))
            return redirect(reverse("circulars:assignment", args=[assignment.pk]))
    return TemplateResponse(
        request,
        "docs_library/assignments/issue.html",
        {"record": record, "form": form, "today": timezone.localdate()},
    )


def _assignment_for_author(request, assignment_id) -> Assignment:
    assignment = get_object_or_404(
        Assignment.objects.select_related("record", "organisation", "responsible"),
        pk=assignment_id,
    )
    if not access.may_decide(request.user, assignment):
        raise Http404
    return assignment


@login_required
def assignment(request, assignment_id):
    """The author's page: every executor's state, report and overdue mark."""
    assignment = _assignment_for_author(request, assignment_id)
    today = timezone.localdate()
    executions = [
        {"execution": execution, "overdue": execution.is_overdue(today)}
        for execution in assignments.executions_of(assignment)
    ]
    return TemplateResponse(
        request,
        "docs_library/assignments/assignment.html",
        {
            "assignment": assignment,
            "record": assignment.record,
            "executions": executions,
            "totals": assignments.counts([assignment], today).get(assignment.pk, {}),
            "form": DecisionForm(),
            "extensions": assignments.open_extensions(assignment),
        },
    )


@login_required
@require_POST
def decide(request, execution_id):
    execution = get_object_or_404(
        Execution.objects.select_related("assignment", "assignment__record", "organisation"),
        pk=execution_id,
    )
    if not access.may_decide(request.user, execution.assignment):
        raise Http404
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        if request.POST.get("decision") == "return":
            assignments.return_for_rework(execution, request.user, comment)
            messages.success(request, _("The report is returned to the executor."))
        else:
            assignments.accept(execution, request.user, comment)
            messages.success(request, _("The report is accepted."))
    except ValidationError as error:
        _say(request, error)
    return redirect(reverse("circulars:assignment", args=[execution.assignment_id]))


def _execution_for_executor(request, execution_id) -> Execution:
    execution = get_object_or_404(
        Execution.objects.select_related(
            "assignment", "assignment__record", "assignment__organisation", "organisation"
        ),
        pk=execution_id,
    )
    if not access.may_report(request.user, execution):
        raise Http404
    return execution


@login_required
def execution(request, execution_id):
    """The executor's page: the assignment, its record, and the report form."""
    execution = _execution_for_executor(request, execution_id)
    return TemplateResponse(
        request,
        "docs_library/assignments/execution.html",
        {
            "execution": execution,
            "assignment": execution.assignment,
            "record": execution.assignment.record,
            "organisation": execution.organisation.specific,
            "overdue": execution.is_overdue(),
            "form": ReportForm(),
            "extension_form": ExtensionForm(),
            "extensions": execution.extension_requests.order_by("-pk")[:5],
        },
    )


@login_required
@require_POST
def start(request, execution_id):
    execution = _execution_for_executor(request, execution_id)
    # Taken in hand already, or past that: nothing to say.
    with contextlib.suppress(ValidationError):
        assignments.start(execution, request.user)
    return redirect(reverse("circulars:execution", args=[execution.pk]))


@login_required
@require_POST
def report(request, execution_id):
    execution = _execution_for_executor(request, execution_id)
    form = ReportForm(request.POST)
    text = form.cleaned_data["report"] if form.is_valid() else ""
    try:
        assignments.report(execution, request.user, text)
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, _("Your report is sent to the author."))
    return redirect(reverse("circulars:execution", args=[execution.pk]))


@login_required
@require_POST
def ask_extension(request, execution_id):
    """The executor asks for a new deadline (``assignments.ask_extension``)."""
    execution = _execution_for_executor(request, execution_id)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    else:
        try:
            assignments.ask_extension(
                execution,
                request.user,
                form.cleaned_data["new_deadline"],
                form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _say(request, error)
        else:
            messages.success(request, _("Your request for a new deadline is sent to the author."))
    return redirect(reverse("circulars:execution", args=[execution.pk]))


@login_required
@require_POST
def answer_extension(request, request_id):
    """The author grants or refuses a new deadline (``assignments.answer_extension``)."""
    extension = get_object_or_404(
        ExtensionRequest.objects.select_related(
            "execution", "execution__assignment", "execution__assignment__record"
        ),
        pk=request_id,
    )
    assignment = extension.execution.assignment
    if not access.may_decide(request.user, assignment):
        raise Http404
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    grant = request.POST.get("decision") == "grant"
    try:
        assignments.answer_extension(extension, request.user, grant, comment)
    except ValidationError as error:
        _say(request, error)
    else:
        if grant:
            messages.success(request, _("The new deadline is granted."))
        else:
            messages.success(request, _("The new deadline is refused."))
    return redirect(reverse("circulars:assignment", args=[assignment.pk]))
