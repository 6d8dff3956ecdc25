"""Wagtail's document permission policy, narrowed by the access policy.

Wagtail decides who may edit or choose files by collection. A file shown by a
restricted record must not reach an editor of the same collection who may not
read that record, so every question Wagtail asks about files (listings,
choosers, the edit view, usage) also passes through ``access.visible_files``.
Registered for ``LibraryDocument`` with ``exact_class=True``, which takes
precedence over the policy Wagtail registers for the document model.
"""

from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

from . import access


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

    from .models import LibraryDocument

    register_permission_policy(
        LibraryDocument,
        SandyqDocumentPermissionPolicy(
            LibraryDocument, auth_model="wagtaildocs.Document", owner_field_name="uploaded_by_user"
        ),
        exact_class=True,
    )
