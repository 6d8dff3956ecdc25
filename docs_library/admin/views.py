"""The file history of a document, and what changed in its text between two files.

A corrected circular is issued by replacing its file; the correction is
usually a date, a number or a sentence, and nobody can spot it by opening two
PDFs side by side. Comparing the extracted text line by line shows it, and
shows it the same way for a PDF, a DOCX or a scan read by OCR.
"""

import difflib
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..access import can_edit_file
from ..files.tasks import queue_extraction
from ..models import ExtractionFailure, ExtractionStatus, LibraryDocument

CURRENT = "current"
#: Unchanged lines shown around each change, as in ``diff -u``.
CONTEXT_LINES = 3
#: Beyond this many lines a side, matching takes seconds; such texts are not compared here.
MAX_COMPARED_LINES = 20_000


@dataclass(frozen=True)
class Edition:
    """One file a document has had, old or current.

    A ``DocumentVersion`` records when a file was *replaced*, by whom and why
    (the comment describes the new file). Shown as they are stored, each row
    would credit a file with its successor's upload, so the table takes the
    upload facts from the version before.
    """

    key: str
    number: int
    is_current: bool
    filename: str
    size: int | None
    sha256: str
    text: str
    url: str
    uploaded_at: object
    uploaded_by: object
    comment: str
    extraction_status: str = ""

    @property
    def label(self) -> str:
        if self.is_current:
            return gettext("Version %(number)s (current): %(filename)s") % {
                "number": self.number,
                "filename": self.filename,
            }
        return gettext("Version %(number)s: %(filename)s") % {
            "number": self.number,
            "filename": self.filename,
        }

    @property
    def text_pending(self) -> bool:
        return self.is_current and self.extraction_status == ExtractionStatus.PENDING


def editions_of(document: LibraryDocument) -> list[Edition]:
    """Every file of ``document``, oldest first, the current file last."""
    versions = list(document.versions.select_related("created_by").order_by("number"))
    editions = []
    uploaded_at, uploaded_by, comment = document.created_at, document.uploaded_by_user, ""
    for version in versions:
        editions.append(
            Edition(
                key=str(version.number),
                number=version.number,
                is_current=False,
                filename=version.filename,
                size=version.file_size,
                sha256=version.sha256,
                text=version.extracted_text,
                url=version.url,
                uploaded_at=uploaded_at,
                uploaded_by=uploaded_by,
                comment=comment,
            )
        )
        uploaded_at, uploaded_by, comment = version.created_at, version.created_by, version.comment
    editions.append(
        Edition(
            key=CURRENT,
            number=(versions[-1].number + 1) if versions else 1,
            is_current=True,
            filename=document.filename,
            size=document.file_size,
            sha256=document.sha256,
            text=document.extracted_text,
            url=document.url,
            uploaded_at=uploaded_at,
            uploaded_by=uploaded_by,
            comment=comment,
            extraction_status=document.extraction_status,
        )
    )
    return editions


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same", "removed", "added" or "gap" (unchanged lines left out)
    old_number: int | None = None
    new_number: int | None = None
    text: str = ""


@dataclass(frozen=True)
class Diff:
    rows: list[DiffRow]
    added: int
    removed: int
    too_long: bool = False

    @property
    def unchanged(self) -> bool:
        return not self.too_long and not self.rows


