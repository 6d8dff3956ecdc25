"""The one place that answers "may this user see this?" for documents.

``can_view(user, obj)`` answers for one record, file or page; ``viewable(user,
queryset)`` narrows a queryset of records with one query-level filter, the same
on SQLite and PostgreSQL, and ``user_tokens(user)`` gives the search layer the
same rule to put inside its own query.

How: every record stores the tokens that open it (``DocumentAccess`` rows, and
the same list in the search index); ``home.roles`` gives every user the tokens
they hold, once per request. A record is visible when the two sets meet.
Computing and storing the tokens is ``access_tokens``'s work; the rules are here.

What opens a record, by its access level:
- public: everyone (``public``);
- members: any signed-in, active user (``members``);
- organisation: a role on the record, its library, its organisation or any page
  above, up to the first page that blocks inheritance (``role:<page>``);
  for a circular, the same for each organisation it is addressed to; for a
  record with assignments, each executor organisation; for a report's file,
  the organisation that issued the assignment;
- restricted: a role granted on the record itself, or Manager on the way up
  (``role:<record>``, ``mgr:<page>``);
- not yet published (draft, in review): Contributors and above of the subtree
  only (``edit:<page>``), whatever the level.
Grants on the root page are site-wide and pass every block. Superusers see all.
"""

from django.db.models import Q

from wagtail.models import Page, WorkflowState
from wagtail.permissions import policy_registry

from home import roles
from home.models import InheritanceBlock, organisation_page_models
from home.tokens import PUBLIC_TOKEN

from .access_tokens import (  # noqa: F401 (re-exported: callers ask access.py)
    REFRESH_BATCH,
    record_tokens,
    refresh_tokens,
    register_token_source,
    token_filter,
    tokens_of,
    user_tokens,
)
from .lifecycle.states import TRANSITIONS
from .lifecycle.workflow import approvers_for, reviewers_for, reviews_somewhere
from .models import (
    OPEN_STATES,
    AccessLevel,
    DocumentAccess,
    DocumentAttachment,
    DocumentPage,
    Execution,
    LibraryDocument,
    OrganisationReviewTask,
    ReportFile,
)


def viewable(user, queryset):
    """The records of ``queryset`` the user may see: one filter, no loop."""
    return queryset.filter(token_filter(user))


def _opened_record_ids(user):
    """The ids of the records ``user`` may see, as a subquery (``None``: all of them)."""
    tokens = user_tokens(user)
    if tokens is None:
        return None
    return DocumentAccess.objects.filter(token__in=tokens).values("page_id")


# The admin's filters below are ``pk__in`` subqueries rather than ``Exists``:
# Wagtail hands these querysets to its search backend (page and document
# search, choosers), which can translate field lookups only.


def visible_pages(user, queryset):
    """A queryset of pages of any type, less the records the user may not see."""
    opened = _opened_record_ids(user)
    if opened is None:
        return queryset
    records = DocumentPage.objects.values("pk")
    return queryset.exclude(Q(pk__in=records) & ~Q(pk__in=opened))


def _files_shown_by(records) -> Q:
    """Files that one of ``records`` shows, as its main file or an attachment."""
    return Q(pk__in=records.exclude(main_file=None).values("main_file_id")) | Q(
        pk__in=DocumentAttachment.objects.filter(page__in=records).values("document_id")
    )


def visible_files(user, queryset):
    """Files of ``queryset`` less those shown only by records the user may not see.

    A file no record shows yet (just uploaded) is left to Wagtail's collection
    permissions.
    """
    opened = _opened_record_ids(user)
    if opened is None:
        return queryset
    opened_records = DocumentPage.objects.filter(pk__in=opened)
    return queryset.filter(
        ~_files_shown_by(DocumentPage.objects.all()) | _files_shown_by(opened_records)
    )


def hidden_page_ids(user, page_ids) -> set[int]:
    """The records among ``page_ids`` that ``user`` may not see in the admin.

    Other pages never are. A reviewer the workflow assigned across a block of
    inheritance (``roles.block_exempts``) sees the record in review. Answers
    are kept for the request (Wagtail asks about each listed page many times).
    """
    page_ids = set(page_ids)
    if not page_ids or user_tokens(user) is None:
        return set()
    known = roles.principal(user).memo.setdefault("admin_hidden", {})
    if asked := page_ids - known.keys():
        known.update(dict.fromkeys(asked, False))
        known.update(dict.fromkeys(_hidden_in_admin(user, asked), True))
    return {page_id for page_id in page_ids if known[page_id]}


