"""The one place that answers "may this user see this?" for documents.

``can_view(user, obj)`` answers for one record, file or page; ``viewable(user,
queryset)`` narrows a queryset of records with one query-level filter, the same
on SQLite and PostgreSQL, and ``user_tokens(user)`` gives the search layer the
same rule to put inside its own query.

How: every record stores the tokens that open it (``DocumentAccess`` rows, and
the same list in the search index); ``home.roles`` gives every user the tokens
they hold, once per request. A record is visible when the two sets meet.

What opens a record, by its access level:
- public: everyone (``public``);
- members: any signed-in, active user (``members``);
- organisation: a role on the record, its library, its organisation or any page
  above, up to the first page that blocks inheritance (``role:<page>``);
  for a circular, the same for each organisation it is addressed to;
- restricted: a role granted on the record itself, or Manager on the way up
  (``role:<record>``, ``mgr:<page>``);
- not yet published (draft, in review): Contributors and above of the subtree
  only (``edit:<page>``), whatever the level.
Grants on the root page are site-wide and pass every block. Superusers see all.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from wagtail.models import Page
from wagtail.permissions import policy_registry

from home import roles

from .models import AccessLevel, DocumentAccess, DocumentPage, LibraryDocument

# Other parts of docs_library (circulars) add pages whose grants open a record.
_extra_token_sources = []


def register_token_source(function):
    """``function(record) -> iterable of pages`` whose role holders may read the record.

    Only each page's ``pk``, ``path`` and ``depth`` are read, so a source may
    yield ``values_list("pk", "path", "depth", named=True)`` rows: a circular
    can be addressed to thousands of organisations.
    """
    _extra_token_sources.append(function)
    return function


def user_tokens(user) -> frozenset[str] | None:
    """The tokens ``user`` holds; ``None`` means everything (superusers)."""
    return roles.principal(user).tokens


def record_tokens(record: DocumentPage, chain: list[int] | None = None) -> set[str]:
    """The tokens that open ``record``, from its place in the tree and its level.

    ``chain``: the record's ``roles.inheritance_chain``, when the caller has
    read it already for many records at once.
    """
    if chain is None:
        chain = roles.inheritance_chain(record) if record.path else []
    points = [*chain, roles.site_root_id()]
    if not record.live:
        return {f"edit:{page_id}" for page_id in points}
    tokens = set()
    level = record.access_level
    if level == AccessLevel.PUBLIC:
        tokens.add("public")
    elif level == AccessLevel.MEMBERS:
        tokens.add("members")
    elif level == AccessLevel.ORGANISATION:
        tokens.update(f"role:{page_id}" for page_id in points)
        organisations = [page for source in _extra_token_sources for page in source(record)]
        for chain in roles.inheritance_chains(organisations).values():
            tokens.update(f"role:{page_id}" for page_id in chain)
    elif level == AccessLevel.RESTRICTED:
        tokens.add(f"role:{record.pk}")
        tokens.update(f"mgr:{page_id}" for page_id in points)
    return tokens


#: Records whose tokens are refreshed together (a moved or blocked subtree may hold thousands).
REFRESH_BATCH = 500


def refresh_tokens(records) -> int:
    """Store the current tokens of each record (after a save, a move, a block).

    Chains and stored tokens are read for a batch of records at once, so a
    subtree of thousands costs queries per batch, not per record.
    """
    count = 0
    batch = []
    for record in records:
        batch.append(record)
        if len(batch) == REFRESH_BATCH:
            count += _refresh_batch(batch)
            batch = []
    return count + (_refresh_batch(batch) if batch else 0)


def _refresh_batch(records) -> int:
    chains = roles.inheritance_chains([record for record in records if record.path])
    wanted = {record.pk: record_tokens(record, chains.get(record.path, [])) for record in records}
    with transaction.atomic():
        stored = {record.pk: set() for record in records}
        for page_id, token in DocumentAccess.objects.filter(page_id__in=stored).values_list(
            "page_id", "token"
        ):
            stored[page_id].add(token)
        stale = Q()
        for page_id, tokens in stored.items():
            if tokens - wanted[page_id]:
                stale |= Q(page_id=page_id, token__in=tokens - wanted[page_id])
        if stale:
            DocumentAccess.objects.filter(stale).delete()
        DocumentAccess.objects.bulk_create(
            [
                DocumentAccess(page_id=page_id, token=token)
                for page_id, tokens in wanted.items()
                for token in tokens - stored[page_id]
            ]
        )
    return len(records)


def token_filter(user, field: str = "pk"):
    """The condition ``viewable`` applies, for querysets whose ``field`` is a record's id."""
    tokens = user_tokens(user)
    if tokens is None:
        return Q()
    return Q(Exists(DocumentAccess.objects.filter(page_id=OuterRef(field), token__in=tokens)))


def viewable(user, queryset):
    """The records of ``queryset`` the user may see: one filter, no loop."""
    return queryset.filter(token_filter(user))


def visible_pages(user, queryset):
    """A queryset of pages of any type, less the records the user may not see."""
    if user_tokens(user) is None:
        return queryset
    records = DocumentPage.objects.values("pk")
    return queryset.exclude(Q(pk__in=records) & ~token_filter(user))


def _records_showing_outer():
    return DocumentPage.objects.filter(
        Q(main_file=OuterRef("pk")) | Q(attachments__document=OuterRef("pk"))
    )


def visible_files(user, queryset):
    """Files of ``queryset`` less those shown only by records the user may not see.

    A file no record shows yet (just uploaded) is left to Wagtail's collection
    permissions.
    """
    if user_tokens(user) is None:
        return queryset
    shown = _records_showing_outer()
    return queryset.filter(~Exists(shown) | Exists(viewable(user, shown)))


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
