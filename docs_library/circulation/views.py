"""The circulars' pages on the public site: inboxes, acknowledging, the author's
dashboard with its CSV, the overdue reminder, and each person's mail settings.

Who may do what is asked of ``home.roles`` (inbox, acknowledge) and the access
policy (may this person open the circular; ``access.may_follow_circular``: its
author and the Editors, Reviewers and Managers where it lives run its dashboard). Pages
a person may not use answer 404, as the rest of the site does, so they do not
confirm what exists.
"""

import csv
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wagtail.models import Page

from home import roles
from home.models import organisation_page_models
from home.views import page_not_found

from .. import access
from ..lifecycle.archive import could_view_before_withdrawal
from ..models import DocumentPage
from . import assignments, circulars
from .forms import MailPreferenceForm
from .notifications import MailPreference

INBOX_PER_PAGE = 25
DASHBOARD_PER_PAGE = 50
CSV_BATCH = 2000


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )


def _organisation_or_404(organisation_id):
    organisation = get_object_or_404(
        Page.objects.live().type(*organisation_page_models()), pk=organisation_id
    )
    return organisation.specific


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
def index(request):
    """A person's way in: the inboxes they look after, and the circulars they sent."""
    organisations = list(circulars.inbox_organisations(request.user))
    pending = circulars.pending_counts([organisation.pk for organisation in organisations])
    return TemplateResponse(
        request,
        "docs_library/circulars/index.html",
        {
            "inboxes": [
                {
                    "organisation": organisation,
                    "pending": pending.get(organisation.pk, 0),
                    "journal": access.may_view_journal(request.user, organisation),
                }
                for organisation in organisations
            ],
            "sent": circulars.circulars_managed_by(request.user)[:50],
            "assignments_issued": _issued(request.user),
            "named_in": [
                {"execution": execution, "overdue": execution.is_overdue()}
                for execution in assignments.named_in(request.user)[:100]
            ],
            "discipline": list(access.discipline_organisations(request.user).specific()[:50]),
        },
    )


def _issued(user):
    issued = list(assignments.issued_by(user)[:50])
    counts = assignments.counts(issued)
    return [{"assignment": item, "counts": counts.get(item.pk, {})} for item in issued]


@login_required
def inbox(request, organisation_id):
    organisation = _organisation_or_404(organisation_id)
    if not roles.has_site_permission(request.user, organisation, roles.SEE_INBOX):
        return page_not_found(request)  # not Django's debug page in development
    rows = Paginator(circulars.inbox(organisation, request.user), INBOX_PER_PAGE).get_page(
        request.GET.get("page")
    )
    may_acknowledge = roles.has_site_permission(request.user, organisation, roles.ACKNOWLEDGE)
    mine = set(
        circulars.Acknowledgement.objects.filter(
            user=request.user, record__in=[row.record_id for row in rows]
        ).values_list("record_id", flat=True)
    )
    today = timezone.localdate()
    entries = []
    for row in rows:
        record = row.record
        withdrawn = not record.live
        entries.append(
            {
                "distribution": row,
                "record": record,
                "withdrawn": withdrawn,
                "title_visible": not withdrawn
                or could_view_before_withdrawal(request.user, record),
                "status": row.status(today),
                "acknowledged_by_me": record.pk in mine,
                "can_acknowledge": may_acknowledge and not withdrawn and record.pk not in mine,
            }
        )
    return TemplateResponse(
        request,
        "docs_library/circulars/inbox.html",
        {
            "organisation": organisation,
            "rows": rows,
            "entries": entries,
            "form": AcknowledgeForm(),
            "may_view_journal": access.may_view_journal(request.user, organisation),
            "to_execute": [
                {"execution": execution, "overdue": execution.is_overdue(today)}
                for execution in assignments.to_execute(organisation, request.user)[:100]
            ],
            "breadcrumb": list(organisation.get_ancestors().filter(depth__gt=1).specific())
            + [organisation],
        },
    )


@login_required
@require_POST
def acknowledge(request, distribution_id):
    distribution = get_object_or_404(
        circulars.Distribution.objects.select_related("record", "organisation"),
        pk=distribution_id,
    )
    if not access.may_acknowledge(request.user, distribution):
        raise Http404
    form = AcknowledgeForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    ack, created = circulars.acknowledge(distribution, request.user, comment)
    if created:
        messages.success(request, _("Thank you: your acknowledgement is recorded."))
    else:
        messages.info(
            request,
            _("You acknowledged this circular on %(date)s.")
            % {"date": timezone.localtime(ack.created_at).strftime("%d.%m.%Y %H:%M")},
        )
    fallback = reverse("circulars:inbox", args=[distribution.organisation_id])
    return redirect(_safe_next(request, fallback))


def _dashboard_record(request, record_id) -> DocumentPage:
    record = get_object_or_404(DocumentPage.objects.select_related("organisation"), pk=record_id)
    if not access.may_follow_circular(request.user, record):
        raise Http404
    return record


def _node(request, record):
    """The organisation the dashboard is drilled down to (the record's own by default)."""
    top = record.organisation
    node_id = request.GET.get("node", "")
    if not node_id.isdecimal() or top is None:
        return top
    node = Page.objects.filter(pk=int(node_id)).first()
    if node is None or not node.path.startswith(top.path):
        return top
    return node


