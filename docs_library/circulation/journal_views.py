"""The registration journals' pages: an organisation's journal with its filters
and search, its CSV and XLSX, a page to print, and registration by hand.

Who may read a journal and who may register in it is asked of
``docs_library.access`` (``may_view_journal``, ``may_register``); anyone else
gets 404, as on the rest of the site. A journal row names the title of a record
only to those who may open the record.
"""

import csv
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.models import Page

from home.models import organisation_page_models

from .. import access
from ..models import EntrySource, JournalKind
from . import circulars, journals
from .forms import JournalFilterForm, RegistrationForm

PER_PAGE = 50
PRINT_LIMIT = 2000
EXPORT_BATCH = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _journal_organisation(request, organisation_id, rule=access.may_view_journal):
    organisation = get_object_or_404(
        Page.objects.live().type(*organisation_page_models()), pk=organisation_id
    )
    if not rule(request.user, organisation):
        raise Http404
    return organisation.specific


def _filters(request, organisation) -> JournalFilterForm:
    kind = request.GET.get("kind", "")
    return JournalFilterForm(
        request.GET or None,
        years=journals.years(organisation),
        correspondents=journals.correspondents(
            organisation, kind if kind in JournalKind.values else ""
        ),
    )


def _rows(organisation, form):
    if form.is_bound and not form.is_valid():
        return None
    data = form.cleaned_data if form.is_bound else {}
    return journals.entries(
        organisation,
        kind=data.get("kind", ""),
        year=data.get("year"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        sender=data.get("sender", ""),
        q=data.get("q", ""),
    )


def describe(user, entries) -> list[dict]:
    """What a journal shows of each entry: the record's title only to those who may
    open it, the correspondent's name in the reader's language where it is known."""
    entries = list(entries)
    visible = access.journal_titles_visible(user, {entry.record_id for entry in entries})
    names = circulars.organisation_names(
        {entry.correspondent_id for entry in entries if entry.correspondent_id}
    )
    kinds, sources = dict(JournalKind.choices), dict(EntrySource.choices)
    described = []
    for entry in entries:
        name = names.get(entry.correspondent_id)
        described.append(
            {
                "entry": entry,
                "kind": kinds.get(entry.kind, entry.kind),
                "source": sources.get(entry.source, entry.source),
                "title_visible": entry.record_id is None or entry.record_id in visible,
                "correspondent": name.display_name if name else entry.correspondent_name,
                "registered_by": _person(entry.registered_by),
            }
        )
    return described


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _query(request) -> str:
    return urlencode({key: value for key, value in request.GET.items() if key != "page" and value})


@login_required
def journal(request, organisation_id):
    organisation = _journal_organisation(request, organisation_id)
    form = _filters(request, organisation)
    rows = _rows(organisation, form)
    page = Paginator(rows if rows is not None else [], PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "docs_library/journals/journal.html",
        {
            "organisation": organisation,
            "form": form,
            "rows": page,
            "described": describe(request.user, page.object_list),
            "query": _query(request),
            "may_register": access.may_register(request.user, organisation),
            "breadcrumb": list(organisation.get_ancestors().filter(depth__gt=1).specific())
            + [organisation],
        },
        status=200 if rows is not None else 400,
    )


@login_required
def journal_print(request, organisation_id):
    organisation = _journal_organisation(request, organisation_id)
    form = _filters(request, organisation)
    rows = _rows(organisation, form)
    if rows is None:
        return journal(request, organisation_id)
    total = rows.count()
    return TemplateResponse(
        request,
        "docs_library/journals/print.html",
        {
            "organisation": organisation,
            "form": form,
            "described": describe(request.user, rows[:PRINT_LIMIT]),
            "total": total,
            "limit": PRINT_LIMIT,
            "query": _query(request),
            "summary": _summary(form),
            "printed_at": timezone.localtime(),
        },
    )


def _summary(form) -> list[tuple[str, str]]:
    """The filters a printed journal was chosen by, as a reader says them."""
    if not form.is_bound:
        return []
    said = []
    for name, value in form.cleaned_data.items():
        if value in (None, ""):
            continue
        field = form.fields[name]
        choices = dict(getattr(field, "choices", []))
        shown = choices.get(value, choices.get(str(value), value))
        if hasattr(shown, "strftime"):
            shown = shown.strftime("%d.%m.%Y")
        said.append((str(field.label), str(shown)))
    return said


def _headings() -> list[str]:
    return [
        _("Journal"),
        _("Registration number"),
        _("Registration date"),
        _("Title"),
        _("Correspondent"),
        _("Sender's number"),
        _("Sender's date"),
        _("Source"),
        _("Registered by"),
        _("Note"),
    ]


def _export_rows(user, rows):
    """Each entry as a list of cells (dates as dates), read in batches."""
    batch = []
    for entry in rows.iterator(chunk_size=EXPORT_BATCH):
        batch.append(entry)
        if len(batch) == EXPORT_BATCH:
            yield from _export_batch(user, batch)
            batch = []
    yield from _export_batch(user, batch)


def _export_batch(user, batch):
    for row in describe(user, batch):
        entry = row["entry"]
        yield [
            str(row["kind"]),
            entry.number,
            entry.registered_on,
            entry.title if row["title_visible"] else _("A document you may not open"),
            row["correspondent"],
            entry.correspondent_number,
            entry.correspondent_date,
            str(row["source"]),
            row["registered_by"],
            entry.note,
        ]


def _file_name(organisation, extension: str) -> str:
    code = organisation.org_code or str(organisation.pk)
    return f"journal-{code}-{timezone.localdate():%Y%m%d}.{extension}"


class _Echo:
    def write(self, value):
        return value


def _csv(user, rows):
    yield "\ufeff"  # so that spreadsheet programs read the Cyrillic as UTF-8
    writer = csv.writer(_Echo())
    yield writer.writerow(_headings())
    for cells in _export_rows(user, rows):
        yield writer.writerow(
            [cell.strftime("%d.%m.%Y") if hasattr(cell, "strftime") else cell for cell in cells]
        )


@login_required
def journal_csv(request, organisation_id):
    organisation = _journal_organisation(request, organisation_id)
    form = _filters(request, organisation)
    rows = _rows(organisation, form)
    if rows is None:
        return journal(request, organisation_id)
    response = StreamingHttpResponse(_csv(request.user, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(organisation, "csv")}"'
    return response


@login_required
def journal_xlsx(request, organisation_id):
    organisation = _journal_organisation(request, organisation_id)
    form = _filters(request, organisation)
    rows = _rows(organisation, form)
    if rows is None:
        return journal(request, organisation_id)
    # Imported here: openpyxl costs every web process tens of MB, an export is rare.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Journal")[:31])
    sheet.append(_headings())
    for cells in _export_rows(request.user, rows):
        line = []
        for value in cells:
            cell = WriteOnlyCell(sheet, value=value)
            if hasattr(value, "strftime"):
                cell.number_format = "DD.MM.YYYY"
            line.append(cell)
        sheet.append(line)
    content = io.BytesIO()
    workbook.save(content)
    response = HttpResponse(content.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_file_name(organisation, "xlsx")}"'
    return response


@login_required
def register(request, organisation_id):
    organisation = _journal_organisation(request, organisation_id, access.may_register)
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = journals.register_by_hand(
                organisation,
                request.user,
                kind=data["kind"],
                title=data["title"],
                on=data["registered_on"],
                number=data["number"],
                correspondent_name=data["correspondent_name"],
                correspondent_number=data["correspondent_number"],
                correspondent_date=data["correspondent_date"],
                note=data["note"],
            )
        except ValidationError as error:
            form.add_error("number" if data["number"] else None, error)
        else:
            messages.success(
                request,
                _("Registered as № %(number)s of %(date)s.")
                % {"number": entry.number, "date": entry.registered_on.strftime("%d.%m.%Y")},
            )
            url = reverse("circulars:journal", args=[organisation.pk])
            return redirect(f"{url}?{urlencode({'kind': entry.kind})}")
    return TemplateResponse(
        request,
        "docs_library/journals/register.html",
        {
            "organisation": organisation,
            "form": form,
            "breadcrumb": list(organisation.get_ancestors().filter(depth__gt=1).specific())
            + [organisation],
        },
        status=400 if form.is_bound and form.errors else 200,
    )
