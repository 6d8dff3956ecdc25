"""Admin wiring for a record's life: Archive, Restore and Withdraw in the page
header, the circular's dashboard link, audit-log labels, retention rules as
snippets, and the mail switch in each person's account settings.

Who may press what is asked of ``archive`` (which asks ``home.roles`` and
Wagtail's own unpublish permission); the buttons only show what the views
would allow.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.views.account import BaseSettingsPanel, notifications_tab
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .. import access
from ..circulation.forms import MailPreferenceForm
from ..circulation.notifications import MailPreference
from ..lifecycle import archive
from ..lifecycle.retention import RetentionRule
from ..models import DocumentPage

# --- views ---------------------------------------------------------------------------------


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy("Shown at the document's address to those who could read it."),
        widget=forms.Textarea({"rows": 4}),
        max_length=2000,
    )


def _record(page_id) -> DocumentPage:
    return get_object_or_404(DocumentPage, pk=page_id)


def _edit_url(record) -> str:
    return reverse("wagtailadmin_pages:edit", args=[record.pk])


def _confirm(request, record, action: str, form=None):
    titles = {
        "archive": _("Archive “%(title)s”"),
        "restore": _("Restore “%(title)s” from the archive"),
        "withdraw": _("Withdraw “%(title)s”"),
    }
    return TemplateResponse(
        request,
        "docs_library/admin/lifecycle_confirm.html",
        {
            "record": record,
            "action": action,
            "form": form,
            "header_title": titles[action] % {"title": record.get_admin_display_title()},
            "action_url": request.path,
            "edit_url": _edit_url(record),
        },
    )


def _archive_or_restore(request, page_id, action):
    """Confirm, then move a record into the archive or back (only a live one goes in)."""
    record = _record(page_id)
    if not access.may_archive(request.user, record) or (action == "archive" and not record.live):
        raise PermissionDenied
    if request.method == "POST":
        move, message = {
            "archive": (archive.archive, _("“%(title)s” is in the archive.")),
            "restore": (archive.restore, _("“%(title)s” is current again.")),
        }[action]
        if move(record, request.user):
            messages.success(request, message % {"title": record.title})
        return redirect(_edit_url(record))
    return _confirm(request, record, action)


def archive_view(request, page_id):
    return _archive_or_restore(request, page_id, "archive")


def restore_view(request, page_id):
    return _archive_or_restore(request, page_id, "restore")


def withdraw_view(request, page_id):
    record = _record(page_id)
    if not access.may_withdraw(request.user, record):
        raise PermissionDenied
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        archive.withdraw(record, request.user, form.cleaned_data["reason"])
        messages.success(request, _("“%(title)s” is withdrawn.") % {"title": record.title})
        return redirect(_edit_url(record))
    return _confirm(request, record, "withdraw", form)


@hooks.register("register_admin_urls")
def register_lifecycle_urls():
    return [
        path("documents/archive/<int:page_id>/", archive_view, name="sandyq_archive"),
        path("documents/restore/<int:page_id>/", restore_view, name="sandyq_restore"),
        path("documents/withdraw/<int:page_id>/", withdraw_view, name="sandyq_withdraw"),
    ]


# --- buttons ---------------------------------------------------------------------------------


class LifecycleButton(PageMenuItem):
    url_name = ""

    @property
    def url(self):
        return reverse(self.url_name, args=[self.page.pk])


class ArchiveButton(LifecycleButton):
    label = gettext_lazy("Archive")
    icon_name = "folder-inverse"
    priority = 72
    url_name = "sandyq_archive"

    def is_shown(self, user):
        page = self.page
        return page.live and not page.archived_at and access.may_archive(user, page)


class RestoreButton(LifecycleButton):
    label = gettext_lazy("Restore from the archive")
    icon_name = "folder-open-inverse"
    priority = 72
    url_name = "sandyq_restore"

    def is_shown(self, user):
        return bool(self.page.archived_at) and access.may_archive(user, self.page)


class WithdrawButton(LifecycleButton):
    label = gettext_lazy("Withdraw")
    icon_name = "cross"
    priority = 74
    url_name = "sandyq_withdraw"

    def is_shown(self, user):
        return access.may_withdraw(user, self.page)


class DashboardButton(PageMenuItem):
    label = gettext_lazy("Acknowledgements")
    icon_name = "tasks"
    priority = 73

    def is_shown(self, user):
        page = self.page
        return page.distributions.exists() and access.may_follow_circular(user, page)

    @property
    def url(self):
        return reverse("circulars:dashboard", args=[self.page.pk])


def _buttons(page):
    if page.specific_class is not DocumentPage:
        return
    record = page.specific_deferred if type(page) is not DocumentPage else page
    for button in (ArchiveButton, RestoreButton, WithdrawButton, DashboardButton):
        yield button(page=record)


@hooks.register("register_page_header_buttons")
def lifecycle_header_buttons(page, user, view_name, next_url=None):
    yield from _buttons(page)


@hooks.register("register_page_listing_more_buttons")
def lifecycle_listing_buttons(page, user, next_url=None):
    yield from _buttons(page)


# --- audit log -----------------------------------------------------------------------------


@hooks.register("register_log_actions")
def register_lifecycle_log_actions(actions):
    actions.register_action("sandyq.archive", gettext_lazy("Archive"), gettext_lazy("Archived"))
    actions.register_action(
        "sandyq.restore", gettext_lazy("Restore"), gettext_lazy("Restored from the archive")
    )
    actions.register_action("sandyq.withdraw", gettext_lazy("Withdraw"), gettext_lazy("Withdrawn"))
    actions.register_action(
        "sandyq.assignment_issue",
        gettext_lazy("Issue an assignment"),
        gettext_lazy("Assignment issued"),
    )
    actions.register_action(
        "sandyq.execution_start",
        gettext_lazy("Take an assignment in hand"),
        gettext_lazy("Assignment taken in hand"),
    )
    actions.register_action(
        "sandyq.execution_report", gettext_lazy("Report"), gettext_lazy("Execution reported")
    )
    actions.register_action(
        "sandyq.execution_accept", gettext_lazy("Accept"), gettext_lazy("Execution accepted")
    )
    actions.register_action(
        "sandyq.execution_return",
        gettext_lazy("Return"),
        gettext_lazy("Execution returned for rework"),
    )
    actions.register_action(
        "sandyq.extension_ask",
        gettext_lazy("Ask for a new deadline"),
        gettext_lazy("New deadline asked"),
    )
    actions.register_action(
        "sandyq.extension_grant", gettext_lazy("Grant"), gettext_lazy("New deadline granted")
    )
    actions.register_action(
        "sandyq.extension_refuse", gettext_lazy("Refuse"), gettext_lazy("New deadline refused")
    )


# --- retention rules -------------------------------------------------------------------------


class RetentionRuleViewSet(SnippetViewSet):
    model = RetentionRule
    icon = "time"
    menu_label = gettext_lazy("Retention rules")
    list_display = ["document_type", "archive_after_days", "counted_from", "active"]


register_snippet(RetentionRuleViewSet)


# --- mail settings in the admin account ------------------------------------------------------


class MailPreferencePanel(BaseSettingsPanel):
    name = "sandyq_mail"
    title = gettext_lazy("Mail from Sandyq")
    tab = notifications_tab
    order = 110
    form_class = MailPreferenceForm

    def get_form(self):
        instance = MailPreference.for_user(self.user)
        if self.request.method == "POST":
            return self.form_class(self.request.POST, instance=instance, prefix=self.name)
        return self.form_class(instance=instance, prefix=self.name)


@hooks.register("register_account_settings_panel")
def register_mail_preference_panel(request, user, profile):
    return MailPreferencePanel(request, user, profile)
