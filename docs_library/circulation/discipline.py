"""Execution discipline: what each organisation received in a period and how it
answered, and the rating of primary organisations that follows from it.

An item belongs to the period in which the organisation received it: a
circular by its distribution's date, an assignment by its issue date. Items
of withdrawn records are left out: nobody owes them anything any more.

- circulars: received; acknowledged on time (by the response deadline, or with
  none) or late; overdue now (to acknowledge, unacknowledged past the deadline);
- assignments: received; executed on time (reported by the deadline) or late;
  overdue now (unreported past the deadline); still open within the deadline.

An execution by a named person counts under the organisation they are
counted in (``Execution.person_organisation``: where they hold their role
nearest the issuing organisation), as if that organisation had executed it.

An execution's deadline is its own when an extension was granted, else the
assignment's (``models.due_on``); "extensions asked" counts the period's
assignments on which the executor asked for a new deadline at least once.

Every figure comes from grouped aggregate queries, one per kind of item, so
a report over 10,000 organisations costs the same few queries as one over ten.
Who may see which subtree is asked of ``access`` (``may_view_discipline``,
``discipline_hidden_paths``) by the views.
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import (
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Concat, Substr, TruncDate
from django.db.models.lookups import GreaterThan, LessThan, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wagtail.models import Page

from home.models import PrimaryOrganisationPage, localised_name, organisation_page_models

from ..models import (
    OPEN_STATES,
    Distribution,
    Execution,
    ExecutionState,
    ExtensionRequest,
    due_on,
    unit_of,
)
from .circulars import organisation_names

PERIODS = {
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
}

DONE_STATES = (ExecutionState.REPORTED, ExecutionState.ACCEPTED)

#: How much an item answered late counts for, against one answered on time.
LATE_WEIGHT = 0.5


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter or year
    year: int
    number: int = 1  # the month (1–12) or quarter (1–4); 1 for a year

    @classmethod
    def containing(cls, day: datetime.date, kind: str = "month") -> "Period":
        number = {"month": day.month, "quarter": (day.month - 1) // 3 + 1}.get(kind, 1)
        return cls(kind, day.year, number)

    @property
    def start(self) -> datetime.date:
        if self.kind == "month":
            return datetime.date(self.year, self.number, 1)
        if self.kind == "quarter":
            return datetime.date(self.year, 3 * self.number - 2, 1)
        return datetime.date(self.year, 1, 1)

    @property
    def end(self) -> datetime.date:
        """The first day after the period."""
        if self.kind == "month":
            last = calendar.monthrange(self.year, self.number)[1]
            return datetime.date(self.year, self.number, last) + datetime.timedelta(days=1)
        if self.kind == "quarter":
            month = 3 * self.number + 1
            return datetime.date(self.year + month // 13, (month - 1) % 12 + 1, 1)
        return datetime.date(self.year + 1, 1, 1)

    def shifted(self, steps: int) -> "Period":
        size = {"month": 12, "quarter": 4}.get(self.kind, 1)
        index = self.year * size + (self.number - 1) + steps
        return Period(self.kind, index // size, index % size + 1)

    def query(self) -> str:
        return f"period={self.kind}&year={self.year}&number={self.number}"

    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%m.%Y}"
        if self.kind == "quarter":
            return _("Quarter %(number)s of %(year)s") % {"number": self.number, "year": self.year}
        return str(self.year)

    def bounds(self):
        """The period as aware datetimes in the site's time zone, for indexed comparisons."""
        zone = timezone.get_current_timezone()
        return (
            datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(self.end, datetime.time.min, tzinfo=zone),
        )


@dataclass
class Figures:
    circulars: int = 0
    acknowledged_on_time: int = 0
    acknowledged_late: int = 0
    unacknowledged_overdue: int = 0
    assignments: int = 0
    executed_on_time: int = 0
    executed_late: int = 0
    overdue: int = 0
    extensions: int = 0  # assignments on which a new deadline was asked

    NUMBERS = (
        "circulars",
        "acknowledged_on_time",
        "acknowledged_late",
        "unacknowledged_overdue",
        "assignments",
        "executed_on_time",
        "executed_late",
        "overdue",
        "extensions",
    )

    def add(self, other: "Figures") -> None:
        for name in self.NUMBERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def open(self) -> int:
        """Assignments neither executed nor overdue: still within their deadline."""
        return self.assignments - self.executed_on_time - self.executed_late - self.overdue

    @property
    def on_time(self) -> int:
        return self.acknowledged_on_time + self.executed_on_time

    @property
    def late(self) -> int:
        return self.acknowledged_late + self.executed_late

    @property
    def missed(self) -> int:
        return self.unacknowledged_overdue + self.overdue

    @property
    def due(self) -> int:
        """Everything that was due: answered (on time or late) or overdue now."""
        return self.on_time + self.late + self.missed

    @property
    def score(self) -> float | None:
        """100 × (on time + ½ × late) ÷ due, to one decimal; None when nothing was due."""
        if not self.due:
            return None
        return round(100 * (self.on_time + LATE_WEIGHT * self.late) / self.due, 1)


