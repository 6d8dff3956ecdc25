"""Extensions of an assignment's deadline: the executor asks for a new deadline with a
reason, the author grants it (the execution's deadline moves) or refuses it."""

import datetime
import re
from unittest import mock

import pytest

from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from wagtail.models import PageLogEntry
from wagtail.users.models import UserProfile

from docs_library.circulation import assignments, discipline
from docs_library.models import ExtensionRequest, ExtensionState
from home import roles
from tests.docs_library.lifecycle import days, library_of, person, publish, words
from tests.factories import DistrictFactory, DocumentPageFactory, PrimaryFactory, RegionFactory


def speaks(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


@pytest.fixture
def party(home):
    karaganda = RegionFactory(parent=home, title="Қарағанды облысы")
    district = DistrictFactory(parent=karaganda, title="Абай ауданы")
    first = PrimaryFactory(parent=district, title="«Бірінші» БПҰ")
    second = PrimaryFactory(parent=district, title="«Екінші» БПҰ")
    akmola = RegionFactory(parent=home, title="Ақмола облысы")
    elsewhere = PrimaryFactory(parent=akmola, title="«Көкшетау» БПҰ")
    author = speaks(person(roles.EDITOR, karaganda, username="author"), "en")
    manager = speaks(person(roles.MANAGER, karaganda, username="manager"), "ru")
    record = DocumentPageFactory(
        parent=library_of(karaganda),
        live=False,
        title="Жиналыс туралы шешім",
        access_level="organisation",
        owner=author,
    )
    publish(record)
    assignment, _created = assignments.issue(
        record, author, text="Хаттаманы жіберу", deadline=days(2), executors=[first, second]
    )
    return {
        "karaganda": karaganda,
        "first": first,
        "second": second,
        "akmola": akmola,
        "elsewhere": elsewhere,
        "author": author,
        "manager": manager,
        "first_member": speaks(person(roles.READER, first, username="first.member"), "ru"),
        "second_member": person(roles.READER, second, username="second.member"),
        "record": record,
        "assignment": assignment,
        "execution": assignment.executions.get(organisation=first),
    }


def later(n: int):
    """Pretend it is ``n`` days from now."""
    return mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + datetime.timedelta(days=n)
    )


def ask(party, new_deadline=None, reason="Мүшелер демалыста, жиналыс кейінге қалды"):
    return assignments.ask_extension(
        party["execution"], party["first_member"], new_deadline or days(20), reason
    )


def refused(msgid):
    """The step refuses with ``msgid``, in the site's language."""
    return pytest.raises(ValidationError, match=re.escape(words("kk", msgid)))


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- granting and refusing --------------------------------------------------------------------


