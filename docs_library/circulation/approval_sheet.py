"""The approval sheet (лист согласования / келісу парағы) of a record, as a PDF.

Nothing is stored: the sheet is read back, every time, from what the workflow
engine keeps with the record for good — Wagtail's ``WorkflowState`` and
``TaskState`` rows (who submitted, each step, its status and final comment) and
our ``ApprovalDecision`` rows (each approver's decision, date and comment) — so
a sheet printed after the route finished is the same, byte for byte, as one
printed the next year (the PDF's creation date is the last event on it).

Drawn with fpdf2 in DejaVu Sans, which has every Kazakh letter (ә ғ қ ң ө ұ ү
һ і): Debian's ``fonts-dejavu-core`` where installed, else the copy the demo
data ships. Without either, ``SheetFontMissing`` says so; the view answers with
a translated page, never a PDF of empty boxes.
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from wagtail.models import TaskState, WorkflowState

from ..lifecycle.workflow import approvers_for, owning_organisation
from ..models import ApprovalDecision, DocumentType, ParallelApprovalTask

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian: fonts-dejavu-core
    Path(__file__).resolve().parent.parent / "demo_data" / "fonts" / "DejaVuSans.ttf",
)


class SheetFontMissing(RuntimeError):
    pass


def font_path() -> Path:
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise SheetFontMissing(
        "DejaVuSans.ttf was found at none of: " + ", ".join(map(str, FONT_CANDIDATES))
    )


# --- what the sheet says -------------------------------------------------------------------


@dataclass
class Line:
    approver: str
    decision: str
    date: str
    comment: str = ""


@dataclass
class Step:
    name: str
    status: str
    started: str
    due: str = ""
    overdue: bool = False
    lines: list[Line] = field(default_factory=list)


@dataclass
class Run:
    workflow: str
    status: str
    submitted: str
    submitted_by: str
    steps: list[Step] = field(default_factory=list)


def _who(user) -> str:
    if user is None:
        return _("(deleted user)")
    return user.get_full_name() or user.get_username()


def _when(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime.datetime):
        return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return date_format(moment, "DATE_FORMAT")


def runs_of(record) -> list[Run]:
    """Every run of a route on ``record``, oldest first, each step with its lines."""
    states = WorkflowState.objects.for_instance(record).select_related("workflow", "requested_by")
    runs = []
    for state in states.order_by("created_at", "pk"):
        run = Run(
            workflow=state.workflow.name,
            status=str(state.get_status_display()),
            submitted=_when(state.created_at),
            submitted_by=_who(state.requested_by),
        )
        task_states = (
            TaskState.objects.filter(workflow_state=state)
            .select_related("task", "finished_by")
            .order_by("started_at", "pk")
        )
        for task_state in task_states:
            run.steps.append(_step(record, task_state))
        runs.append(run)
    return runs


def _step(record, task_state) -> Step:
    task = task_state.task.specific
    step = Step(
        name=task.name,
        status=str(task_state.get_status_display()),
        started=_when(task_state.started_at),
    )
    if not isinstance(task, ParallelApprovalTask):
        if task_state.finished_by_id:
            step.lines.append(
                Line(
                    _who(task_state.finished_by),
                    step.status,
                    _when(task_state.finished_at),
                    task_state.get_comment(),
                )
            )
        return step
    due = task.due_date(task_state)
    step.due = _when(due)
    step.overdue = task_state.status == TaskState.STATUS_IN_PROGRESS and due < timezone.localdate()
    decisions = ApprovalDecision.objects.filter(task_state_id=task_state.pk).select_related("user")
    decided = set()
    for decision in decisions:
        decided.add(decision.user_id)
        step.lines.append(
            Line(
                _who(decision.user),
                str(decision.get_decision_display()),
                _when(decision.decided_at),
                decision.comment,
            )
        )
    if task_state.status == TaskState.STATUS_IN_PROGRESS:
        for approver in approvers_for(task, record):
            if approver.pk not in decided:
                step.lines.append(Line(_who(approver), _("Awaited"), ""))
    return step


def last_event(record):
    """The time of the last thing the sheet records (its PDF creation date)."""
    moments = [
        moment
        for state in WorkflowState.objects.for_instance(record)
        for moment in (state.created_at, *state.task_states.values_list("finished_at", flat=True))
        if moment
    ]
    moments += ApprovalDecision.objects.filter(
        task_state__workflow_state__in=WorkflowState.objects.for_instance(record)
    ).values_list("decided_at", flat=True)
    return max(moments, default=record.first_published_at or record.latest_revision_created_at)


# --- the PDF -------------------------------------------------------------------------------


def render(record) -> bytes:
    """The sheet of ``record`` as PDF bytes, in the active language."""
    from fpdf import FPDF

    font = font_path()
    pdf = FPDF(format="A4")
    pdf.set_title(_("Approval sheet") + f": {record.title}")
    moment = last_event(record)
    if moment is not None:
        pdf.set_creation_date(moment)
    pdf.add_font("DejaVu", fname=str(font))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def line(text, size=10, height=5.5, indent=0):
        pdf.set_font("DejaVu", size=size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    line(_("Approval sheet"), size=16, height=9)
    line(record.title, size=13, height=7)
    organisation = owning_organisation(record)
    facts = [
        (_("Registration number"), record.registration_number or "—"),
        (_("Document type"), str(DocumentType(record.document_type).label)),
        (_("Organisation"), organisation.title if organisation else "—"),
        (_("Document date"), _when(record.document_date)),
    ]
    for label, value in facts:
        line(f"{label}: {value}")
    runs = runs_of(record)
    if not runs:
        pdf.ln(3)
        line(_("The document has not been sent for approval."))
    for number, run in enumerate(runs, start=1):
        pdf.ln(3)
        line(
            _("Round %(number)s: %(route)s — %(status)s")
            % {"number": number, "route": run.workflow, "status": run.status},
            size=12,
            height=7,
        )
        line(
            _("Submitted %(date)s by %(user)s") % {"date": run.submitted, "user": run.submitted_by}
        )
        for step in run.steps:
            pdf.ln(1.5)
            heading = f"{step.name} — {step.status}"
            if step.due:
                heading += " · " + _("due %(date)s") % {"date": step.due}
            line(heading, size=11, height=6, indent=3)
            for entry in step.lines:
                text = f"{entry.approver} — {entry.decision}"
                if entry.date:
                    text += f" — {entry.date}"
                line(text, indent=8)
                if entry.comment:
                    line(_("Comment: %(comment)s") % {"comment": entry.comment}, indent=14)
    return bytes(pdf.output())
