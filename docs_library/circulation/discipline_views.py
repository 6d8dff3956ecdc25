"""The execution discipline report of an organisation's subtree for a month, a
quarter or a year: its figures, a row per organisation below with a chart drawn
as SVG on the server, the rating of its primary organisations, the documents
behind each figure, and both tables as CSV.

Who may open it is asked of ``access.may_view_discipline`` (Reviewers and
Managers of the subtree); subtrees behind a block where they hold nothing are
left out (``access.discipline_hidden_paths``), and the documents listed are
only those they may read. Anyone else gets 404, as on the rest of the site.
"""

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from home.models import PrimaryOrganisationPage, organisation_page_models

from .. import access
from ..models import due_on
from . import discipline
from .circulars import organisation_names
from .discipline import PERIODS, Period
from .views import _organisation_or_404

RATING_PER_PAGE = 100
DOCUMENTS_PER_PAGE = 50

#: The figures a reader may open the documents of: (kind, status) → label.
DRILLS = {
    ("circulars", "received"): gettext_lazy("Circulars received"),
    ("circulars", "acknowledged_on_time"): gettext_lazy("Acknowledged on time"),
    ("circulars", "acknowledged_late"): gettext_lazy("Acknowledged late"),
    ("circulars", "unacknowledged_overdue"): gettext_lazy("Not acknowledged, overdue"),
    ("assignments", "received"): gettext_lazy("Assignments received"),
    ("assignments", "executed_on_time"): gettext_lazy("Executed on time"),
    ("assignments", "executed_late"): gettext_lazy("Executed late"),
    ("assignments", "overdue"): gettext_lazy("Overdue now"),
    ("assignments", "extensions"): gettext_lazy("Extensions asked"),
}


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=list(PERIODS.items()))
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    number = forms.IntegerField(
        label=gettext_lazy("Month or quarter"), min_value=1, max_value=12, required=False
    )

    def clean(self):
        data = super().clean()
        kind, number = data.get("period"), data.get("number") or 1
        if kind == "quarter" and number > 4:
            self.add_error("number", _("A quarter is numbered 1 to 4."))
        data["number"] = 1 if kind == "year" else number
        return data

    def as_period(self) -> Period:
        data = self.cleaned_data
        return Period(data["period"], data["year"], data["number"])


def _period(request, today):
    """The period asked for, or this month's with the form's errors when it is not valid."""
    if "period" not in request.GET:
        period = Period.containing(today)
        return period, PeriodForm(
            initial={"period": period.kind, "year": period.year, "number": period.number}
        )
    form = PeriodForm(request.GET)
    if form.is_valid():
        return form.as_period(), form
    return Period.containing(today), form


def _subtree(request, organisation_id):
    organisation = _organisation_or_404(organisation_id)
    if not access.may_view_discipline(request.user, organisation):
        raise Http404
    return organisation, access.discipline_hidden_paths(request.user, organisation)


def _trail(request, organisation):
    """The organisations above this one whose report the reader may open too."""
    ancestors = organisation.get_ancestors().type(*organisation_page_models()).specific()
    return [page for page in ancestors if access.may_view_discipline(request.user, page)]


