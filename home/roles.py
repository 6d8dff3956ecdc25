"""Who may do what where: Plone-style local roles on the page tree.

A role (Reader, Contributor, Editor, Reviewer, Manager) is granted to a user
or a group *on a page*: an organisation, a library or one document. It is
stored as a django-guardian object permission on that page and holds for
everything below it, unless a page on the way blocks inheritance (Plone's
"block inheritance"): then grants made above the blocking page stop there.
Grants on the tree's root page are site-wide and pass through every block.

Roles are declared once, here, as data: which Wagtail page and document
permissions each implies (so the admin agrees with the site) and what each
allows on the site. Nothing else in Sandyq names a role or a group; it asks
this module (and ``docs_library.access`` for documents).

Wagtail's admin sees the same grants: a user granted a role on a page joins
an automatic group for that page and role ("Қарағанды облысы · Editors"),
which holds the role's ``GroupPagePermission`` on the page and its
collection permissions on the organisation's collection; a group granted a
role gets those permissions itself. ``sync_roles`` rebuilds all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardian.models import GroupObjectPermission, UserObjectPermission

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from .models import AutomaticRoleGroup, InheritanceBlock, organisation_page_models
from .signals import inheritance_changed
from .tokens import MEMBERS_TOKEN, PUBLIC_TOKEN, editor_token, manager_token, role_token

# What a role allows on the public side of the site.
VIEW_INTERNAL = "view_internal"  # read internal documents of the subtree
VIEW_DRAFTS = "view_drafts"  # read drafts and records in review
ACKNOWLEDGE = "acknowledge"  # acknowledge circulars addressed here
SEE_INBOX = "see_inbox"  # see the organisation's inbox of circulars
REVIEW = "review"  # approve or reject what editors submit
MANAGE_SHARING = "manage_sharing"  # grant and revoke roles (the Sharing view)
SEE_RESTRICTED = "see_restricted"  # read restricted records of the organisation
MANAGE_RECORDS = "manage_records"  # archive and restore records, follow their circulars
VIEW_JOURNALS = "view_journals"  # read the organisation's registration journals
REGISTER_DOCUMENTS = "register_documents"  # register documents in them by hand
FOLLOW_DISCIPLINE = "follow_discipline"  # the execution discipline report and rating of the subtree


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    plural: str
    rank: int
    page_permissions: tuple[str, ...]
    document_permissions: tuple[str, ...]
    site_permissions: frozenset[str]

    @property
    def codename(self) -> str:
        """The django-guardian permission that records a grant of this role."""
        return f"sandyq_role_{self.code}"

    @property
    def uses_admin(self) -> bool:
        return bool(self.page_permissions or self.document_permissions)

    def allows(self, site_permission: str) -> bool:
        return site_permission in self.site_permissions

    def __str__(self):
        return str(self.name)


_READER = frozenset({VIEW_INTERNAL, ACKNOWLEDGE, SEE_INBOX})
_CONTRIBUTOR = _READER | {VIEW_DRAFTS, VIEW_JOURNALS}

READER = Role("reader", _("Reader"), _("Readers"), 10, (), (), _READER)
CONTRIBUTOR = Role(
    "contributor",
    _("Contributor"),
    _("Contributors"),
    20,
    ("add_page",),
    ("add_document", "choose_document"),
    _CONTRIBUTOR,
)
EDITOR = Role(
    "editor",
    _("Editor"),
    _("Editors"),
    30,
    ("add_page", "change_page", "lock_page"),
    ("add_document", "change_document", "choose_document"),
    _CONTRIBUTOR | {MANAGE_RECORDS, REGISTER_DOCUMENTS},
)
REVIEWER = Role(
    "reviewer",
    _("Reviewer"),
    _("Reviewers"),
    40,
    ("add_page", "change_page", "publish_page", "lock_page"),
    ("add_document", "change_document", "choose_document"),
    _CONTRIBUTOR | {REVIEW, MANAGE_RECORDS, REGISTER_DOCUMENTS, FOLLOW_DISCIPLINE},
)
MANAGER = Role(
    "manager",
    _("Manager"),
    _("Managers"),
    50,
    ("add_page", "change_page", "publish_page", "lock_page", "unlock_page", "bulk_delete_page"),
    ("add_document", "change_document", "delete_document", "choose_document"),
    _CONTRIBUTOR
    | {
        REVIEW,
        MANAGE_RECORDS,
        REGISTER_DOCUMENTS,
        MANAGE_SHARING,
        SEE_RESTRICTED,
        FOLLOW_DISCIPLINE,
    },
)

ROLES: tuple[Role, ...] = (READER, CONTRIBUTOR, EDITOR, REVIEWER, MANAGER)
ROLES_BY_CODE = {role.code: role for role in ROLES}
ROLES_BY_CODENAME = {role.codename: role for role in ROLES}


def get_role(code: str) -> Role:
    try:
        return ROLES_BY_CODE[code]
    except KeyError:
        raise ValueError(f"Unknown role: {code!r}") from None


# --- storage --------------------------------------------------------------


def page_content_type() -> ContentType:
    return ContentType.objects.get_for_model(Page, for_concrete_model=False)


def role_permission(role: Role) -> Permission:
    permission, _created = Permission.objects.get_or_create(
        content_type=page_content_type(),
        codename=role.codename,
        defaults={"name": f"Has the {role.code} role here"},
    )
    return permission


def _as_page(page) -> Page:
    """Grants always sit on the base Page row, whatever the page's type."""
    return page if type(page) is Page else Page.objects.get(pk=page.pk)


