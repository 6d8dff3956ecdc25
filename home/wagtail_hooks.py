"""Admin wiring for local roles: the Sharing view, its button, audit-log labels,
and blocks of inheritance honoured by Wagtail's page actions."""

from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.log_actions import LogFormatter

from . import roles
from .sharing import can_manage_sharing, sharing_view


@hooks.register("register_admin_urls")
def register_sharing_url():
    return [path("sharing/<int:page_id>/", sharing_view, name="sandyq_sharing")]


class SharingButton(PageMenuItem):
    label = _("Sharing")
    icon_name = "group"
    priority = 68

    def is_shown(self, user):
        return can_manage_sharing(user, self.page)

    @property
    def url(self):
        return reverse("sandyq_sharing", args=[self.page.pk])


@hooks.register("register_page_header_buttons")
def sharing_header_button(page, user, view_name, next_url=None):
    yield SharingButton(page=page)


@hooks.register("register_page_listing_more_buttons")
def sharing_listing_button(page, user, next_url=None):
    yield SharingButton(page=page)


@hooks.register("register_log_actions")
def register_role_log_actions(actions):
    class RoleFormatter(LogFormatter):
        def format_message(self, log_entry):
            data = log_entry.data or {}
            role = roles.ROLES_BY_CODE.get(data.get("role"))
            return self.template % {
                "role": role.name if role else data.get("role", ""),
                "principal": data.get("principal", ""),
            }

    @actions.register_action("sandyq.grant_role")
    class GrantFormatter(RoleFormatter):
        label = _("Grant role")
        template = _("Granted %(role)s to %(principal)s")

    @actions.register_action("sandyq.revoke_role")
    class RevokeFormatter(RoleFormatter):
        label = _("Revoke role")
        template = _("Revoked %(role)s from %(principal)s")

    actions.register_action(
        "sandyq.block_inheritance", _("Block inheritance"), _("Blocked inherited roles")
    )
    actions.register_action(
        "sandyq.unblock_inheritance", _("Unblock inheritance"), _("Inherited roles apply again")
    )


def _refuse_if_blocked(request, page, action):
    """Wagtail knows no blocks: its group permissions reach the whole subtree.

    A role granted above a block must not let its holder act below it, so page
    actions there are refused unless the user holds a role that applies here
    (or an exemption registered with ``roles.register_block_exemption`` says so).
    """
    if not roles.admin_action_blocked(request.user, page, action):
        return None
    raise PermissionDenied


def _refuse_action_if_blocked(action):
    def hook(request, page, *args, **kwargs):
        return _refuse_if_blocked(request, page, action)

    return hook


for action in ("edit", "delete", "move", "copy", "unpublish"):
    hooks.register(f"before_{action}_page", _refuse_action_if_blocked(action))


@hooks.register("before_create_page")
def refuse_create_if_blocked(request, parent_page, page_class):
    return _refuse_if_blocked(request, parent_page, "create")


@hooks.register("construct_help_menu")
def keep_help_on_this_site(request, items):
    """Party offices may run on a closed network: the help menu keeps only what
    this site serves (keyboard shortcuts), not Wagtail's guide and release notes."""
    items[:] = [item for item in items if not item.url.startswith(("http://", "https://"))]


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    """Wagtail's account page leads to the user's two-step sign-in settings."""
    return {
        "url": reverse("two_factor"),
        "label": _("Two-step sign-in"),
        "help_text": _("A code from your phone after your password; recovery codes."),
    }