def test_a_granted_extension_moves_the_deadline_and_the_execution_is_not_overdue(party, client):
    request = ask(party)
    assert request.state == ExtensionState.ASKED
    assert request.old_deadline == days(2)
    client.force_login(party["author"])
    page = client.get(reverse("circulars:assignment", args=[party["assignment"].pk]))
    assert "Мүшелер демалыста" in page.content.decode()  # the author sees the open request
    response = client.post(
        reverse("circulars:extension_answer", args=[request.pk]),
        {"decision": "grant", "comment": "Келісемін"},
    )
    assert response.status_code == 302
    assert said(response) == [words("kk", "The new deadline is granted.")]
    execution = party["execution"]
    execution.refresh_from_db()
    assert execution.due_on == days(20)
    request.refresh_from_db()
    assert (request.state, request.answer, request.decided_by) == (
        ExtensionState.GRANTED,
        "Келісемін",
        party["author"],
    )
    with later(3):  # past the assignment's deadline, within the granted one
        assert not execution.is_overdue()
        totals = assignments.counts([party["assignment"]])[party["assignment"].pk]
        today = timezone.localdate()
        figures = discipline.report(
            party["karaganda"], discipline.Period.containing(today), today
        ).totals
    assert totals["overdue"] == 1  # only the other executor, whose deadline stayed
    assert figures.overdue == 1
    # The executor's page shows the new deadline; the other executor keeps the old one.
    client.force_login(party["first_member"])
    page = client.get(reverse("circulars:execution", args=[execution.pk])).content.decode()
    assert days(20).strftime("%d.%m.%Y") in page
    other = party["assignment"].executions.get(organisation=party["second"])
    assert other.deadline is None and other.due_on == days(2)
    actions = list(
        PageLogEntry.objects.filter(page=party["record"], action__startswith="sandyq.extension")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["sandyq.extension_ask", "sandyq.extension_grant"]


def test_a_refused_extension_leaves_the_deadline(party, client):
    request = ask(party)
    client.force_login(party["manager"])  # manages records in the issuing organisation
    client.post(
        reverse("circulars:extension_answer", args=[request.pk]),
        {"decision": "refuse", "comment": "Мерзім өзгермейді"},
    )
    request.refresh_from_db()
    assert request.state == ExtensionState.REFUSED
    execution = party["execution"]
    execution.refresh_from_db()
    assert execution.deadline is None and execution.due_on == days(2)
    with later(3):
        assert execution.is_overdue()
    # Answered already: a second answer is refused and changes nothing.
    with refused("This request has been answered already."):
        assignments.answer_extension(request, party["author"], True)
    execution.refresh_from_db()
    assert execution.deadline is None
    # A refused request is no longer open: the executor may ask again.
    assert ask(party, days(10)).state == ExtensionState.ASKED


# --- bad input --------------------------------------------------------------------------------


def test_a_second_open_request_is_refused(party, client):
    ask(party)
    with refused("A new deadline has been asked for already and awaits the author's answer."):
        ask(party, days(30))
    with pytest.raises(IntegrityError), transaction.atomic():  # and by the database itself
        ExtensionRequest.objects.create(
            execution=party["execution"],
            reason="Тағы да",
            new_deadline=days(40),
            old_deadline=days(2),
        )
    client.force_login(party["first_member"])
    response = client.post(
        reverse("circulars:execution_extension", args=[party["execution"].pk]),
        {"new_deadline": days(30).isoformat(), "reason": "Тағы да"},
    )
    assert response.status_code == 302
    assert said(response) == [
        words("kk", "A new deadline has been asked for already and awaits the author's answer.")
    ]
    assert ExtensionRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("new_deadline", "message"),
    [
        (-1, "The deadline cannot be in the past."),
        (1, "The new deadline must be later than the current one."),
        (2, "The new deadline must be later than the current one."),
    ],
)
def test_a_past_or_earlier_date_is_refused_with_a_message(party, client, new_deadline, message):
    client.force_login(party["first_member"])
    response = client.post(
        reverse("circulars:execution_extension", args=[party["execution"].pk]),
        {"new_deadline": days(new_deadline).isoformat(), "reason": "Себеп"},
    )
    assert response.status_code == 302
    assert said(response) == [words("kk", message)]  # in the site's language
    assert not ExtensionRequest.objects.exists()


def test_a_reason_is_required_and_the_message_is_translated(party, client):
    client.force_login(party["first_member"])
    response = client.post(
        reverse("circulars:execution_extension", args=[party["execution"].pk]),
        {"new_deadline": days(20).isoformat(), "reason": "   "},
    )
    assert response.status_code == 302
    assert said(response) == [words("kk", "This field is required.")]
    with refused("Say why a new deadline is needed."):
        ask(party, reason="  ")
    assert not ExtensionRequest.objects.exists()


def test_no_extension_once_reported(party):
    assignments.report(party["execution"], party["first_member"], "Орындалды")
    with refused("A report has been submitted and awaits the author's decision."):
        ask(party)
    assert not ExtensionRequest.objects.exists()


# --- who may ---------------------------------------------------------------------------------


