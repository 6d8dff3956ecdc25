"""Local roles: grants, inheritance, blocks, and Wagtail's admin agreeing."""

import pytest

from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from wagtail.models import GroupPagePermission, PageLogEntry

from home import roles
from tests.factories import DistrictFactory, PrimaryFactory, RegionFactory, UserFactory


@pytest.fixture
def karaganda(home):
    region = RegionFactory(parent=home, title="Қарағанды облысы")
    district = DistrictFactory(parent=region, title="Абай ауданы")
    primary = PrimaryFactory(parent=district, title="«Болашақ» БПҰ")
    return {"region": region, "district": district, "primary": primary}


@pytest.fixture
def elsewhere(home):
    return RegionFactory(parent=home, title="Ақмола облысы")


def test_a_role_holds_below_the_page_it_was_granted_on(karaganda, elsewhere):
    user = UserFactory()
    roles.grant(roles.READER, user, karaganda["region"])
    assert roles.roles_on(user, karaganda["primary"]) == {roles.READER}
    assert roles.roles_on(user, karaganda["region"]) == {roles.READER}
    assert roles.roles_on(user, elsewhere) == set()
    assert roles.has_site_permission(user, karaganda["district"], roles.ACKNOWLEDGE)
    assert not roles.has_site_permission(user, karaganda["district"], roles.REVIEW)


def test_groups_carry_roles_to_their_members(karaganda):
    user = UserFactory()
    group = Group.objects.create(name="Облыс хатшылары")
    user.groups.add(group)
    roles.grant(roles.REVIEWER, group, karaganda["district"])
    assert roles.REVIEWER in roles.roles_on(user, karaganda["primary"])
    assert user in roles.principals_with(roles.REVIEW, karaganda["primary"])


def test_blocking_inheritance_stops_grants_from_above_but_not_site_wide_ones(karaganda, home):
    from wagtail.models import Page

    reader, site_reader, local = UserFactory(), UserFactory(), UserFactory()
    roles.grant(roles.READER, reader, karaganda["region"])
    roles.grant(roles.READER, site_reader, Page.get_first_root_node())
    roles.grant(roles.EDITOR, local, karaganda["district"])

    roles.set_inheritance_blocked(karaganda["district"], True)
    assert roles.roles_on(reader, karaganda["district"]) == set()
    assert roles.roles_on(reader, karaganda["primary"]) == set()
    assert roles.roles_on(reader, karaganda["region"]) == {roles.READER}
    assert roles.roles_on(site_reader, karaganda["primary"]) == {roles.READER}
    assert roles.roles_on(local, karaganda["primary"]) == {roles.EDITOR}

    roles.set_inheritance_blocked(karaganda["district"], False)
    assert roles.roles_on(reader, karaganda["primary"]) == {roles.READER}


def test_chains_of_many_pages_at_once_agree_with_each_page_alone(karaganda, elsewhere):
    other_primary = PrimaryFactory(parent=karaganda["district"], title="«Ынтымақ» БПҰ")
    roles.set_inheritance_blocked(karaganda["district"], True)
    pages = [*karaganda.values(), other_primary, elsewhere]
    chains = roles.inheritance_chains(pages)
    assert chains == {page.path: roles.inheritance_chain(page) for page in pages}
    region, district, primary = karaganda["region"], karaganda["district"], karaganda["primary"]
    assert chains[primary.path] == [primary.pk, district.pk]  # up to the block, included
    assert chains[region.path] == [region.pk, region.get_parent().pk]


