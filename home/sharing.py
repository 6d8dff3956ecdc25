"""The Sharing view (Plone's Sharing tab): who holds which role on a page.

Shows the grants inherited from above (with the page each comes from, cut at
a block), the grants made here, a search for users and groups to grant a role
to, revoke buttons and the "block inheritance" switch. Only Managers of the
subtree and superusers may use it; every change lands in Wagtail's audit log
through ``home.roles``.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wagtail.models import Page

from . import roles
from .models import InheritanceBlock

MAX_CANDIDATES = 20


class GrantForm(forms.Form):
    principal = forms.CharField(widget=forms.HiddenInput)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=[(role.code, role.name) for role in roles.ROLES]
    )

    def clean_principal(self):
        value = self.cleaned_data["principal"]
        kind, _sep, key = value.partition(":")
        try:
            if kind == "user":
                return get_user_model().objects.get(pk=int(key), is_active=True)
            if kind == "group":
                return Group.objects.get(pk=int(key), sandyq_role__isnull=True)
        except (ValueError, get_user_model().DoesNotExist, Group.DoesNotExist):
            pass
        raise forms.ValidationError(_("Choose a user or a group from the list."))


def can_manage_sharing(user, page) -> bool:
    return user.is_superuser or roles.has_site_permission(user, page, roles.MANAGE_SHARING)


def find_principals(query: str):
    """Users and groups matching ``query``; Sandyq's automatic groups are not offered."""
    query = query.strip()[:100]
    if not query:
        return [], []
    User = get_user_model()
    users = User.objects.filter(
        Q(username__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
        | Q(email__icontains=query),
        is_active=True,
    ).order_by("username")[:MAX_CANDIDATES]
    groups = Group.objects.filter(name__icontains=query, sandyq_role__isnull=True).order_by("name")[
        :MAX_CANDIDATES
    ]
    return list(users), list(groups)


def describe(grants):
    """Grants with their users, groups and pages fetched in three queries."""
    User = get_user_model()
    users = User.objects.in_bulk({g.user_id for g in grants if g.user_id})
    groups = Group.objects.in_bulk({g.group_id for g in grants if g.group_id})
    pages = Page.objects.in_bulk({g.page_id for g in grants})
    rows = []
    for grant in grants:
        principal = users.get(grant.user_id) if grant.user_id else groups.get(grant.group_id)
        if principal is None:
            continue
        rows.append(
            {
                "grant": grant,
                "role": grant.role,
                "principal": principal,
                "is_group": grant.group_id is not None,
                "key": f"{'group' if grant.group_id else 'user'}:{principal.pk}",
                "page": pages.get(grant.page_id),
            }
        )
    rows.sort(key=lambda row: (-row["role"].rank, str(row["principal"])))
    return rows


def sharing_view(request, page_id):
    page = get_object_or_404(Page, pk=page_id).specific
    if not can_manage_sharing(request.user, page):
        raise Http404  # do not confirm what exists or who may see it
    url = reverse("sandyq_sharing", args=[page.pk])

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "grant":
            form = GrantForm(request.POST)
            if form.is_valid():
                role = roles.get_role(form.cleaned_data["role"])
                principal = form.cleaned_data["principal"]
                if roles.grant(role, principal, page, by=request.user):
                    messages.success(
                        request,
                        _("%(principal)s is now %(role)s here.")
                        % {"principal": principal, "role": role.name},
                    )
                return redirect(url)
            messages.error(request, " ".join(form.errors.get("principal", [])))
            return redirect(url)
        if action == "revoke":
            form = GrantForm(request.POST)
            if form.is_valid():
                role = roles.get_role(form.cleaned_data["role"])
                roles.revoke(role, form.cleaned_data["principal"], page, by=request.user)
                messages.success(request, _("The role was taken away."))
            return redirect(url)
        if action == "block":
            blocked = request.POST.get("block") == "on"
            roles.set_inheritance_blocked(page, blocked, by=request.user)
            messages.success(
                request,
                _("Roles from above no longer apply here.")
                if blocked
                else _("Roles from above apply here again."),
            )
            return redirect(url)
        raise Http404

    chain = roles.inheritance_chain(page)
    above = [page_id for page_id in chain if page_id != page.pk] + [roles.site_root_id()]
    inherited = describe(roles.grants_on_pages(above))
    local = describe(roles.grants_on(page))
    query = request.GET.get("q", "")
    users, groups = find_principals(query)
    return TemplateResponse(
        request,
        "home/admin/sharing.html",
        {
            "page": page,
            "header_title": _("Sharing: %(title)s") % {"title": page.get_admin_display_title()},
            "local": local,
            "inherited": inherited,
            "blocked": InheritanceBlock.objects.filter(page=page).exists(),
            "query": query,
            "candidate_users": users,
            "candidate_groups": groups,
            "roles": roles.ROLES,
            "action_url": url,
        },
    )