@dataclass(frozen=True)
class Grant:
    role: Role
    page_id: int
    user_id: int | None = None
    group_id: int | None = None


def _grant_rows(page_ids=None, user_ids=None, group_ids=None):
    """Stored grants; each argument, when given, narrows them (``[]`` matches none)."""
    codenames = list(ROLES_BY_CODENAME)
    content_type = page_content_type()
    user_rows = UserObjectPermission.objects.filter(
        content_type=content_type, permission__codename__in=codenames
    )
    group_rows = GroupObjectPermission.objects.filter(
        content_type=content_type, permission__codename__in=codenames
    )
    if page_ids is not None:
        keys = [str(page_id) for page_id in page_ids]
        user_rows = user_rows.filter(object_pk__in=keys)
        group_rows = group_rows.filter(object_pk__in=keys)
    if user_ids is not None:
        user_rows = user_rows.filter(user_id__in=user_ids)
    if group_ids is not None:
        group_rows = group_rows.filter(group_id__in=group_ids)
    grants = [
        Grant(ROLES_BY_CODENAME[codename], int(object_pk), user_id=user_id)
        for codename, object_pk, user_id in user_rows.values_list(
            "permission__codename", "object_pk", "user_id"
        )
    ]
    grants += [
        Grant(ROLES_BY_CODENAME[codename], int(object_pk), group_id=group_id)
        for codename, object_pk, group_id in group_rows.values_list(
            "permission__codename", "object_pk", "group_id"
        )
    ]
    return grants


def grants_on_pages(page_ids) -> list[Grant]:
    """The grants made on any of these pages (a caller reading many pages chunks them)."""
    return _grant_rows(page_ids=page_ids)


def grants_of_principals(*, user_ids=(), group_ids=()) -> list[Grant]:
    """The grants made to these users (directly) and to these groups."""
    return _grant_rows(user_ids=list(user_ids), group_ids=list(group_ids))


def grants_on(page) -> list[Grant]:
    """The grants made on this very page."""
    return _grant_rows(page_ids=[page.pk])


def grants_of(user) -> list[Grant]:
    """The grants a user holds, directly or through their groups."""
    if not (user.is_authenticated and user.is_active):
        return []
    return _grant_rows(user_ids=[user.pk], group_ids=list(user.groups.values_list("pk", flat=True)))


# --- inheritance ------------------------------------------------------------