def test_who_may_not_ask(party, client):
    url = reverse("circulars:execution_extension", args=[party["execution"].pk])
    data = {"new_deadline": days(20).isoformat(), "reason": "Себеп"}
    sibling = person(roles.EDITOR, party["second"])  # the sibling executor's staff
    other_region_reader = person(roles.READER, party["elsewhere"])
    for user in (sibling, other_region_reader):
        client.force_login(user)
        assert client.post(url, data).status_code == 404
    client.logout()
    assert client.post(url, data).status_code == 302  # to sign in
    assert not ExtensionRequest.objects.exists()
    # The form is shown to the executor only.
    client.force_login(party["first_member"])
    page = client.get(reverse("circulars:execution", args=[party["execution"].pk]))
    assert url in page.content.decode()


def test_the_author_of_another_region_may_not_answer(party, client):
    request = ask(party)
    outsider = person(roles.EDITOR, party["akmola"])
    client.force_login(outsider)
    url = reverse("circulars:extension_answer", args=[request.pk])
    assert client.post(url, {"decision": "grant"}).status_code == 404
    assert (
        client.get(reverse("circulars:assignment", args=[party["assignment"].pk])).status_code
        == 404
    )
    # Nor the executor, who asked.
    client.force_login(party["first_member"])
    assert client.post(url, {"decision": "grant"}).status_code == 404
    request.refresh_from_db()
    assert request.state == ExtensionState.ASKED
    party["execution"].refresh_from_db()
    assert party["execution"].deadline is None


# --- mail ------------------------------------------------------------------------------------


def to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def test_asking_tells_the_deciders_and_answering_tells_the_executor(party):
    title = party["record"].title
    mail.outbox.clear()
    ask(party)
    (en,) = to(party["author"])
    assert en.subject == f"New deadline asked on “{title}”"
    assert "Мүшелер демалыста" in en.body and days(20).strftime("%d.%m.%Y") in en.body
    (ru,) = to(party["manager"])
    assert ru.subject == words("ru", "New deadline asked on “%(title)s”", title=title)
    assert not to(party["first_member"])  # who asked
    assert not to(party["second_member"])  # another executor
    assert len(mail.outbox) == 2

    mail.outbox.clear()
    request = ExtensionRequest.objects.get()
    assignments.answer_extension(request, party["author"], True, "Келісемін")
    (ru,) = to(party["first_member"])
    assert ru.subject == words("ru", "Answer on the new deadline: “%(title)s”", title=title)
    assert days(20).strftime("%d.%m.%Y") in ru.body and "Келісемін" in ru.body
    assert not to(party["author"])  # who answered
    assert not to(party["second_member"])
    assert len(mail.outbox) == 1


# --- the discipline report ----------------------------------------------------------------------


def test_the_discipline_report_counts_extensions_asked(party):
    today = timezone.localdate()
    period = discipline.Period.containing(today)
    before = discipline.report(party["karaganda"], period, today).totals
    assert (before.assignments, before.extensions) == (2, 0)
    request = ask(party)
    assignments.answer_extension(request, party["author"], False, "Жоқ")
    ask(party, days(10))  # asked twice: one assignment with extensions asked
    after = discipline.report(party["karaganda"], period, today)
    assert after.totals.extensions == 1
    rows = {row.page.pk: row.figures for row in after.rows}
    assert rows[party["karaganda"].get_children().get(title="Абай ауданы").pk].extensions == 1


def test_the_discipline_csv_has_the_extensions_asked(client, party):
    import csv
    import io

    ask(party)
    client.force_login(party["manager"])
    today = timezone.localdate()
    url = reverse("circulars:discipline_csv", args=[party["karaganda"].pk])
    query = f"?period=month&year={today.year}&number={today.month}"
    for table in ("", "&table=rating"):
        response = client.get("/en" + url[3:] + query + table)
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        column = rows[0].index("Extensions asked")
        assert rows[0][column + 1] == "Score"
        if table:  # «Бірінші» asked, «Екінші» did not
            assert sorted(row[column] for row in rows[1:]) == ["0", "1"]
        else:  # the district's row, and the total
            assert [row[column] for row in rows[1:]] == ["1", "1"]
