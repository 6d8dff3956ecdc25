"""Mail about assignments: who is told of each step, in which language, never those
who may not see the record; reminders of deadlines sent once; the daily digest."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from wagtail.users.models import UserProfile

from docs_library.circulation import assignment_mail, assignments
from docs_library.models import AssignmentReminder, DigestEntry, MailPreference
from home import roles
from tests.docs_library.lifecycle import library_of, person, publish, words
from tests.factories import DistrictFactory, DocumentPageFactory, PrimaryFactory, RegionFactory

ALMATY = ZoneInfo("Asia/Almaty")


def at(month: int, day: int, hour: int = 9):
    moment = datetime.datetime(2026, month, day, hour, tzinfo=ALMATY)
    return time_machine.travel(moment, tick=False)


def speaks(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


def to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def subject(language, msgid, **values):
    return words(language, msgid, **values)


def link(language, name, pk):
    """A page's path as a mail in ``language`` gives it (with that language's prefix)."""
    with translation.override(language):
        return reverse(name, args=[pk])


@pytest.fixture
def party(home):
    karaganda = RegionFactory(parent=home, title="Қарағанды облысы")
    district = DistrictFactory(parent=karaganda, title="Абай ауданы")
    first = PrimaryFactory(parent=district, title="«Бірінші» БПҰ", name_ru="ППО «Первая»")
    second = PrimaryFactory(parent=district, title="«Екінші» БПҰ")
    akmola = RegionFactory(parent=home, title="Ақмола облысы")
    elsewhere = PrimaryFactory(parent=akmola, title="«Көкшетау» БПҰ")
    author = speaks(person(roles.EDITOR, karaganda, username="author"), "en")
    manager = speaks(person(roles.MANAGER, karaganda, username="manager"), "ru")
    regional_reader = person(roles.READER, karaganda, username="regional.reader")
    first_member = speaks(person(roles.READER, first, username="first.member"), "ru")
    second_member = person(roles.READER, second, username="second.member")  # no language: kk
    stranger = person(roles.READER, elsewhere, username="stranger")
    record = DocumentPageFactory(
        parent=library_of(karaganda),
        live=False,
        title="Жиналыс туралы шешім",
        access_level="organisation",
        owner=author,
    )
    publish(record)
    return {
        "karaganda": karaganda,
        "first": first,
        "second": second,
        "author": author,
        "manager": manager,
        "regional_reader": regional_reader,
        "first_member": first_member,
        "second_member": second_member,
        "stranger": stranger,
        "record": record,
    }


def issue(party, deadline, executors=("first", "second")):
    assignment, _created = assignments.issue(
        party["record"],
        party["author"],
        text="Хаттаманы жіберу",
        deadline=deadline,
        executors=[party[name] for name in executors],
    )
    return assignment


def execution_of(assignment, party, name):
    return assignment.executions.get(organisation=party[name])


# --- each step --------------------------------------------------------------------------------


def test_issuing_tells_the_executors_staff_in_their_language(party):
    with at(3, 2):
        mail.outbox.clear()
        assignment = issue(party, datetime.date(2026, 3, 20))
    title = party["record"].title
    (ru,) = to(party["first_member"])
    assert ru.subject == subject("ru", "New assignment on “%(title)s”", title=title)
    assert ru.extra_headers["Content-Language"] == "ru"
    assert "ППО «Первая»" in ru.body  # the organisation's name in Russian
    first_execution = execution_of(assignment, party, "first")
    assert link("ru", "circulars:execution", first_execution.pk) in ru.body
    assert "20.03.2026" in ru.body
    (kk,) = to(party["second_member"])
    assert kk.subject == subject("kk", "New assignment on “%(title)s”", title=title)
    assert "ә" in kk.subject or "қ" in kk.subject or "ң" in kk.subject or "і" in kk.subject
    # Not the author who issued it, not the region (inherited roles), not another region.
    assert not to(party["author"])
    assert not to(party["regional_reader"])
    assert not to(party["stranger"])
    assert len(mail.outbox) == 2


def test_a_report_tells_the_issuer_and_the_managers_of_the_issuing_organisation(party):
    with at(3, 2):
        assignment = issue(party, datetime.date(2026, 3, 20))
    mail.outbox.clear()
    with at(3, 5):
        assignments.report(
            execution_of(assignment, party, "first"), party["first_member"], "Жиналыс өтті"
        )
    title = party["record"].title
    (en,) = to(party["author"])
    assert en.subject == f"Report submitted on “{title}”"
    assert "Жиналыс өтті" in en.body
    assert link("en", "circulars:assignment", assignment.pk) in en.body
    (ru,) = to(party["manager"])
    assert ru.subject == subject("ru", "Report submitted on “%(title)s”", title=title)
    assert not to(party["first_member"])  # who reported it
    assert len(mail.outbox) == 2


def test_returning_and_accepting_tell_the_executor_but_not_one_who_may_no_longer_see(party):
    with at(3, 2):
        assignment = issue(party, datetime.date(2026, 3, 20))
    first = execution_of(assignment, party, "first")
    reporter = person(roles.READER, party["first"], username="reporter")
    assignments.report(first, reporter, "Дайын")
    roles.revoke(roles.READER, reporter, party["first"])  # has left the organisation
    mail.outbox.clear()
    assignments.return_for_rework(first, party["author"], "Хаттама жоқ")
    (ru,) = to(party["first_member"])
    assert ru.subject == subject(
        "ru", "Report returned for rework: “%(title)s”", title=party["record"].title
    )
    assert "Хаттама жоқ" in ru.body
    assert not to(reporter)  # may not see the record any more
    assert not to(party["author"])
    assignments.report(first, party["first_member"], "Хаттама қоса берілді")
    mail.outbox.clear()
    assignments.accept(first, party["manager"])
    (accepted,) = to(party["first_member"])
    assert accepted.subject == subject(
        "ru", "Report accepted: “%(title)s”", title=party["record"].title
    )
    assert not to(party["second_member"])  # not their organisation's report


def test_mail_goes_only_to_those_who_may_see_the_record(party):
    with at(3, 2):
        assignment = issue(party, datetime.date(2026, 3, 20), executors=("first",))
    mail.outbox.clear()
    executions = list(assignment.executions.all())
    people = {party["first_member"].pk, party["stranger"].pk}
    sent = assignment_mail.deliver("issued", executions, people)
    assert sent == 1
    assert to(party["first_member"]) and not to(party["stranger"])


# --- reminders --------------------------------------------------------------------------------


def test_reminders_are_sent_once_each(party):
    with at(3, 2):
        assignment = issue(party, datetime.date(2026, 3, 20))
    assignments.report(execution_of(assignment, party, "second"), party["second_member"], "Иә")
    mail.outbox.clear()
    with at(3, 16):  # four days before: nothing yet
        assert assignment_mail.send_assignment_reminders_task.call()["due_soon"] == 0
    with at(3, 17):
        first_run = assignment_mail.send_assignment_reminders_task.call()
        again = assignment_mail.send_assignment_reminders_task.call()
    assert first_run["due_soon"] == 1 and again["due_soon"] == 0
    (reminder,) = mail.outbox
    assert reminder.to == [party["first_member"].email]
    assert reminder.subject == subject(
        "ru", "Due on %(date)s: “%(title)s”", date="20.03.2026", title=party["record"].title
    )
    mail.outbox.clear()
    with at(3, 20, 18):  # the deadline's own day: not overdue yet, due-soon already sent
        assert assignment_mail.send_assignment_reminders_task.call()["overdue"] == 0
    with at(3, 21):
        call_command("send_assignment_reminders")
        call_command("send_assignment_reminders")
    (overdue,) = mail.outbox
    assert overdue.subject == subject(
        "ru", "Overdue assignment: “%(title)s”", title=party["record"].title
    )
    assert AssignmentReminder.objects.filter(execution__assignment=assignment).count() == 2


def test_a_reminder_claimed_by_one_run_is_not_sent_by_another(party):
    with at(3, 2):
        assignment = issue(party, datetime.date(2026, 3, 20), executors=("first",))
    execution = assignment.executions.get()
    assert assignment_mail.claim("overdue", [execution.pk]) == [execution.pk]
    assert assignment_mail.claim("overdue", [execution.pk]) == []


def test_the_dry_run_counts_and_sends_nothing(party, capsys):
    with at(3, 2):
        issue(party, datetime.date(2026, 3, 20))
    mail.outbox.clear()
    with at(3, 25):
        call_command("send_assignment_reminders", "--dry-run")
    assert "2 overdue reminders" in capsys.readouterr().out
    assert not mail.outbox and not AssignmentReminder.objects.exists()


# --- the daily digest ------------------------------------------------------------------------


def test_the_digest_gathers_several_mails_into_one(party, client):
    member = party["first_member"]
    client.force_login(member)
    response = client.post(
        reverse("circulars:mail_settings"), {"non_essential": "on", "daily_digest": "on"}
    )
    assert response.status_code == 302
    assert MailPreference.objects.get(user=member).daily_digest
    mail.outbox.clear()
    with at(3, 2):
        assignment = issue(party, datetime.date(2026, 3, 20))
    first = execution_of(assignment, party, "first")
    reporter = person(roles.READER, party["first"], username="reporter")
    assignments.report(first, reporter, "Жиналыс өтті")
    assignments.return_for_rework(first, party["author"], "Қайта жасаңыз")
    assert not to(member)  # kept for the digest
    assert len(to(reporter)) == 1  # who chose no digest gets single mails (the return)
    assert DigestEntry.objects.filter(user=member).count() == 2
    mail.outbox.clear()
    with at(3, 17):
        assignment_mail.send_assignment_reminders_task.call()
    (digest,) = to(member)
    assert digest.extra_headers["Content-Language"] == "ru"
    with translation.override("ru"):
        expected = translation.ngettext(
            "Assignments: %(counter)s item today", "Assignments: %(counter)s items today", 3
        ) % {"counter": 3}
    assert digest.subject == expected
    for label in ("Assignment issued", "Report returned for rework", "Due soon"):
        assert words("ru", label) in digest.body
    assert digest.body.count(link("ru", "circulars:execution", first.pk)) == 3
    mail.outbox.clear()
    assert assignment_mail.send_digests() == 0  # nothing twice


def test_the_digest_is_chosen_in_the_admins_account_settings_too(party, client):
    author = party["author"]
    client.force_login(author)
    html = client.get(reverse("wagtailadmin_account")).content.decode()
    assert 'name="sandyq_mail-daily_digest"' in html
    response = client.post(
        reverse("wagtailadmin_account"),
        {
            "locale-preferred_language": "en",
            "locale-current_time_zone": "Asia/Almaty",
            "name_email-first_name": "Айгүл",
            "name_email-last_name": "Серікова",
            "name_email-email": author.email,
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "sandyq_mail-non_essential": "on",
            "sandyq_mail-daily_digest": "on",
            "notifications-submitted_notifications": "on",
            "notifications-approved_notifications": "on",
            "notifications-rejected_notifications": "on",
            "notifications-updated_comments_notifications": "on",
        },
    )
    assert response.status_code == 302
    assert MailPreference.objects.get(user=author).daily_digest
