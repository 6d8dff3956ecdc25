"""Who is mailed about reviews and circulars, in which language, and who may opt out."""

import pytest

from django.contrib.auth.models import Group
from django.core import mail
from django.utils import translation

from wagtail.users.models import UserProfile

from docs_library.circulation.notifications import MailPreference
from docs_library.lifecycle import workflow
from home import roles
from tests.docs_library.lifecycle import circular, draft, library_of, person, primaries
from tests.factories import UserFactory


def speaks(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


def opt_out(user):
    MailPreference.objects.update_or_create(user=user, defaults={"non_essential": False})
    return user


def subject(language, msgid, **values):
    """The subject as the catalogue words it in ``language`` (which must not be English)."""
    with translation.override(language):
        translated = translation.gettext(msgid) % values
    assert language == "en" or translated != msgid % values, f"no {language} translation"
    return translated


def to(address):
    return [message for message in mail.outbox if message.to == [address]]


@pytest.fixture
def review(tree):
    editor = person(roles.EDITOR, tree["district"], email="editor@example.kz", first_name="Айгүл")
    reviewer = person(roles.REVIEWER, tree["district"], email="reviewer@example.kz")
    regional = person(roles.REVIEWER, tree["region"], email="regional@example.kz")
    admin = UserFactory(is_superuser=True, email="admin@example.kz")
    workflow.ensure_default_workflow()  # a flushed database has lost the migration's rows
    record = draft(library_of(tree["district"]), title="Тексерілетін шешім")
    return {
        "editor": editor,
        "reviewer": reviewer,
        "regional": regional,
        "admin": admin,
        "record": record,
    }


def start(review):
    mail.outbox.clear()
    review["record"].get_workflow().start(review["record"], review["editor"])
    review["record"].refresh_from_db()


def test_submitting_mails_the_nearest_reviewers_only_in_their_language(review):
    speaks(review["reviewer"], "ru")
    start(review)
    assert [message.to for message in mail.outbox] == [["reviewer@example.kz"]]
    message = mail.outbox[0]
    assert message.subject == subject(
        "ru", "For your review: %(title)s", title=review["record"].title
    )
    assert "Айгүл" in message.body
    assert f"/admin/pages/{review['record'].pk}/edit/" in message.body


def test_approval_mails_the_author_once_in_kazakh_by_default(review):
    start(review)
    mail.outbox.clear()
    review["record"].current_workflow_task_state.approve(user=review["reviewer"])
    assert [message.to for message in mail.outbox] == [["editor@example.kz"]]
    assert mail.outbox[0].subject == subject(
        "kk", "Approved and published: %(title)s", title="Тексерілетін шешім"
    )
    assert mail.outbox[0].extra_headers["Content-Language"] == "kk"


def test_a_request_for_changes_mails_the_author_with_the_comment(review):
    speaks(review["editor"], "en")
    start(review)
    mail.outbox.clear()
    review["record"].current_workflow_task_state.reject(
        user=review["reviewer"], comment="Тіркеу нөмірін қосыңыз"
    )
    (message,) = mail.outbox
    assert message.subject == "Changes requested: Тексерілетін шешім"
    assert "Тіркеу нөмірін қосыңыз" in message.body


def test_review_mail_can_be_turned_off_here_or_in_wagtails_settings(review):
    opt_out(review["reviewer"])
    start(review)
    assert mail.outbox == []
    profile = UserProfile.get_for_user(review["editor"])
    profile.approved_notifications = False
    profile.save()
    review["record"].current_workflow_task_state.approve(user=review["reviewer"])
    assert mail.outbox == []


def test_a_language_the_site_does_not_speak_falls_back_to_english(review):
    speaks(review["reviewer"], "de")
    start(review)
    assert mail.outbox[0].subject == "For your review: Тексерілетін шешім"


@pytest.fixture
def addressed(tree):
    """Two primary organisations below the district, and the people of each."""
    first, second = primaries(tree["district"], 2)
    group = Group.objects.create(name="«Бірлік» хатшылары")
    both = person(roles.READER, first, email="both@example.kz")
    roles.grant(roles.READER, both, second)
    in_group = UserFactory(email="group@example.kz")
    in_group.groups.add(group)
    roles.grant(roles.READER, group, second)
    regional_reader = person(roles.READER, tree["region"], email="region@example.kz")
    return {
        "library": library_of(tree["district"]),
        "first": first,
        "second": second,
        "both": both,
        "in_group": in_group,
        "regional_reader": regional_reader,
    }


def test_a_circular_mails_each_person_of_the_addressed_organisations_once(addressed):
    speaks(addressed["in_group"], "ru")
    mail.outbox.clear()
    record = circular(
        addressed["library"], addressing="level", level="primary", title="Циркуляр №5"
    )
    assert sorted(message.to[0] for message in mail.outbox) == [
        "both@example.kz",
        "group@example.kz",
    ]  # not the regional reader: their role comes from above
    (both,) = to("both@example.kz")
    assert addressed["first"].title in both.body and addressed["second"].title in both.body
    wording = "Circular to acknowledge: %(title)s"
    assert both.subject == subject("kk", wording, title="Циркуляр №5")
    assert to("group@example.kz")[0].subject == subject("ru", wording, title="Циркуляр №5")

    mail.outbox.clear()
    from tests.docs_library.lifecycle import publish

    publish(record)
    assert mail.outbox == []  # published again: nobody is told twice


def test_a_circular_to_acknowledge_is_essential_one_for_information_is_not(addressed):
    opt_out(addressed["both"])
    mail.outbox.clear()
    circular(addressed["library"], addressing="level", level="primary")
    assert to("both@example.kz")
    mail.outbox.clear()
    circular(
        addressed["library"], addressing="level", level="primary", acknowledgement_required=False
    )
    assert not to("both@example.kz") and to("group@example.kz")


def test_the_mail_settings_page_turns_non_essential_mail_off(client, addressed):
    client.force_login(addressed["both"])
    from django.urls import reverse

    response = client.post(reverse("circulars:mail_settings"), {})
    assert response.status_code == 302
    assert MailPreference.objects.get(user=addressed["both"]).non_essential is False


def test_the_admin_account_page_has_the_same_switch(client, addressed):
    from django.urls import reverse

    editor = person(roles.EDITOR, addressed["first"])
    client.force_login(editor)
    opt_out(editor)
    html = client.get(reverse("wagtailadmin_account")).content.decode()
    switch = html[html.index('name="sandyq_mail-non_essential"') :].split(">", 1)[0]
    assert "checked" not in switch  # it shows the choice made on the site


def test_people_choose_kazakh_in_their_admin_account_and_mail_follows(review, client):
    from django.urls import reverse

    reviewer = review["reviewer"]
    speaks(reviewer, "ru")
    client.force_login(reviewer)
    html = client.get(reverse("wagtailadmin_account")).content.decode()
    assert '<option value="kk">Қазақ</option>' in html
    response = client.post(
        reverse("wagtailadmin_account"),
        {
            "locale-preferred_language": "kk",
            "locale-current_time_zone": "Asia/Almaty",
            "name_email-first_name": reviewer.first_name or "Айгүл",
            "name_email-last_name": reviewer.last_name or "Серікова",
            "name_email-email": reviewer.email,
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "sandyq_mail-non_essential": "on",
            "notifications-submitted_notifications": "on",
            "notifications-approved_notifications": "on",
            "notifications-rejected_notifications": "on",
            "notifications-updated_comments_notifications": "on",
        },
    )
    assert response.status_code == 302
    assert UserProfile.get_for_user(reviewer).preferred_language == "kk"
    start(review)
    assert mail.outbox[0].subject == subject(
        "kk", "For your review: %(title)s", title=review["record"].title
    )