def _hidden_in_admin(user, page_ids) -> set[int]:
    pages = Page.objects.filter(pk__in=page_ids)
    hidden = set(pages.values_list("pk", flat=True)) - set(
        visible_pages(user, pages).values_list("pk", flat=True)
    )
    if hidden and user.is_authenticated:
        in_review = DocumentPage.objects.filter(pk__in=hidden).filter(
            Q(live=False) | Q(has_unpublished_changes=True)
        )
        hidden -= {record.pk for record in in_review if roles.block_exempts(user, record, "view")}
    return hidden


def hidden_file_ids(user, document_ids) -> set[int]:
    """The files among ``document_ids`` shown only by records ``user`` may not see."""
    document_ids = set(document_ids)
    if not document_ids or user_tokens(user) is None:
        return set()
    files = LibraryDocument.objects.filter(pk__in=document_ids)
    return set(files.values_list("pk", flat=True)) - set(
        visible_files(user, files).values_list("pk", flat=True)
    )


def can_view_in_admin(user, page) -> bool:
    """May ``user`` see ``page`` in the admin at all, whatever their role?

    Records follow the same rule as on the site (drafts and records in review
    open to Contributors and above of their subtree); organisations,
    libraries and announcements are left to Wagtail's own permissions.
    """
    return not hidden_page_ids(user, [page.pk])


def records_showing(document: LibraryDocument):
    """The records whose main file or attachment this file is."""
    return DocumentPage.objects.filter(
        Q(main_file=document) | Q(attachments__document=document)
    ).distinct()


def can_edit_file(user, document: LibraryDocument) -> bool:
    """Editors of the file's collection (Wagtail's own rule) may always fetch it."""
    policy = policy_registry.get_by_type(LibraryDocument)
    return policy.user_has_permission_for_instance(user, "change", document)


def can_view(user, obj) -> bool:
    if isinstance(obj, LibraryDocument):
        if user.is_authenticated and can_edit_file(user, obj):
            return True
        return viewable(user, records_showing(obj)).exists()
    if isinstance(obj, Page) and not isinstance(obj, DocumentPage):
        if obj.specific_class is not DocumentPage:
            return obj.live
        obj = obj.specific
    if isinstance(obj, DocumentPage):
        return viewable(user, DocumentPage.objects.filter(pk=obj.pk)).exists()
    return False


# --- many people at once, signed-out visitors, withdrawn records --------------------------
#
# Mail names a record and links to it, so it goes only to people who may see the
# record (``users_who_may_view``); the sitemap announces only what a signed-out
# visitor may read (``anonymous_may_view``); a withdrawn record's notice shows
# only to those it would open for were it still published
# (``could_view_before_withdrawal``).


def _tokens_opening(page) -> set[str]:
    """The tokens that open ``page``: a record's stored ones. Any other page opens
    to everyone once live and, before, like a record in draft (Contributors and
    above of its subtree)."""
    if isinstance(page, DocumentPage) or page.specific_class is DocumentPage:
        return set(DocumentAccess.objects.filter(page_id=page.pk).values_list("token", flat=True))
    if page.live:
        return {PUBLIC_TOKEN}
    return record_tokens(page)


def users_who_may_view(page, users, *, in_admin: bool = False) -> list:
    """The people among ``users`` who may see ``page`` (a record or any page),
    in their order and once each: ``can_view`` for many people in a few
    queries. Superusers see everything; inactive users nothing (no mail goes
    to them either). Mail naming a page goes only to these.

    ``in_admin``: as the admin shows the page (``can_view_in_admin``), for mail
    that links there: a reviewer the workflow assigned across a block of
    inheritance sees the record while it is in review.
    """
    candidates, seen = [], set()
    for user in users:
        if user is not None and user.is_active and user.pk not in seen:
            seen.add(user.pk)
            candidates.append(user)
    if not candidates:
        return []
    opening = _tokens_opening(page)
    held = tokens_of(candidates)
    return [
        user
        for user in candidates
        if held[user.pk] is None
        or not opening.isdisjoint(held[user.pk])
        or (in_admin and can_view_in_admin(user, page))
    ]