def _documents(request, organisation, period, hidden, today):
    """The documents behind one figure (``?show=kind-status``), those the reader may read."""
    kind, _sep, status = request.GET.get("show", "").partition("-")
    if (kind, status) not in DRILLS:
        return None
    if kind == "circulars":
        rows = discipline.distributions_in(organisation, period, hidden).filter(
            access.token_filter(request.user, "record_id")
        )
        rows = rows.select_related("record").order_by("unit_path", "-created_at", "pk")
    else:
        rows = discipline.executions_in(organisation, period, hidden).filter(
            access.token_filter(request.user, "assignment__record_id")
        )
        rows = (
            rows.select_related("assignment", "assignment__record", "person")
            .annotate(due=due_on())
            .order_by("unit_path", "due", "pk")
        )
    condition = discipline.status_filter(kind, status, today)
    if condition is not None:
        rows = rows.filter(condition)
    page = Paginator(rows, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    names = organisation_names({row.unit_pk for row in page})
    return {
        "kind": kind,
        "status": status,
        "label": DRILLS[(kind, status)],
        "page": page,
        "entries": [(row, names.get(row.unit_pk)) for row in page],
        "query": f"{period.query()}&show={kind}-{status}",
    }


@login_required
def report(request, organisation_id):
    organisation, hidden = _subtree(request, organisation_id)
    today = timezone.localdate()
    period, form = _period(request, today)
    ranked = None
    if isinstance(organisation, PrimaryOrganisationPage):
        result = discipline.report(organisation, period, today, hidden)
    else:  # the report and the rating from one reading of the rows
        grouped = discipline.by_organisation(organisation, period, today, hidden)
        result = discipline.report(organisation, period, today, hidden, grouped=grouped)
        ranked = Paginator(
            discipline.rating(organisation, period, today, hidden, grouped=grouped),
            RATING_PER_PAGE,
        ).get_page(request.GET.get("rating_page"))
    return TemplateResponse(
        request,
        "docs_library/circulars/discipline.html",
        {
            "organisation": organisation,
            "trail": _trail(request, organisation),
            "form": form,
            "period": period,
            "previous": period.shifted(-1),
            "next": period.shifted(1) if period.shifted(1).start <= today else None,
            "report": result,
            "chart": discipline.chart(result.rows),
            "rating": ranked,
            "documents": _documents(request, organisation, period, hidden, today),
            "late_weight": discipline.LATE_WEIGHT,
        },
    )


class _Echo:
    def write(self, value):
        return value


def _figure_cells(figures):
    score = figures.score
    return [
        figures.circulars,
        figures.acknowledged_on_time,
        figures.acknowledged_late,
        figures.unacknowledged_overdue,
        figures.assignments,
        figures.executed_on_time,
        figures.executed_late,
        figures.overdue,
        figures.extensions,
        "" if score is None else f"{score:.1f}",
    ]


FIGURE_HEADINGS = (
    gettext_lazy("Circulars received"),
    gettext_lazy("Acknowledged on time"),
    gettext_lazy("Acknowledged late"),
    gettext_lazy("Not acknowledged, overdue"),
    gettext_lazy("Assignments received"),
    gettext_lazy("Executed on time"),
    gettext_lazy("Executed late"),
    gettext_lazy("Overdue now"),
    gettext_lazy("Extensions asked"),
    gettext_lazy("Score"),
)


def _csv_lines(organisation, period, today, hidden, table):
    yield "\ufeff"  # so that spreadsheet programs read the Cyrillic as UTF-8
    writer = csv.writer(_Echo())
    headings = [str(heading) for heading in FIGURE_HEADINGS]
    if table == "rating":
        yield writer.writerow([_("Rank"), _("Organisation"), _("Code"), *headings])
        for item in discipline.rating(organisation, period, today, hidden):
            yield writer.writerow(
                [item.rank or "", item.name, item.code, *_figure_cells(item.figures)]
            )
        return
    result = discipline.report(organisation, period, today, hidden)
    yield writer.writerow([_("Organisation"), _("Code"), *headings])
    for row in result.rows:
        name = row.page.display_name
        if row.itself:
            name = _("%(name)s (itself)") % {"name": name}
        yield writer.writerow([name, row.page.org_code, *_figure_cells(row.figures)])
    yield writer.writerow([_("Total"), "", *_figure_cells(result.totals)])


@login_required
def report_csv(request, organisation_id):
    organisation, hidden = _subtree(request, organisation_id)
    today = timezone.localdate()
    period, form = _period(request, today)
    if form.errors:
        raise Http404
    table = "rating" if request.GET.get("table") == "rating" else "organisations"
    response = StreamingHttpResponse(
        _csv_lines(organisation, period, today, hidden, table), content_type="text/csv"
    )
    name = f"discipline-{organisation.pk}-{table}-{period.start:%Y%m}-{period.kind}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
