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
from django.contrib.auth import get_user_model
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
from .circulars import organisation_names


class OrganisationsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.specific.display_name


class PeopleChoice(forms.ModelMultipleChoiceField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counted_under = {}  # person id → the organisation's name they count under

    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.get_username()
        counted = self.counted_under.get(obj.pk)
        return f"{name} ({counted})" if counted else name


#: How a named person is chosen as the responsible executor (organisations are their id).
PERSON_PREFIX = "person-"


class IssueForm(forms.Form):
    """An assignment on a record, or a sub-assignment passed down from ``parent``
    (an execution): to organisations below the issuing one and to named people."""

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
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": gettext_lazy(
                "An executor must be an organisation below the record's organisation."
            )
        },
    )
    people = PeopleChoice(
        label=gettext_lazy("Executors by name"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "People holding a role in the issuing organisation or below it who may "
            "read the record. Each executes and reports themselves."
        ),
        error_messages={
            "invalid_choice": gettext_lazy(
                "A person named as an executor must hold a role in the issuing "
                "organisation or below it and be able to read the record."
            )
        },
    )
    responsible = forms.ChoiceField(
        label=gettext_lazy("Responsible executor"),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy("The responsible executor must be one of the executors.")
        },
    )
    submission = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, record, *args, parent=None, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = parent.organisation if parent is not None else record.organisation
        choices = assignments.executor_choices(record, organisation)
        self.fields["executors"].queryset = choices
        if parent is not None:
            self.fields["executors"].error_messages["invalid_choice"] = _(
                "An executor must be an organisation below the executor organisation."
            )
        named = access.nameable_people(organisation, record) if organisation else {}
        names = organisation_names(set(named.values()))
        people = self.fields["people"]
        people.queryset = (
            get_user_model()
            .objects.filter(pk__in=[u.pk for u in named])
            .order_by("last_name", "first_name", "username")
        )
        people.counted_under = {
            user.pk: names[unit].display_name for user, unit in named.items() if unit in names
        }
        self.fields["responsible"].choices = [
            ("", "—"),
            (
                _("Organisations"),
                [(str(page.pk), page.specific.display_name) for page in choices],
            ),
            (
                _("People"),
                [(f"{PERSON_PREFIX}{user.pk}", people.label_from_instance(user)) for user in named],
            ),
        ]
        self.fields["submission"].initial = uuid.uuid4()
        self.parent = parent

    def clean_deadline(self):
        """Said next to the field here; ``assignments.issue`` refuses it again."""
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise ValidationError(_("The deadline cannot be in the past."))
        if self.parent is not None and deadline > self.parent.due_on:
            raise ValidationError(
                _(
                    "The deadline cannot be later than the deadline of the assignment "
                    "it is passed down from (%(date)s)."
                )
                % {"date": self.parent.due_on.strftime("%d.%m.%Y")}
            )
        return deadline

    def clean(self):
        data = super().clean()
        executors, people = data.get("executors") or [], data.get("people") or []
        if "executors" in data and "people" in data and not executors and not people:
            self.add_error(
                "executors", _("Choose at least one executor: an organisation or a person.")
            )
        chosen = data.get("responsible") or ""
        if chosen.startswith(PERSON_PREFIX):
            found = [u for u in people if str(u.pk) == chosen.removeprefix(PERSON_PREFIX)]
        elif chosen:
            found = [page for page in executors if str(page.pk) == chosen]
        else:
            found = [None]
        if not found:
            self.add_error(
                "responsible", _("The responsible executor must be one of the executors.")
            )
        data["responsible"] = found[0] if found else None
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files in one field (Django's documented way)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(FilesField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class ReportForm(forms.Form):
    report = forms.CharField(
        label=gettext_lazy("What was done"),
        required=False,
        max_length=4000,
        widget=forms.Textarea({"rows": 4}),
    )
    files = FilesField(
        label=gettext_lazy("Files"),
        required=False,
        help_text=gettext_lazy(
            "PDF, DOCX, ODT, TXT, PNG, JPEG or TIFF. Each file becomes a record of the "
            "organisation's library, as open as the assignment's record."
        ),
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
    return _issue_page(request, record)


def _issue_page(request, record, parent=None):
    """The issuing form, for an assignment on ``record`` or one passed down from ``parent``."""
    form = IssueForm(record, request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment, created = assignments.issue(
                record,
                request.user,
                text=data["text"],
                deadline=data["deadline"],
                executors=data["executors"],
                people=data["people"],
                responsible=data["responsible"],
                report_required=data["report_required"],
                submission=data["submission"],
                parent=parent,
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
        {"record": record, "form": form, "today": timezone.localdate(), "parent": parent},
    )


@login_required
def pass_on(request, execution_id):
    """A sub-assignment passed down from an organisation's execution (``access.may_pass_on``)."""
    execution = get_object_or_404(
        Execution.objects.select_related(
            "assignment", "assignment__record", "assignment__organisation", "organisation"
        ),
        pk=execution_id,
    )
    if not access.may_pass_on(request.user, execution):
        raise Http404
    return _issue_page(request, execution.assignment.record, parent=execution)


def _assignment_for_author(request, assignment_id) -> Assignment:
    assignment = get_object_or_404(
        Assignment.objects.select_related(
            "record",
            "organisation",
            "responsible",
            "responsible_person",
            "parent",
            "parent__organisation",
            "parent__assignment",
        ),
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
    rows = list(assignments.executions_of(assignment))
    files = assignments.files_of(rows, request.user)
    subs = assignments.sub_assignments_of(rows, today)
    executions = [
        {
            "execution": execution,
            "overdue": execution.is_overdue(today),
            "responsible": _is_responsible(assignment, execution),
            "files": files.get(execution.pk, []),
            "sub_assignments": subs.get(execution.pk, []),
        }
        for execution in rows
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


def _responsible_name(assignment) -> str:
    if assignment.responsible_person_id:
        person = assignment.responsible_person
        return person.get_full_name() or person.get_username()
    if assignment.responsible_id:
        return assignment.responsible.specific.display_name
    return ""


def _execution_for_executor(request, execution_id) -> Execution:
    execution = get_object_or_404(
        Execution.objects.select_related(
            "assignment",
            "assignment__record",
            "assignment__organisation",
            "assignment__responsible",
            "assignment__responsible_person",
            "organisation",
            "person",
            "person_organisation",
        ),
        pk=execution_id,
    )
    if not access.may_report(request.user, execution):
        raise Http404
    return execution


def _is_responsible(assignment, execution) -> bool:
    if execution.person_id:
        return assignment.responsible_person_id == execution.person_id
    return assignment.responsible_id == execution.organisation_id


@login_required
def execution(request, execution_id):
    """The executor's page: the assignment, its record, the sub-assignments passed
    down from it, and the report form."""
    execution = _execution_for_executor(request, execution_id)
    assignment = execution.assignment
    return TemplateResponse(
        request,
        "docs_library/assignments/execution.html",
        {
            "execution": execution,
            "assignment": assignment,
            "record": assignment.record,
            "organisation": (execution.organisation or execution.person_organisation).specific,
            "executor": execution.executor_name,
            "responsible": _is_responsible(assignment, execution),
            "responsible_name": _responsible_name(assignment),
            "overdue": execution.is_overdue(),
            "files": assignments.files_of([execution], request.user).get(execution.pk, []),
            "sub_assignments": assignments.sub_assignments_of([execution]).get(execution.pk, []),
            "may_pass_on": access.may_pass_on(request.user, execution),
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
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(reverse("circulars:execution", args=[execution.pk]))
    try:
        assignments.report(
            execution, request.user, form.cleaned_data["report"], form.cleaned_data["files"]
        )
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