# Page ids or paths per query: under SQLite's oldest limit on bound parameters.
_CHUNK = 900


def chunks(values):
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def blocked_page_ids(page_ids) -> set[int]:
    blocked = set()
    for chunk in chunks(page_ids):
        blocked.update(
            InheritanceBlock.objects.filter(page_id__in=chunk).values_list("page_id", flat=True)
        )
    return blocked


def inheritance_chain(page) -> list[int]:
    """The pages whose local grants hold on ``page``: itself, then upwards to the
    first page that blocks inheritance (included). The root page is never
    part of a chain; its grants are site-wide (see ``site_root_id``)."""
    return inheritance_chains([page])[page.path]


def inheritance_chains(pages) -> dict[str, list[int]]:
    """``inheritance_chain`` of many pages at once, keyed by page path.

    Pages need only ``pk``, ``path`` and ``depth`` (``values_list(…, named=True)``
    rows will do). Ancestors and blocks are read in chunks of 900 ids, so a
    circular addressed to 10,000 organisations costs a few dozen queries
    instead of 20,000.
    """
    pages = list(pages)
    steplen = Page.steplen  # rows have no steplen of their own
    ids_by_path = {page.path: page.pk for page in pages if page.pk is not None}
    ancestor_paths = {
        page.path[: i * steplen] for page in pages for i in range(2, page.depth + 1)
    } - ids_by_path.keys()
    for chunk in chunks(sorted(ancestor_paths)):
        ids_by_path.update(Page.objects.filter(path__in=chunk).values_list("path", "pk"))
    blocks = blocked_page_ids(ids_by_path.values())
    chains = {}
    for page in pages:
        chain = []
        for depth in range(page.depth, 1, -1):
            page_id = ids_by_path.get(page.path[: depth * steplen])
            if page_id is None:
                continue
            chain.append(page_id)
            if page_id in blocks:
                break
        chains[page.path] = chain
    return chains


def site_root_id() -> int:
    return Page.get_first_root_node().pk


def roles_on(user, page) -> set[Role]:
    """Every role ``user`` holds on ``page``, granted there, inherited or site-wide."""
    if not (user.is_authenticated and user.is_active):
        return set()
    if user.is_superuser:
        return set(ROLES)
    points = set(inheritance_chain(page)) | {site_root_id()}
    return {grant.role for grant in principal(user).grants if grant.page_id in points}


def has_site_permission(user, page, site_permission: str) -> bool:
    return any(role.allows(site_permission) for role in roles_on(user, page))


def pages_allowing(user, pages, site_permission: str) -> set[int]:
    """The ids of ``pages`` on which ``user`` holds ``site_permission``:
    ``has_site_permission`` for many pages in a few queries."""
    pages = list(pages)
    if not (user.is_authenticated and user.is_active):
        return set()
    if user.is_superuser:
        return {page.pk for page in pages}
    granted = {
        grant.page_id for grant in principal(user).grants if grant.role.allows(site_permission)
    }
    if not granted:
        return set()
    chains = inheritance_chains(pages)
    root = site_root_id()
    return {page.pk for page in pages if root in granted or granted.intersection(chains[page.path])}