@login_required
def dashboard(request, record_id):
    record = _dashboard_record(request, record_id)
    node = _node(request, record)
    if node is None:
        raise Http404
    status = request.GET.get("status", "")
    if status not in circulars.Status.values:
        status = ""
    today = timezone.localdate()
    under = circulars.distributions_under(record, node)
    rows = Paginator(
        circulars.distributions_under(record, node, status), DASHBOARD_PER_PAGE
    ).get_page(request.GET.get("page"))
    top = record.organisation
    trail = []
    if top is not None and node.pk != top.pk:
        trail = list(
            Page.objects.ancestor_of(node, inclusive=True)
            .filter(depth__gt=top.depth)
            .order_by("depth")
            .specific()
        )
    return TemplateResponse(
        request,
        "docs_library/circulars/dashboard.html",
        {
            "record": record,
            "node": node.specific,
            "top": top.specific if top else None,
            "trail": trail,
            "totals": circulars.totals(record, under, today),
            "all_totals": circulars.totals(record, today=today) if trail else None,
            "branches": _worth_showing(circulars.breakdown(record, node, today)),
            "rows": rows,
            "described": circulars.describe_rows(record, rows.object_list, today),
            "status": status,
            "statuses": circulars.Status.choices,
            "overdue": circulars.is_overdue_date(record, today),
            "query_prefix": urlencode(
                {
                    key: value
                    for key, value in (
                        ("node", node.pk if node.pk != getattr(top, "pk", None) else ""),
                        ("status", status),
                    )
                    if value
                }
            ),
        },
    )


def _worth_showing(branches):
    """A breakdown only says more than the list below when a branch holds several."""
    if any(branch["has_children"] or branch["total"] > 1 for branch in branches):
        return branches
    return []


class _Echo:
    def write(self, value):
        return value


def _csv_rows(record, today):
    yield "\ufeff"  # so that spreadsheet programs read the Cyrillic as UTF-8
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [
            _("Region"),
            _("District"),
            _("Organisation"),
            _("Code"),
            _("Status"),
            _("Acknowledged at"),
            _("Acknowledged by"),
            _("All acknowledgements"),
        ]
    )
    labels = dict(circulars.Status.choices)
    # Read once for the whole circular, not once per batch.
    context = {
        "names": circulars.organisation_names(record.distributions.values("organisation_id")),
        "acknowledged": circulars.acknowledgements_by_distribution(record.acknowledgements.all()),
    }
    batch = []
    for distribution in circulars.distributions_under(record, record.organisation).iterator(
        chunk_size=CSV_BATCH
    ):
        batch.append(distribution)
        if len(batch) == CSV_BATCH:
            yield from _csv_batch(writer, record, batch, today, labels, context)
            batch = []
    yield from _csv_batch(writer, record, batch, today, labels, context)


def _csv_batch(writer, record, batch, today, labels, context):
    if batch:
        for row in circulars.describe_rows(record, batch, today, **context):
            distribution = row["distribution"]
            first_at = (
                timezone.localtime(distribution.acknowledged_at).strftime("%Y-%m-%d %H:%M")
                if distribution.acknowledged_at
                else ""
            )
            everyone = "; ".join(
                f"{_person(ack.user)} ({timezone.localtime(ack.created_at):%Y-%m-%d %H:%M})"
                + (f": {ack.comment}" if ack.comment else "")
                for ack in row["acknowledgements"]
            )
            yield writer.writerow(
                [
                    row["region"].display_name if row["region"] else "",
                    row["district"].display_name if row["district"] else "",
                    row["organisation"].display_name if row["organisation"] else "",
                    row["organisation"].org_code if row["organisation"] else "",
                    str(labels[row["status"]]),
                    first_at,
                    _person(distribution.acknowledged_by),
                    everyone,
                ]
            )


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@login_required
def dashboard_csv(request, record_id):
    record = _dashboard_record(request, record_id)
    if record.organisation is None:
        raise Http404
    today = timezone.localdate()
    response = StreamingHttpResponse(_csv_rows(record, today), content_type="text/csv")
    name = f"circular-{record.pk}-{today:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def remind(request, record_id):
    record = _dashboard_record(request, record_id)
    if not circulars.is_overdue_date(record):
        messages.info(request, _("The deadline has not passed: nobody is overdue yet."))
    else:
        waiting = record.distributions.filter(acknowledged_at__isnull=True).count()
        circulars.remind_overdue_task.enqueue(record.pk)
        messages.success(
            request,
            _("Reminders are on their way to the staff of %(count)s overdue organisations.")
            % {"count": waiting},
        )
    return redirect(reverse("circulars:dashboard", args=[record.pk]))


@login_required
def mail_settings(request):
    preference = MailPreference.for_user(request.user)
    # An unticked box sends nothing: an empty POST is still a submission.
    data = request.POST if request.method == "POST" else None
    form = MailPreferenceForm(data, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your mail settings are saved."))
        return redirect(reverse("circulars:mail_settings"))
    return TemplateResponse(
        request,
        "docs_library/circulars/mail_settings.html",
        {"form": form},
    )