def anonymous_may_view(page, request=None) -> bool:
    """``can_view`` for a signed-out visitor: what the sitemap may announce.

    Given the request, the records open to the public are read once for it
    (the sitemap asks of every page), not once per record.
    """
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    if request is None or not isinstance(page, DocumentPage):
        return can_view(anonymous, page)
    opened = getattr(request, "_sandyq_public_records", None)
    if opened is None:
        opened = set(viewable(anonymous, DocumentPage.objects.all()).values_list("pk", flat=True))
        request._sandyq_public_records = opened
    return page.pk in opened


def could_view_before_withdrawal(user, record) -> bool:
    """Would ``record`` open for ``user`` were it still published?

    Asked of the token rules above, on the record as it was (its notice at its
    URL, its line in an inbox).
    """
    tokens = user_tokens(user)
    if tokens is None:
        return True
    was_live = record.live
    record.live = True
    try:
        wanted = record_tokens(record)
    finally:
        record.live = was_live
    return bool(wanted & tokens)


def may_follow_circular(user, record) -> bool:
    """May ``user`` open the acknowledgements dashboard of ``record``?

    Its author and those who manage records where it lives (the roles allowing
    ``MANAGE_RECORDS``, as for archiving), while they may read it; a withdrawn
    record's dashboard stays open to them.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if not (
        user.is_superuser
        or record.owner_id == user.pk
        or roles.has_site_permission(user, record, roles.MANAGE_RECORDS)
    ):
        return False
    return bool(record.withdrawn_at) or can_view(user, record)


# --- acting on a record ----------------------------------------------------------------


def may_take(user, record, step: str) -> bool:
    """May ``user`` take ``step`` of the record's life, as ``lifecycle.states.TRANSITIONS``
    declares it: a site permission of the roles holding where the record is, or
    one of Wagtail's page permissions (its tester, which asks ``can_view`` too)."""
    allowed_by = TRANSITIONS[step].allowed_by
    if allowed_by.startswith("wagtail:"):
        tester = record.permissions_for_user(user)
        return getattr(tester, f"can_{allowed_by.removeprefix('wagtail:')}")()
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return roles.has_site_permission(user, record, allowed_by)


def may_archive(user, record) -> bool:
    """Archive and restore: Editors, Reviewers and Managers where the record is."""
    return may_take(user, record, "archive")


def may_withdraw(user, record) -> bool:
    return record.live and may_take(user, record, "withdraw")


def may_acknowledge(user, distribution) -> bool:
    """May ``user`` acknowledge a circular for the organisation it was distributed to?"""
    record = distribution.record
    return (
        record.live
        and roles.has_site_permission(user, distribution.organisation, roles.ACKNOWLEDGE)
        and can_view(user, record)
    )


# --- assignments ------------------------------------------------------------------------


@register_token_source
def executor_organisations(record_ids):
    """The executor organisations of the records' assignments (sub-assignments too) open
    them to their people, as a circular's addressees do (organisation-level records;
    restricted ones take no assignments). Named people open nothing: only those who
    may read the record already are named (``nameable_people``)."""
    return (
        Execution.objects.filter(assignment__record_id__in=record_ids, organisation__isnull=False)
        .values_list(
            "assignment__record_id", "organisation_id", "organisation__path", "organisation__depth"
        )
        .distinct()
    )


@register_token_source
def report_file_receivers(record_ids):
    """A file sent with a report (``ReportFile``) opens to the organisation that issued
    the assignment too, as the report itself does, across a block of inheritance."""
    return ReportFile.objects.filter(record_id__in=record_ids).values_list(
        "record_id",
        "execution__assignment__organisation_id",
        "execution__assignment__organisation__path",
        "execution__assignment__organisation__depth",
    )


def _active(user) -> bool:
    return user.is_authenticated and user.is_active


def may_issue_assignment(user, record) -> bool:
    """Issue assignments on ``record``: its author and those who manage records
    where it lives (``MANAGE_RECORDS``: Editors, Reviewers, Managers), on a
    published record they may read."""
    if not (_active(user) and record.live and record.organisation_id):
        return False
    if not (
        user.is_superuser
        or record.owner_id == user.pk
        or roles.has_site_permission(user, record, roles.MANAGE_RECORDS)
    ):
        return False
    return can_view(user, record)


def may_pass_on(user, execution) -> bool:
    """Pass a sub-assignment down from an organisation's execution: whoever could issue
    assignments in the executor organisation (``MANAGE_RECORDS`` there), while the
    work is open and the record published and readable to them."""
    if not (_active(user) and execution.organisation_id and execution.state in OPEN_STATES):
        return False
    record = execution.assignment.record
    if not record.live:
        return False
    if not (
        user.is_superuser
        or roles.has_site_permission(user, execution.organisation, roles.MANAGE_RECORDS)
    ):
        return False
    return can_view(user, record)