def test_grants_and_blocks_are_in_the_audit_log(karaganda):
    admin = UserFactory(is_superuser=True)
    user = UserFactory(username="aigul")
    roles.grant(roles.EDITOR, user, karaganda["region"], by=admin)
    roles.revoke(roles.EDITOR, user, karaganda["region"], by=admin)
    roles.set_inheritance_blocked(karaganda["district"], True, by=admin)
    actions = list(
        PageLogEntry.objects.filter(user=admin).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["sandyq.grant_role", "sandyq.revoke_role", "sandyq.block_inheritance"]
    entry = PageLogEntry.objects.get(action="sandyq.grant_role")
    assert entry.data == {"role": "editor", "principal": "aigul", "kind": "user"}
    assert "aigul" in str(entry.message)


@pytest.fixture
def editor_client(client, karaganda):
    editor = UserFactory(username="karaganda.editor")
    roles.grant(roles.EDITOR, editor, karaganda["region"])
    client.force_login(editor)
    return client, editor


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def test_an_editor_edits_everything_below_their_region_in_the_admin_and_nothing_else(
    editor_client, karaganda, elsewhere
):
    client, editor = editor_client
    assert client.get(edit_url(karaganda["primary"])).status_code == 200
    assert client.get(edit_url(karaganda["region"])).status_code == 200
    assert client.get(edit_url(elsewhere)).status_code in (302, 403)
    group = editor.groups.get()
    assert group.name == roles.automatic_group_name(karaganda["region"], roles.EDITOR)
    assert group.name.startswith("Қарағанды облысы · ")
    codenames = set(
        GroupPagePermission.objects.filter(group=group).values_list(
            "permission__codename", flat=True
        )
    )
    assert codenames == {"add_page", "change_page", "lock_page"}
    assert group.collection_permissions.filter(
        collection=karaganda["region"].collection, permission__codename="add_document"
    ).exists()


def test_revoking_takes_the_admin_rights_away_at_once(editor_client, karaganda):
    client, editor = editor_client
    roles.revoke(roles.EDITOR, editor, karaganda["region"])
    assert not editor.groups.exists()
    assert client.get(edit_url(karaganda["primary"])).status_code in (302, 403)


def test_a_block_below_stops_an_editor_from_above_in_the_admin(editor_client, karaganda):
    client, editor = editor_client
    roles.set_inheritance_blocked(karaganda["district"], True)
    assert client.get(edit_url(karaganda["primary"])).status_code in (302, 403)
    assert client.get(edit_url(karaganda["region"])).status_code == 200


def test_a_group_granted_a_role_gets_the_wagtail_permissions_itself(karaganda):
    group = Group.objects.create(name="Қарағанды хатшылары")
    roles.grant(roles.REVIEWER, group, karaganda["district"])
    granted = set(
        GroupPagePermission.objects.filter(group=group, page=karaganda["district"]).values_list(
            "permission__codename", flat=True
        )
    )
    assert granted == {"add_page", "change_page", "publish_page", "lock_page"}
    roles.revoke(roles.REVIEWER, group, karaganda["district"])
    assert not GroupPagePermission.objects.filter(group=group).exists()


def test_sync_roles_is_idempotent_and_repairs(karaganda):
    user = UserFactory()
    roles.grant(roles.MANAGER, user, karaganda["district"])
    group = user.groups.get()
    GroupPagePermission.objects.filter(group=group).delete()  # someone broke it by hand
    user.groups.clear()
    call_command("sync_roles")
    assert user.groups.get() == group
    first = set(GroupPagePermission.objects.values_list("group_id", "page_id", "permission_id"))
    call_command("sync_roles")
    second = set(GroupPagePermission.objects.values_list("group_id", "page_id", "permission_id"))
    assert first == second
    assert len([row for row in first if row[0] == group.pk]) == 6


def test_every_organisation_has_its_own_collection_nested_like_the_tree(karaganda):
    region, district = karaganda["region"], karaganda["district"]
    assert district.collection.get_parent() == region.collection


def fresh(user):
    """The user as the next request loads it (roles are computed once per request)."""
    return type(user).objects.get(pk=user.pk)


# --- the Sharing view --------------------------------------------------------------


def sharing_url(page):
    return reverse("sandyq_sharing", args=[page.pk])


def test_only_managers_of_the_subtree_and_superusers_use_sharing(client, karaganda, elsewhere):
    manager, editor = UserFactory(), UserFactory()
    roles.grant(roles.MANAGER, manager, karaganda["region"])
    roles.grant(roles.EDITOR, editor, karaganda["region"])
    client.force_login(editor)
    assert client.get(sharing_url(karaganda["district"])).status_code == 404
    client.force_login(manager)
    assert client.get(sharing_url(karaganda["district"])).status_code == 200
    assert client.get(sharing_url(elsewhere)).status_code == 404


def test_a_manager_grants_revokes_and_blocks_through_sharing(client, karaganda):
    manager = UserFactory(username="manager")
    target = UserFactory(username="ernar", first_name="Ернар", last_name="Сейітов")
    roles.grant(roles.MANAGER, manager, karaganda["region"])
    client.force_login(manager)
    url = sharing_url(karaganda["district"])

    Group.objects.create(name="Сейітовтар тобы")
    found = client.get(url, {"q": "Сейіт"}).content.decode()
    assert "Ернар Сейітов (ernar)" in found
    assert f'name="principal" value="user:{target.pk}"' in found
    assert "Сейітовтар тобы" in found and 'value="group:' in found  # groups are found too
    assert "Қарағанды облысы" in found  # the manager's inherited grant and its source

    client.post(url, {"action": "grant", "principal": f"user:{target.pk}", "role": "editor"})
    assert roles.roles_on(fresh(target), karaganda["primary"]) == {roles.EDITOR}
    listed = client.get(url).content.decode()
    assert f'value="user:{target.pk}"' in listed.split("grant-heading")[0]  # listed as granted

    client.post(url, {"action": "revoke", "principal": f"user:{target.pk}", "role": "editor"})
    assert roles.roles_on(fresh(target), karaganda["primary"]) == set()

    client.post(url, {"action": "block", "block": "on"})
    assert roles.roles_on(fresh(manager), karaganda["primary"]) == set()


def test_sharing_refuses_bad_input_without_an_error_page(client, karaganda):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = sharing_url(karaganda["district"])
    for principal in ["user:999999", "group:abc", "nobody", ""]:
        response = client.post(url, {"action": "grant", "principal": principal, "role": "editor"})
        assert response.status_code == 302
    response = client.post(url, {"action": "grant", "principal": "user:1", "role": "pope"})
    assert response.status_code == 302
    assert roles.grants_on(karaganda["district"]) == []


# --- signing in (the lock-out: tests/home/test_sign_in.py) --------------------------


def test_password_reset_sends_a_link_by_mail(db, client):
    UserFactory(username="member", email="member@example.kz")
    response = client.post(reverse("password_reset"), {"email": "member@example.kz"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body