# --- the aggregate queries -----------------------------------------------------------------


def _in_scope(queryset, node, hidden_paths, prefix="unit_"):
    queryset = queryset.filter(**{f"{prefix}path__startswith": node.path})
    for path in hidden_paths:
        queryset = queryset.exclude(**{f"{prefix}path__startswith": path})
    return queryset


def distributions_in(node, period: Period, hidden_paths=()):
    """The period's distributions in the subtree; ``unit_pk``, ``unit_path``: their organisation."""
    start, end = period.bounds()
    return _in_scope(
        Distribution.objects.filter(
            record__live=True, created_at__gte=start, created_at__lt=end
        ).annotate(unit_pk=F("organisation_id"), unit_path=F("organisation__path")),
        node,
        hidden_paths,
    )


def executions_in(node, period: Period, hidden_paths=()):
    """The period's executions in the subtree; ``unit_pk``, ``unit_path``: the
    organisation each counts under (a named person's, see the module)."""
    return _in_scope(
        Execution.objects.filter(
            assignment__record__live=True,
            assignment__issued_on__gte=period.start,
            assignment__issued_on__lt=period.end,
        ).annotate(
            unit_pk=ExpressionWrapper(unit_of(), output_field=IntegerField()),
            unit_path=unit_of(field="path"),
        ),
        node,
        hidden_paths,
    )


def _circular_filters(today) -> dict[str, Q]:
    required = Q(record__acknowledgement_required=True)
    acknowledged = required & Q(acknowledged_at__isnull=False)
    return {
        "acknowledged_on_time": acknowledged
        & (
            Q(record__response_deadline__isnull=True)
            | Q(acknowledged_at__date__lte=F("record__response_deadline"))
        ),
        "acknowledged_late": acknowledged
        & Q(acknowledged_at__date__gt=F("record__response_deadline")),
        "unacknowledged_overdue": required
        & Q(acknowledged_at__isnull=True, record__response_deadline__lt=today),
    }


def _execution_filters(today) -> dict[str, Q]:
    done = Q(state__in=DONE_STATES)
    reported_on = TruncDate("reported_at")
    return {
        "executed_on_time": done & Q(LessThanOrEqual(reported_on, due_on())),
        "executed_late": done & Q(GreaterThan(reported_on, due_on())),
        "overdue": Q(LessThan(due_on(), Value(today)), state__in=OPEN_STATES),
        "extensions": Q(Exists(ExtensionRequest.objects.filter(execution=OuterRef("pk")))),
    }


def status_filter(kind: str, status: str, today) -> Q | None:
    """The filter of one figure, for the list of its documents (the drill-down)."""
    filters = _circular_filters(today) if kind == "circulars" else _execution_filters(today)
    return filters.get(status)


def _grouped(queryset, key, filters, total_name):
    aggregates = {total_name: Count("pk")}
    aggregates.update({name: Count("pk", filter=condition) for name, condition in filters.items()})
    return queryset.values(key).annotate(**aggregates).order_by(key)


def figures_by(node, period: Period, today, key: str, hidden_paths=(), annotate=None):
    """``Figures`` grouped by ``key`` (a value of each item): two queries in all."""
    result: dict = {}
    parts = (
        (distributions_in(node, period, hidden_paths), _circular_filters(today), "circulars"),
        (executions_in(node, period, hidden_paths), _execution_filters(today), "assignments"),
    )
    for queryset, filters, total_name in parts:
        if annotate:
            queryset = queryset.annotate(**annotate)
        for row in _grouped(queryset, key, filters, total_name):
            figures = result.setdefault(row.pop(key), Figures())
            for name, value in row.items():
                setattr(figures, name, value)
    return result


# --- the report ----------------------------------------------------------------------------


@dataclass
class Row:
    page: object  # the node itself, or a branch's name (``circulars.OrganisationName``)
    figures: Figures
    itself: bool = False  # the node's own items, not a branch below it


@dataclass
class Report:
    node: Page
    period: Period
    totals: Figures
    rows: list[Row] = field(default_factory=list)