def nameable_people(organisation, record, user_ids=None) -> dict:
    """The people an assignment issued by ``organisation`` on ``record`` may name as
    executors, each with the organisation they are counted under: active people
    holding a role (themselves or through a group) on an organisation at or below
    ``organisation``, who may read the record (naming opens nothing). They count
    under the organisation of that role nearest ``organisation``: the highest one,
    on equal depth the first in the tree. ``user_ids``: only these."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    pages = {
        pk: (depth, path)
        for pk, path, depth in Page.objects.filter(path__startswith=organisation.path)
        .type(*organisation_page_models())
        .values_list("pk", "path", "depth")
    }
    held: dict[int, set[int]] = {}  # person or group → pages
    by_group: dict[int, set[int]] = {}
    for chunk in roles.chunks(pages):
        for grant in roles.grants_on_pages(chunk):
            target = held if grant.user_id else by_group
            target.setdefault(grant.user_id or grant.group_id, set()).add(grant.page_id)
    for chunk in roles.chunks(by_group):
        members = User.groups.through.objects.filter(group_id__in=chunk)
        for user_id, group_id in members.values_list("user_id", "group_id"):
            held.setdefault(user_id, set()).update(by_group[group_id])
    if user_ids is not None:
        held = {pk: held[pk] for pk in set(user_ids) & held.keys()}
    people = User.objects.filter(pk__in=held, is_active=True).order_by(
        "last_name", "first_name", "username"
    )
    return {
        user: min(held[user.pk], key=pages.__getitem__)
        for user in users_who_may_view(record, people)
    }


def may_report(user, execution) -> bool:
    """Report on an execution: a named person themselves; for an organisation, its
    Readers and above (``ACKNOWLEDGE`` there); either while they may read the
    record the assignment is about."""
    if not _active(user):
        return False
    if execution.person_id is not None:
        if execution.person_id != user.pk:
            return False
    elif not roles.has_site_permission(user, execution.organisation, roles.ACKNOWLEDGE):
        return False
    return can_view(user, execution.assignment.record)


def may_decide(user, assignment) -> bool:
    """Follow an assignment's executions, accept and return reports: its issuer and
    those who manage records in the issuing organisation (for a sub-assignment,
    the executor organisation it was passed down from), while they may read the
    record (a withdrawn record's assignments stay open to them)."""
    if not _active(user):
        return False
    if not (
        user.is_superuser
        or assignment.issued_by_id == user.pk
        or roles.has_site_permission(user, assignment.organisation, roles.MANAGE_RECORDS)
    ):
        return False
    record = assignment.record
    return bool(record.withdrawn_at) or can_view(user, record)


# --- registration journals ------------------------------------------------------------------


def may_view_journal(user, organisation) -> bool:
    """Read an organisation's registration journals: Contributors and above there
    (``VIEW_JOURNALS``), granted there or above it, up to a block."""
    return _active(user) and roles.has_site_permission(user, organisation, roles.VIEW_JOURNALS)


def may_register(user, organisation) -> bool:
    """Register a document by hand in an organisation's journals: Editors,
    Reviewers and Managers there (``REGISTER_DOCUMENTS``)."""
    return _active(user) and roles.has_site_permission(user, organisation, roles.REGISTER_DOCUMENTS)


def journal_titles_visible(user, record_ids) -> set[int]:
    """Which of these records' titles a journal may show ``user``: those they may
    open (a journal row of a record they may not read names no title)."""
    record_ids = [pk for pk in record_ids if pk is not None]
    if not record_ids:
        return set()
    return set(
        viewable(user, DocumentPage.objects.filter(pk__in=record_ids)).values_list("pk", flat=True)
    )


# --- execution discipline ----------------------------------------------------------------


def may_view_discipline(user, organisation) -> bool:
    """May ``user`` open the execution discipline report and rating of
    ``organisation``'s subtree? Reviewers and Managers there, granted on it or
    above (``FOLLOW_DISCIPLINE``; a block of inheritance stops grants made
    above it), and superusers. A sibling, or a page across a block, is not theirs."""
    if not _active(user):
        return False
    return user.is_superuser or roles.has_site_permission(
        user, organisation, roles.FOLLOW_DISCIPLINE
    )


def discipline_organisations(user):
    """The organisations whose discipline report ``user`` opens from their own grants
    (the central office for superusers), highest first: their ways into the report."""
    pages = Page.objects.live().type(*organisation_page_models())
    if not _active(user):
        return pages.none()
    if user.is_superuser:
        return pages.filter(depth=2).order_by("path")
    ids = {
        grant.page_id
        for grant in roles.principal(user).grants
        if grant.role.allows(roles.FOLLOW_DISCIPLINE)
    }
    if roles.site_root_id() in ids:  # granted site-wide
        return pages.filter(depth=2).order_by("path")
    return pages.filter(pk__in=ids).order_by("path")


def discipline_hidden_paths(user, organisation) -> list[str]:
    """The paths of subtrees below ``organisation`` whose discipline ``user`` may
    not see although they see ``organisation``'s: those behind a block of
    inheritance where no grant of their own holds. A few queries, however many
    organisations there are (one per blocked page, and blocks are few)."""
    if user.is_superuser:
        return []
    blocked = (
        Page.objects.filter(
            pk__in=InheritanceBlock.objects.values("page_id"),
            path__startswith=organisation.path,
            depth__gt=organisation.depth,
        )
        .order_by("path")
        .only("pk", "path", "depth")
    )
    hidden: list[str] = []
    for page in blocked:
        if any(page.path.startswith(path) for path in hidden):
            continue
        if not may_view_discipline(user, page):
            hidden.append(page.path)
    return hidden


# --- reviewers found above a block ---------------------------------------------------------
#
# ``workflow.reviewers_for`` walks up across a block of inheritance when an
# organisation has no reviewer of its own; those reviewers may then do what the
# review needs below the block, and nothing else there (``home.roles`` asks these).


@roles.register_block_exemption
def assigned_reviewers_open_the_editor(user, page, action) -> bool:
    """Reviewers found above a block (see ``reviewers_for``) open the record in
    review in the editor, where Wagtail shows its Approve and Request changes;
    nothing else below the block."""
    if action != "edit":
        return False
    task_state = page.current_workflow_task_state
    return (
        task_state is not None
        and isinstance(task_state.task.specific, OrganisationReviewTask)
        and may_review(user, page)
    )


@roles.register_block_exemption
def assigned_reviewers_see_the_record_in_review(user, page, action) -> bool:
    """Reviewers the workflow found above a block see the record in the admin while
    it is in review, and as their approval publishes it, as they would without the
    block; not a draft begun after that approval, nor a restricted record's new
    version (only Managers and those granted on it read those)."""
    if action != "view" or roles.has_site_permission(user, page, roles.REVIEW):
        return False
    if page.live and page.access_level == AccessLevel.RESTRICTED:
        return False
    state = page.workflow_states.order_by("-created_at").first()
    if state is None:
        return False
    if state.status == WorkflowState.STATUS_APPROVED:
        last_task = state.task_states.order_by("-started_at", "-pk").first()
        latest = page.latest_revision
        if not (last_task and last_task.finished_at and latest):
            return False
        if latest.created_at > last_task.finished_at:
            return False
    elif state.status != WorkflowState.STATUS_IN_PROGRESS:
        return False
    return may_review(user, page)


def may_review(user, page) -> bool:
    """May ``user`` approve or reject ``page`` in review?

    Reviewers (and Managers) where the page lives, superusers, and the
    reviewers the workflow finds for it above a block (``reviewers_for``).
    """
    if not _active(user):
        return False
    if user.is_superuser or roles.has_site_permission(user, page, roles.REVIEW):
        return True
    if not reviews_somewhere(user):
        return False  # reviews nowhere: no fallback can make them a reviewer here
    return any(reviewer.pk == user.pk for reviewer in reviewers_for(page).users)


# --- approval routes -------------------------------------------------------------------------


def may_approve(user, task, record) -> bool:
    """May ``user`` approve or return ``record`` on a parallel approval step?

    The step's approvers (``workflow.approvers_for``: named people, holders of its
    role on the record's organisation), and only while they may see the record
    in the admin: being named opens nothing a role does not.
    """
    if not _active(user) or not record.pk:
        return False
    if not any(approver.pk == user.pk for approver in approvers_for(task, record)):
        return False
    return can_view_in_admin(user, record)


def may_see_approval_sheet(user, record) -> bool:
    """The approval sheet: whoever may see the record (in the admin, where it is
    linked, so a record still in its route too)."""
    return _active(user) and can_view_in_admin(user, record)