def must_use_second_factor(user) -> bool:
    """Superusers, and whoever may grant roles somewhere (a Manager anywhere),
    sign in with a second factor when ``SANDYQ_2FA_REQUIRED`` is on."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return any(grant.role.allows(MANAGE_SHARING) for grant in principal(user).grants)


# --- a principal's view, computed once per request ---------------------------


class Principal:
    """A user's grants and access tokens, computed once and kept on the user."""

    def __init__(self, user):
        self.user = user
        #: Answers other modules keep for the life of this principal (one request):
        #: ``forget`` drops them with the grants.
        self.memo: dict = {}

    @cached_property
    def grants(self) -> list[Grant]:
        return grants_of(self.user)

    @cached_property
    def tokens(self) -> frozenset[str] | None:
        """The access tokens this user holds; ``None`` for superusers (everything).

        A record lists the tokens that open it (``docs_library.access``); the
        user sees it when the two sets meet. Tokens name the *page* a grant was
        made on, so a grant or revoke changes what the user sees at once,
        without touching any record.
        """
        user = self.user
        if not (user.is_authenticated and user.is_active):
            return frozenset({PUBLIC_TOKEN})
        if user.is_superuser:
            return None
        tokens = {PUBLIC_TOKEN, MEMBERS_TOKEN}
        for grant in self.grants:
            tokens.add(role_token(grant.page_id))
            if grant.role.allows(VIEW_DRAFTS):
                tokens.add(editor_token(grant.page_id))
            if grant.role.allows(SEE_RESTRICTED):
                tokens.add(manager_token(grant.page_id))
        return frozenset(tokens)


def principal(user) -> Principal:
    cached = getattr(user, "_sandyq_principal", None)
    if cached is None:
        cached = Principal(user)
        if user.is_authenticated:
            user._sandyq_principal = cached
    return cached


def forget(user) -> None:
    """Drop what was computed for ``user`` (after their grants change)."""
    if hasattr(user, "_sandyq_principal"):
        del user._sandyq_principal


# --- granting ------------------------------------------------------------------


def _is_group(principal_obj) -> bool:
    return isinstance(principal_obj, Group)


def grant(role: Role, principal_obj, page, *, by=None) -> bool:
    """Grant ``role`` on ``page`` to a user or a group. True if it was new."""
    page = _as_page(page)
    permission = role_permission(role)
    content_type = page_content_type()
    with transaction.atomic():
        if _is_group(principal_obj):
            _, created = GroupObjectPermission.objects.get_or_create(
                group=principal_obj,
                permission=permission,
                content_type=content_type,
                object_pk=str(page.pk),
            )
        else:
            _, created = UserObjectPermission.objects.get_or_create(
                user=principal_obj,
                permission=permission,
                content_type=content_type,
                object_pk=str(page.pk),
            )
        sync_admin_permissions(page)
        if created:
            _log(page, "sandyq.grant_role", role, principal_obj, by)
    if not _is_group(principal_obj):
        forget(principal_obj)
    return created


def revoke(role: Role, principal_obj, page, *, by=None) -> bool:
    """Take ``role`` on ``page`` away from a user or a group. True if there was one."""
    page = _as_page(page)
    rows = (GroupObjectPermission if _is_group(principal_obj) else UserObjectPermission).objects
    lookup = {"group": principal_obj} if _is_group(principal_obj) else {"user": principal_obj}
    with transaction.atomic():
        deleted, _ = rows.filter(
            permission__codename=role.codename,
            content_type=page_content_type(),
            object_pk=str(page.pk),
            **lookup,
        ).delete()
        sync_admin_permissions(page, groups=[principal_obj] if _is_group(principal_obj) else ())
        if deleted:
            _log(page, "sandyq.revoke_role", role, principal_obj, by)
    if not _is_group(principal_obj):
        forget(principal_obj)
    return bool(deleted)


def set_inheritance_blocked(page, blocked: bool, *, by=None) -> bool:
    """Block (or unblock) grants from above; True if it changed."""
    page = _as_page(page)
    with transaction.atomic():
        if blocked:
            _, changed = InheritanceBlock.objects.get_or_create(page=page)
        else:
            changed = bool(InheritanceBlock.objects.filter(page=page).delete()[0])
        if changed:
            _log_block(page, blocked, by)
            inheritance_changed.send(sender=Page, page=page)
    return changed


def _principal_label(principal_obj) -> str:
    if _is_group(principal_obj):
        return principal_obj.name
    return principal_obj.get_username()


def _log(page, action, role, principal_obj, by):
    from wagtail.log_actions import log

    log(
        instance=page.specific,
        action=action,
        user=by,
        data={
            "role": role.code,
            "principal": _principal_label(principal_obj),
            "kind": "group" if _is_group(principal_obj) else "user",
        },
    )


