"""The tokens that open records and the tokens people hold: the plumbing below
``docs_library.access``, which re-exports what callers use.

Every record stores the tokens that open it (``DocumentAccess`` rows, and the
same list in the search index); ``home.roles`` gives every user the tokens they
hold, once per request. The rules for each access level are told in
``docs_library.access``; this module only computes and stores them.
"""

from typing import NamedTuple

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from home import page_cache, roles
from home.tokens import MEMBERS_TOKEN, PUBLIC_TOKEN, editor_token, manager_token, role_token

from .models import AccessLevel, DocumentAccess, DocumentPage

# Other parts of docs_library (circulars, assignments) add pages whose grants open a record.
_extra_token_sources = []


class Opening(NamedTuple):
    """A page whose role holders may read a record, as a token source names it."""

    pk: int
    path: str
    depth: int


def register_token_source(function):
    """``function(record_ids) -> iterable of (record_id, page_id, path, depth)`` rows:
    pages whose role holders may read each of these (organisation-level) records.

    A source is asked once for a batch of records (a refresh of a moved
    subtree, an import of thousands), so it reads its rows for all of them in
    one query; a circular can be addressed to thousands of organisations, so
    only each page's id, path and depth are read.
    """
    _extra_token_sources.append(function)
    return function


def opening_pages(record_ids) -> dict[int, list[Opening]]:
    """The pages every token source names for each of ``record_ids``."""
    pages: dict[int, list[Opening]] = {}
    for chunk in roles.chunks(record_ids):
        for source in _extra_token_sources:
            for record_id, *page in source(chunk):
                pages.setdefault(record_id, []).append(Opening(*page))
    return pages


def user_tokens(user) -> frozenset[str] | None:
    """The tokens ``user`` holds; ``None`` means everything (superusers)."""
    return roles.principal(user).tokens


def record_tokens(
    record: DocumentPage,
    chain: list[int] | None = None,
    root_id: int | None = None,
    opening_chains: list[list[int]] | None = None,
) -> set[str]:
    """The tokens that open ``record``, from its place in the tree and its level.

    ``chain`` and ``root_id``: the record's ``roles.inheritance_chain`` and
    ``roles.site_root_id()``; ``opening_chains``: the inheritance chains of the
    pages the token sources name for it (``opening_pages``). Callers pass them
    when they have read them for many records at once.
    """
    if chain is None:
        chain = roles.inheritance_chain(record) if record.path else []
    points = [*chain, root_id if root_id is not None else roles.site_root_id()]
    if not record.live:
        return {editor_token(page_id) for page_id in points}
    tokens = set()
    level = record.access_level
    if level == AccessLevel.PUBLIC:
        tokens.add(PUBLIC_TOKEN)
    elif level == AccessLevel.MEMBERS:
        tokens.add(MEMBERS_TOKEN)
    elif level == AccessLevel.ORGANISATION:
        tokens.update(role_token(page_id) for page_id in points)
        if opening_chains is None:
            pages = opening_pages([record.pk]).get(record.pk, []) if record.pk else []
            opening_chains = list(roles.inheritance_chains(pages).values())
        for opening_chain in opening_chains:
            tokens.update(role_token(page_id) for page_id in opening_chain)
    elif level == AccessLevel.RESTRICTED:
        tokens.add(role_token(record.pk))
        tokens.update(manager_token(page_id) for page_id in points)
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
    root_id = roles.site_root_id()
    opening = opening_pages(
        [
            record.pk
            for record in records
            if record.live and record.access_level == AccessLevel.ORGANISATION
        ]
    )
    opening_chains = roles.inheritance_chains(page for pages in opening.values() for page in pages)
    wanted = {
        record.pk: record_tokens(
            record,
            chains.get(record.path, []),
            root_id,
            [opening_chains[page.path] for page in opening.get(record.pk, [])],
        )
        for record in records
    }
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
        added = DocumentAccess.objects.bulk_create(
            [
                DocumentAccess(page_id=page_id, token=token)
                for page_id, tokens in wanted.items()
                for token in tokens - stored[page_id]
            ]
        )
        if stale or added:
            # Who may see these records changed: no cached page may still show them.
            page_cache.purge()
    return len(records)


def token_filter(user, field: str = "pk"):
    """The condition ``viewable`` applies, for querysets whose ``field`` is a record's id."""
    tokens = user_tokens(user)
    if tokens is None:
        return Q()
    return Q(Exists(DocumentAccess.objects.filter(page_id=OuterRef(field), token__in=tokens)))


def tokens_of(users) -> dict[int, frozenset[str] | None]:
    """``user_tokens`` of many users at once, by user id.

    Their grants, direct and through groups, are read together (a few queries
    per 900 people, however many there are); ``roles.Principal`` then derives
    each one's tokens exactly as it does for a request.
    """
    from django.contrib.auth import get_user_model

    users = list(users)
    ids = [user.pk for user in users if user.is_active and not user.is_superuser]
    memberships = get_user_model().groups.through.objects
    groups_of: dict[int, set[int]] = {}
    for chunk in roles.chunks(ids):
        rows = memberships.filter(user_id__in=chunk).values_list("user_id", "group_id")
        for user_id, group_id in rows:
            groups_of.setdefault(user_id, set()).add(group_id)
    grants: dict[int, list] = {user_id: [] for user_id in ids}
    for chunk in roles.chunks(ids):
        for grant in roles.grants_of_principals(user_ids=chunk):
            grants[grant.user_id].append(grant)
    by_group: dict[int, list] = {}
    for chunk in roles.chunks(set().union(*groups_of.values())):
        for grant in roles.grants_of_principals(group_ids=chunk):
            by_group.setdefault(grant.group_id, []).append(grant)
    for user_id, group_ids in groups_of.items():
        for group_id in group_ids:
            grants[user_id].extend(by_group.get(group_id, ()))
    tokens = {}
    for user in users:
        principal = roles.Principal(user)
        if user.pk in grants:
            principal.__dict__["grants"] = grants[user.pk]  # the cached property, read above
        tokens[user.pk] = principal.tokens
    return tokens
