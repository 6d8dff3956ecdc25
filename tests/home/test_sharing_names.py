"""Every link and button of the Sharing view has a name a screen reader can read
(axe's link-name and button-name rules), in the editor's language."""

from html.parser import HTMLParser

import pytest

from django.urls import reverse

from wagtail.users.models import UserProfile

from home import roles
from tests.factories import RegionFactory, UserFactory


class Controls(HTMLParser):
    """Links and buttons inside <main> with the text they would be announced by."""

    def __init__(self):
        super().__init__()
        self.found = []  # [tag, href, name]
        self.open = []
        self.in_main = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.in_main = True
        if self.in_main and tag in ("a", "button"):
            control = [tag, attrs.get("href"), attrs.get("aria-label") or ""]
            self.found.append(control)
            self.open.append(control)

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = False
        if tag in ("a", "button") and self.open:
            self.open.pop()

    def handle_data(self, data):
        for control in self.open:
            control[2] += data


@pytest.mark.parametrize(
    ("language", "grant"),
    [
        ("kk", "Пайдаланушыға немесе топқа рөл беру"),
        ("ru", "Выдать роль пользователю или группе"),
        ("en", "Grant a role to a user or group"),
    ],
)
def test_every_control_of_the_sharing_view_has_a_name(client, home, language, grant):
    region = RegionFactory(parent=home, title="Қарағанды облысы")
    manager = UserFactory(username="region.manager")
    UserFactory(username="region.editor")
    roles.grant(roles.MANAGER, manager, region)
    roles.grant(roles.EDITOR, UserFactory(username="region.reviewer"), region)
    profile = UserProfile.get_for_user(manager)
    profile.preferred_language = language
    profile.save()
    client.force_login(manager)

    response = client.get(reverse("sandyq_sharing", args=[region.pk]), {"q": "region"})

    assert response.status_code == 200
    parser = Controls()
    parser.feed(response.content.decode())
    nameless = [control for control in parser.found if not " ".join(control[2].split())]
    assert not nameless
    # The header's "+" leads to the search that grants a role, and says so.
    [plus] = [control for control in parser.found if control[1] == "#sharing-search"]
    assert " ".join(plus[2].split()) == grant