def _log_block(page, blocked, by):
    from wagtail.log_actions import log

    log(
        instance=page.specific,
        action="sandyq.block_inheritance" if blocked else "sandyq.unblock_inheritance",
        user=by,
    )


# --- Wagtail's admin agrees ----------------------------------------------------


def automatic_group_name(page, role: Role) -> str:
    """Stored once, so written in the site's default language, not the granter's."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{page.specific_deferred.title} · {role.plural} #{page.pk}"[:150]


def automatic_group(page, role: Role, *, create: bool = True) -> Group | None:
    link = AutomaticRoleGroup.objects.filter(page=page, role=role.code).select_related("group")
    found = link.first()
    if found or not create:
        return found.group if found else None
    group = Group.objects.create(name=automatic_group_name(page, role))
    AutomaticRoleGroup.objects.create(page=page, role=role.code, group=group)
    return group


def collection_for(page) -> Collection | None:
    """The collection documents of this page's organisation go into."""
    organisation = (
        Page.objects.ancestor_of(page, inclusive=True)
        .type(*organisation_page_models())
        .order_by("-depth")
        .specific()
        .first()
    )
    return getattr(organisation, "collection", None) if organisation else None


def organisation_collection_ids() -> set[int]:
    """Collections Sandyq made for organisations; only these does it manage.

    Wagtail checks document permissions against ``wagtaildocs.Document`` even
    with a custom document model, so those are the permissions given.
    """
    ids: set[int] = set()
    for model in organisation_page_models():
        ids.update(model.objects.exclude(collection=None).values_list("collection_id", flat=True))
    return ids


def _set_page_permissions(group: Group, page, codenames: set[str]) -> None:
    existing = GroupPagePermission.objects.filter(group=group, page=page)
    existing.exclude(permission__codename__in=codenames).delete()
    have = set(existing.values_list("permission__codename", flat=True))
    for codename in codenames - have:
        GroupPagePermission.objects.create(
            group=group,
            page=page,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )


def _set_collection_permissions(group: Group, wanted: set[tuple[int, str]]) -> None:
    """Make the group's document permissions on organisation collections exactly ``wanted``."""
    managed = GroupCollectionPermission.objects.filter(
        group=group,
        collection_id__in=organisation_collection_ids(),
        permission__content_type__app_label="wagtaildocs",
    )
    have = set(managed.values_list("collection_id", "permission__codename"))
    for collection_id, codename in have - wanted:
        managed.filter(collection_id=collection_id, permission__codename=codename).delete()
    for collection_id, codename in wanted - have:
        GroupCollectionPermission.objects.create(
            group=group,
            collection_id=collection_id,
            permission=Permission.objects.get(
                content_type__app_label="wagtaildocs", codename=codename
            ),
        )


def _set_admin_access(group: Group, needed: bool) -> None:
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    if needed:
        group.permissions.add(access)
    else:
        group.permissions.remove(access)


def _collection_permissions(page, role: Role) -> set[tuple[int, str]]:
    collection = collection_for(page)
    if collection is None:
        return set()
    return {(collection.pk, codename) for codename in role.document_permissions}


def sync_admin_permissions(page, groups=()) -> None:
    """Make Wagtail's own permissions on ``page`` match the grants made there.

    Users' grants live in automatic groups, one per page and role; a group
    granted a role directly holds the permissions itself. ``groups`` names
    groups whose grant on this page may just have been revoked.
    """
    page = _as_page(page)
    grants = grants_on(page)
    automatic = {link.role: link.group for link in AutomaticRoleGroup.objects.filter(page=page)}
    User = get_user_model()
    for role in ROLES:
        user_ids = {g.user_id for g in grants if g.role == role and g.user_id}
        group = automatic.get(role.code)
        if user_ids and group is None and role.uses_admin:
            group = automatic_group(page, role)  # Readers need nothing from the admin
        if group is None:
            continue
        _set_page_permissions(group, page, set(role.page_permissions))
        _set_collection_permissions(group, _collection_permissions(page, role))
        _set_admin_access(group, role.uses_admin)
        current = set(group.user_set.values_list("pk", flat=True))
        group.user_set.remove(*User.objects.filter(pk__in=current - user_ids))
        group.user_set.add(*User.objects.filter(pk__in=user_ids - current))
    direct_ids = {g.group_id for g in grants if g.group_id} | {group.pk for group in groups}
    for group in Group.objects.filter(pk__in=direct_ids):
        sync_group(group, pages=[page])


