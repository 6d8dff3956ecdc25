"""Wagtail's page and document permission policies, narrowed by the access policy.

Wagtail decides who may act on pages by ``GroupPagePermission`` and on files by
collection; it knows nothing of access levels. A restricted record must not
reach an editor of its organisation who may not read it, so every question
Wagtail's admin asks about pages and files goes through ``access`` as well:

- the page policy (registered for every page type) narrows each set of pages
  Wagtail asks for (explorer, search, choosers, reports, the admin API, the
  site history) to ``access.visible_pages`` and refuses every action on a
  record the user may not see;
- ``RecordPermissionTester`` (``DocumentPage.permissions_for_user``) answers
  False to every ``can_*`` question about such a record, so no button offers it;
- the document policy narrows files to ``access.visible_files``.

The admin's URLs that name a page or a file answer 404 for hidden ones
(``admin_access.HiddenRecordsMiddleware``), before any view runs.
"""

from wagtail.models import AbstractPage, PagePermissionTester
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from .. import access
from ..models import LibraryDocument


class SandyqPagePermissionPolicy(PagePermissionPolicy):
    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        return access.visible_pages(user, instances)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not super().user_has_any_permission_for_instance(user, actions, instance):
            return False
        return access.can_view_in_admin(user, instance)

    def explorable_instances(self, user):
        return access.visible_pages(user, super().explorable_instances(user))


class RecordPermissionTester(PagePermissionTester):
    """Wagtail's tester for one record, where a record the user may not see
    allows nothing at all (their role notwithstanding)."""

    def __init__(self, user, page):
        super().__init__(user, page)
        self.hidden = not access.can_view_in_admin(user, page) if page.pk else False

    def __getattribute__(self, name):
        if name.startswith("can_") and object.__getattribute__(self, "hidden"):
            return _refuse
        return super().__getattribute__(name)


def _refuse(*args, **kwargs):
    return False


class SandyqDocumentPermissionPolicy(CollectionOwnershipPermissionPolicy):
    def instances_user_has_permission_for(self, user, action):
        instances = super().instances_user_has_permission_for(user, action)
        return access.visible_files(user, instances)

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        return access.visible_files(user, instances)

    def user_has_permission_for_instance(self, user, action, instance):
        if not super().user_has_permission_for_instance(user, action, instance):
            return False
        files = access.visible_files(user, type(instance).objects.filter(pk=instance.pk))
        return files.exists()


def register():
    from wagtail.permissions import register_permission_policy

    register_permission_policy(AbstractPage, SandyqPagePermissionPolicy())
    register_permission_policy(
        LibraryDocument,
        SandyqDocumentPermissionPolicy(
            LibraryDocument, auth_model="wagtaildocs.Document", owner_field_name="uploaded_by_user"
        ),
        exact_class=True,
    )