def by_organisation(node, period: Period, today=None, hidden_paths=()) -> dict:
    """``Figures`` of each organisation of the subtree that received anything, keyed
    by (page id, path): what a page showing both the report and the rating reads
    once (``report(…, grouped=…)``, ``rating(…, grouped=…)``)."""
    today = today or timezone.localdate()
    return figures_by(
        node,
        period,
        today,
        "key",
        hidden_paths,
        annotate={"key": Concat("unit_pk", Value(" "), "unit_path", output_field=CharField())},
    )


def _split(grouped: dict) -> dict:
    return {tuple(key.split(" ", 1)): figures for key, figures in grouped.items()}


def report(node, period: Period, today=None, hidden_paths=(), grouped=None) -> Report:
    """Totals for ``node``'s subtree and a row per organisation directly below it
    (its whole subtree each), and one for the node's own items. ``grouped``: the
    figures ``by_organisation`` read already, added up here by branch."""
    today = today or timezone.localdate()
    prefix = (node.depth + 1) * node.steplen
    if grouped is None:
        grouped = figures_by(
            node,
            period,
            today,
            "branch",
            hidden_paths,
            annotate={"branch": Substr("unit_path", 1, prefix)},
        )
    else:
        branches: dict[str, Figures] = {}
        for (_pk, path), figures in _split(grouped).items():
            branches.setdefault(path[:prefix], Figures()).add(figures)
        grouped = branches
    totals = Figures()
    for figures in grouped.values():
        totals.add(figures)
    children = dict(
        Page.objects.filter(path__startswith=node.path, depth=node.depth + 1, live=True)
        .type(*organisation_page_models())
        .values_list("path", "pk")
    )
    names = organisation_names(children.values())
    rows = []
    if node.path in grouped:
        rows.append(Row(node, grouped[node.path], itself=True))
    for path, pk in sorted(children.items()):
        if pk not in names or any(path.startswith(hidden) for hidden in hidden_paths):
            continue
        rows.append(Row(names[pk], grouped.get(path, Figures())))
    return Report(node, period, totals, rows)


# --- the rating ----------------------------------------------------------------------------


@dataclass
class Rated:
    rank: int | None
    pk: int
    name: str
    code: str
    figures: Figures


def rating(
    node, period: Period, today=None, hidden_paths=(), language=None, grouped=None
) -> list[Rated]:
    """The primary organisations of ``node``'s subtree ranked by their score.

    Best score first; on equal scores, more items due first, then by name.
    Equal scores with equal items share a rank (1, 1, 3). Organisations with
    nothing due have no score and no rank, and come last.
    """
    today = today or timezone.localdate()
    primaries = _in_scope(
        PrimaryOrganisationPage.objects.live(), node, hidden_paths, prefix=""
    ).values_list("pk", "title", "name_ru", "name_en", "org_code")
    if grouped is None:
        grouped = figures_by(node, period, today, "unit_pk", hidden_paths)
    else:
        grouped = {int(pk): figures for (pk, _path), figures in _split(grouped).items()}
    rated = [
        Rated(
            None,
            pk,
            localised_name(title, name_ru, name_en, language),
            code or "",
            grouped.get(pk, Figures()),
        )
        for pk, title, name_ru, name_en, code in primaries
    ]

    keys = {item.pk: (item.figures.score, item.figures.due) for item in rated}

    def order(item):
        score, due = keys[item.pk]
        return (score is None, -(score or 0), -due, item.name.casefold(), item.pk)

    rated.sort(key=order)
    previous = None
    for position, item in enumerate(rated, start=1):
        key = keys[item.pk]
        if key[0] is None:
            break
        item.rank = previous[1] if previous and previous[0] == key else position
        previous = (key, item.rank)
    return rated


# --- the chart -----------------------------------------------------------------------------

CHART_WIDTH = 400
CHART_LABEL = 18
CHART_BAR = 14
CHART_GAP = 10


def chart(rows: list[Row]) -> dict:
    """A stacked bar per row (answered on time, late, overdue now), as numbers the
    template draws as SVG: widths scaled to the row with most items due."""
    widest = max((row.figures.due for row in rows), default=0) or 1
    bars, y = [], 0
    for row in rows:
        figures = row.figures
        parts, x = [], 0.0
        for name, value in (
            ("on-time", figures.on_time),
            ("late", figures.late),
            ("overdue", figures.missed),
        ):
            width = CHART_WIDTH * value / widest
            if value:
                parts.append({"name": name, "x": round(x, 1), "width": round(width, 1)})
            x += width
        bars.append(
            {
                "row": row,
                "label_y": y + CHART_LABEL - 5,
                "bar_y": y + CHART_LABEL,
                "parts": parts,
                "score": figures.score,
            }
        )
        y += CHART_LABEL + CHART_BAR + CHART_GAP
    return {"width": CHART_WIDTH, "height": max(y, 1), "bar": CHART_BAR, "bars": bars}