def sync_group(group: Group, pages=None) -> None:
    """Give a directly granted group the Wagtail permissions of its best role on each page."""
    best: dict[int, Role] = {}
    for grant_row in _grant_rows(user_ids=[], group_ids=[group.pk]):
        held = best.get(grant_row.page_id)
        if held is None or grant_row.role.rank > held.rank:
            best[grant_row.page_id] = grant_row.role
    for page in pages or Page.objects.filter(pk__in=best):
        role = best.get(page.pk)
        _set_page_permissions(group, page, set(role.page_permissions) if role else set())
    wanted: set[tuple[int, str]] = set()
    for page in Page.objects.filter(pk__in=best):
        wanted |= _collection_permissions(page, best[page.pk])
    _set_collection_permissions(group, wanted)
    if any(role.uses_admin for role in best.values()):
        _set_admin_access(group, True)


def sync_all() -> int:
    """Rebuild Wagtail's permissions from every grant (the ``sync_roles`` command)."""
    page_ids = {g.page_id for g in _grant_rows()} | set(
        AutomaticRoleGroup.objects.values_list("page_id", flat=True)
    )
    for page in Page.objects.filter(pk__in=page_ids):
        sync_admin_permissions(page)
    return len(page_ids)


def principals_with(site_permission: str, page):
    """Active users who hold a role allowing ``site_permission`` on ``page``.

    For notifications and reviewer look-ups: grants on the page's inheritance
    chain and site-wide grants, to users directly or through their groups.
    """
    points = set(inheritance_chain(page)) | {site_root_id()}
    grants = [g for g in _grant_rows(page_ids=points) if g.role.allows(site_permission)]
    user_ids = {g.user_id for g in grants if g.user_id}
    group_ids = {g.group_id for g in grants if g.group_id}
    return (
        get_user_model()
        .objects.filter(Q(pk__in=user_ids) | Q(groups__in=group_ids), is_active=True)
        .distinct()
    )


_block_exemptions = []


def register_block_exemption(function):
    """``function(user, page, action) -> bool``: may ``user`` take the admin
    ``action`` ("edit", "delete", "move", "copy", "unpublish", "create") on
    ``page`` although the role that lets Wagtail allow it is cut by a block?

    The workflow uses it for the reviewers it assigns across a block.
    """
    _block_exemptions.append(function)
    return function


def block_exempts(user, page, action: str = "edit") -> bool:
    """Does a registered exemption let ``user`` take ``action`` on ``page``
    (which also lets them see it in the admin) although a block cuts their role?"""
    return any(exempt(user, page, action) for exempt in _block_exemptions)


def admin_action_blocked(user, page, action: str = "edit") -> bool:
    """True when Wagtail would let ``user`` act on ``page`` only through a role
    granted above a block (Wagtail's own permissions know no blocks)."""
    if user.is_superuser or not user.is_authenticated:
        return False
    if any(role.page_permissions for role in roles_on(user, page)):
        return False
    ancestors = Page.objects.ancestor_of(page, inclusive=True).values_list("pk", flat=True)
    if not InheritanceBlock.objects.filter(page_id__in=ancestors).exists():
        return False
    if block_exempts(user, page, action):
        return False
    # Only roles Sandyq granted are cut by a block; other admin rights stand.
    return not GroupPagePermission.objects.filter(
        group__in=user.groups.filter(sandyq_role__isnull=True),
        page_id__in=ancestors,
    ).exists()