def line_diff(old: str, new: str, *, context: int = CONTEXT_LINES) -> Diff:
    """Changed lines with a little context, like ``diff -u``, as rows for a table.

    Not autojunk: the heuristic treats frequent lines (a letterhead repeated on
    every page) as noise and then reports whole pages as rewritten.
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    if max(len(old_lines), len(new_lines)) > MAX_COMPARED_LINES:
        return Diff(rows=[], added=0, removed=0, too_long=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    rows: list[DiffRow] = []
    added = removed = 0
    hunk = []
    for hunk in matcher.get_grouped_opcodes(context):
        if rows or hunk[0][1] > 0:  # unchanged lines before this change are left out
            rows.append(DiffRow("gap"))
        for tag, old_start, old_end, new_start, new_end in hunk:
            if tag == "equal":
                shift = new_start - old_start  # equal runs have the same length on both sides
                for number, line in enumerate(old_lines[old_start:old_end], start=old_start + 1):
                    rows.append(DiffRow("same", number, number + shift, line))
                continue
            for number, line in enumerate(old_lines[old_start:old_end], start=old_start + 1):
                rows.append(DiffRow("removed", old_number=number, text=line))
            for number, line in enumerate(new_lines[new_start:new_end], start=new_start + 1):
                rows.append(DiffRow("added", new_number=number, text=line))
            removed += old_end - old_start
            added += new_end - new_start
    if hunk and hunk[-1][2] < len(old_lines):
        rows.append(DiffRow("gap"))
    return Diff(rows=rows, added=added, removed=removed)


class CompareForm(forms.Form):
    a = forms.ChoiceField(label=gettext_lazy("Earlier file"))
    b = forms.ChoiceField(label=gettext_lazy("Later file"))

    def __init__(self, *args, editions, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(edition.key, edition.label) for edition in editions]
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices


class DocumentVersionsView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "docs_library/admin/document_versions.html"
    page_title = gettext_lazy("File versions")
    header_icon = "doc-full-inverse"

    def dispatch(self, request, document_id):
        document = LibraryDocument.objects.filter(pk=document_id).first()
        # Not found and not allowed look the same: a document's existence is not told.
        if document is None or not can_edit_file(request.user, document):
            raise Http404
        self.document = document
        return super().dispatch(request, document_id)

    @cached_property
    def editions(self) -> list[Edition]:
        return editions_of(self.document)

    def get_page_subtitle(self):
        return self.document.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtaildocs:index"), "label": gettext("Documents")},
            {
                "url": reverse("wagtaildocs:edit", args=[self.document.pk]),
                "label": self.document.title,
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def chosen_pair(self, form) -> tuple[Edition, Edition] | None:
        """The two files asked for, or by default the current file and the one before it."""
        if len(self.editions) < 2:
            return None
        by_key = {edition.key: edition for edition in self.editions}
        if form.is_valid() and form.cleaned_data["a"] != form.cleaned_data["b"]:
            first, second = by_key[form.cleaned_data["a"]], by_key[form.cleaned_data["b"]]
            # Older on the left whichever way round they were picked.
            return (first, second) if first.number < second.number else (second, first)
        return self.editions[-2], self.editions[-1]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pair = self.chosen_pair(CompareForm(self.request.GET, editions=self.editions))
        # The form shows what is compared, which may differ from a pair that made no sense.
        form = CompareForm(
            initial={"a": pair[0].key, "b": pair[1].key} if pair else None,
            editions=self.editions,
        )
        context.update(
            document=self.document,
            editions=list(reversed(self.editions)),
            form=form,
            older=pair[0] if pair else None,
            newer=pair[1] if pair else None,
            diff=line_diff(pair[0].text, pair[1].text) if pair else None,
            edit_url=reverse("wagtaildocs:edit", args=[self.document.pk]),
        )
        return context


document_versions = DocumentVersionsView.as_view()


@require_POST
def extract_again(request, document_id):
    """An editor of the file has its text read again, with the site's limits.

    For a file that failed for a passing reason (a busy server, a worker that
    was stopped); larger limits are the administrator's ``retry_extraction``.
    """
    document = LibraryDocument.objects.filter(pk=document_id).first()
    if document is None or not can_edit_file(request.user, document):
        raise Http404
    LibraryDocument.objects.filter(pk=document.pk).update(
        extraction_status=ExtractionStatus.PENDING,
        extraction_failure=ExtractionFailure.NONE,
        extraction_error="",
    )
    queue_extraction(document)  # the immediate backend reads it now
    document.refresh_from_db()
    if document.extraction_status == ExtractionStatus.FAILED:
        messages.warning(request, gettext("The text of this file could not be read again."))
    elif document.extraction_status == ExtractionStatus.PENDING:
        messages.success(request, gettext("The text of this file will be read again shortly."))
    else:
        messages.success(request, gettext("The text of this file has been read."))
    return redirect("wagtaildocs:edit", document.pk)
