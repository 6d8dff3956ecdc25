"""Registration journals: numbering per organisation, journal and year, under
concurrency; automatic registration of circulars, assignments and reports; who
may read and register; filters, exports, the print view and bad input."""

import csv
import datetime
import io

import openpyxl
import pytest

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from docs_library import access
from docs_library.circulation import assignments, circulars, journals
from docs_library.models import EntrySource, JournalCounter, JournalEntry, JournalKind
from home import roles
from home.models import PrimaryOrganisationPage
from tests.docs_library.lifecycle import (
    at_once,
    bulk_organisations,
    circular,
    days,
    library_of,
    person,
    primaries,
    publish,
    words,
)
from tests.factories import DistrictFactory, DocumentPageFactory, PrimaryFactory, RegionFactory

TODAY = timezone.localdate


@pytest.fixture
def party(home):
    """Karaganda (code 09, a district with two primaries) and its sibling Akmola."""
    karaganda = RegionFactory(
        parent=home,
        title="Қарағанды облысы",
        name_ru="Карагандинская область",
        org_code="09",
        registration_pattern="{org_code}-{type_code}/{seq}",
    )
    district = DistrictFactory(parent=karaganda, title="Абай ауданы", org_code="09-01")
    first, second = primaries(district, 2)
    akmola = RegionFactory(parent=home, title="Ақмола облысы", org_code="01")
    return {
        "home": home,
        "karaganda": karaganda,
        "district": district,
        "primaries": [first, second],
        "akmola": akmola,
        "library": library_of(karaganda),
    }


def by_hand(organisation, kind=JournalKind.INCOMING, on=None, number="", title="Хат", **fields):
    fields.setdefault("correspondent_name", "Әкімдік")
    return journals.register_by_hand(
        organisation, None, kind=kind, title=title, on=on or TODAY(), number=number, **fields
    )


def journal_of(organisation, kind):
    return JournalEntry.objects.filter(organisation=organisation, kind=kind).order_by("pk")


# --- numbering -------------------------------------------------------------------------------


def test_each_journal_of_each_organisation_numbers_on_its_own(party):
    karaganda, akmola = party["karaganda"], party["akmola"]
    assert by_hand(karaganda).number == "09-К/1"
    assert by_hand(karaganda).number == "09-К/2"
    assert by_hand(karaganda, JournalKind.INTERNAL).number == "09-І/1"
    # Akmola has no pattern of its own: the default, with its code.
    assert by_hand(akmola).number == "01-К/1"
    assert by_hand(karaganda).number == "09-К/3"
    assert JournalCounter.objects.get(organisation=karaganda, kind="incoming").last_value == 3


def test_numbering_starts_again_in_a_new_year(party):
    karaganda = party["karaganda"]
    last_year = TODAY().year - 1
    december = datetime.date(last_year, 12, 30)
    assert [by_hand(karaganda, on=december).number for _ in range(2)] == ["09-К/1", "09-К/2"]
    fresh = by_hand(karaganda)
    assert fresh.number == "09-К/1"
    assert fresh.year == TODAY().year
    assert by_hand(karaganda, on=december).number == "09-К/3"  # last year's journal goes on


def test_a_pattern_without_a_sequence_still_numbers_every_entry_apart(party):
    akmola = party["akmola"]
    akmola.registration_pattern = "{org_code}-{year}"
    akmola.save()
    numbers = [by_hand(akmola).number for _ in range(2)]
    year = TODAY().year
    assert numbers == [f"01-{year}/1", f"01-{year}/2"]


def test_a_number_typed_by_hand_is_skipped_by_the_counter(party):
    karaganda = party["karaganda"]
    typed = by_hand(karaganda, number="09-К/2")
    assert typed.sequence is None
    assert [by_hand(karaganda).number for _ in range(2)] == ["09-К/1", "09-К/3"]
    numbers = list(journal_of(karaganda, "incoming").values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 3


def test_a_typed_number_already_in_the_journal_is_refused_with_a_reason(party):
    karaganda = party["karaganda"]
    by_hand(karaganda)
    with pytest.raises(ValidationError) as error:
        by_hand(karaganda, number="09-К/1")
    assert "09-К/1" in error.value.messages[0]
    # The same number in another journal or another year is another entry.
    assert by_hand(karaganda, JournalKind.INTERNAL, number="09-К/1").number == "09-К/1"
    assert by_hand(karaganda, on=datetime.date(TODAY().year - 1, 5, 1), number="09-К/1")
    assert journal_of(karaganda, "incoming").count() == 2


def test_the_database_refuses_a_number_twice_in_a_journal_and_year(party):
    karaganda = party["karaganda"]
    entry = by_hand(karaganda)
    copy = JournalEntry(
        organisation=karaganda,
        kind=entry.kind,
        year=entry.year,
        number=entry.number,
        source=EntrySource.BY_HAND,
        title="Көшірме",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_get_distinct_consecutive_numbers(home):
    region = RegionFactory(parent=home, org_code="09")
    results, errors = at_once([lambda: by_hand(region)] * 6)
    assert not errors, errors
    assert sorted(entry.sequence for entry in results) == [1, 2, 3, 4, 5, 6]
    assert sorted(entry.number for entry in results) == sorted(f"09-К/{n}" for n in range(1, 7))
    assert JournalCounter.objects.get(organisation=region).last_value == 6


@pytest.mark.django_db(transaction=True)
def test_one_number_typed_twice_at_once_is_saved_once_and_the_other_told(home):
    region = RegionFactory(parent=home, org_code="09")
    results, errors = at_once([lambda: by_hand(region, number="қолмен/7")] * 3)
    assert len([entry for entry in results if entry is not None]) == 1
    assert len(errors) == 2
    assert all(isinstance(error, ValidationError) for error in errors), errors
    assert JournalEntry.objects.filter(number="қолмен/7").count() == 1


@pytest.mark.django_db(transaction=True)
def test_circulars_delivered_at_once_number_each_receivers_journal_in_turn(home):
    region = RegionFactory(parent=home, org_code="09")
    receivers = primaries(region, 3)
    library = library_of(region)
    records = [circular(library, addressing="level", level="primary", live=False) for _ in "ab"]
    for record in records:
        record.live = True
        record.save()
        circulars.create_distributions(record)
    results, errors = at_once([lambda r=r: journals.register_circular(r) for r in records])
    assert not errors, errors
    assert results == [4, 4]  # three receivers and the sender, each time
    for organisation in receivers:
        entries = journal_of(organisation, "incoming")
        assert sorted(entries.values_list("sequence", flat=True)) == [1, 2]


# --- automatic registration ---------------------------------------------------------------


def test_a_circular_sent_down_is_registered_in_each_receivers_incoming_journal(party):
    karaganda, district = party["karaganda"], party["district"]
    record = circular(
        party["library"],
        title="Жиналыстар кестесі туралы",
        addressing="level",
        level="primary",
        registration_number="09-Ц/15",
        document_date=days(-2),
    )
    for organisation in party["primaries"]:
        entry = journal_of(organisation, "incoming").get()
        assert entry.record == record
        assert entry.title == "Жиналыстар кестесі туралы"
        assert entry.correspondent_id == karaganda.pk
        assert entry.correspondent_name == "Қарағанды облысы"
        assert entry.correspondent_number == "09-Ц/15"
        assert entry.correspondent_date == days(-2)
        assert entry.registered_on == TODAY()
        assert entry.sequence == 1
    sent = journal_of(karaganda, "outgoing").get()
    assert (sent.record, sent.number, sent.source) == (record, "09-Ш/1", "circular")
    assert sent.correspondent_name == "«Бірлік» БПҰ 0; «Бірлік» БПҰ 1"  # its addressees
    assert not journal_of(district, "incoming").exists()  # not addressed

    publish(record)  # again: nothing registered twice
    assert JournalEntry.objects.filter(record=record).count() == 3


def test_registering_a_circular_to_310_organisations_takes_as_many_queries_as_to_1(home):
    region = RegionFactory(parent=home, org_code="09")
    library = library_of(region)
    few_parent, many_parent = DistrictFactory(parent=region), DistrictFactory(parent=region)
    bulk_organisations(few_parent, PrimaryOrganisationPage, 10)
    bulk_organisations(many_parent, PrimaryOrganisationPage, 300)
    few = circular(library, addressing="chosen", live=False)
    few.addressees.create(organisation=few_parent)  # the district alone
    many = circular(library, addressing="level", level="primary", live=False)
    counts = {}
    for record in (few, many):  # published without the task, to count the journals alone
        record.live = True
        record.save()
        circulars.create_distributions(record)
        with CaptureQueriesContext(connection) as queries:
            registered = journals.register_circular(record)
        counts[record.pk] = len(queries)
        assert registered == record.distributions.count() + 1
    assert counts[few.pk] == counts[many.pk]
    incoming = JournalEntry.objects.filter(record=many, kind="incoming")
    assert len(set(incoming.values_list("number", flat=True))) == 310  # every primary's own
    assert set(incoming.values_list("sequence", flat=True)) == {1}
    assert JournalEntry.objects.get(record=few, organisation=few_parent).number.endswith("К/1")


def test_an_issued_assignment_is_registered_with_each_executor(party):
    karaganda = party["karaganda"]
    record = DocumentPageFactory(
        parent=party["library"],
        live=False,
        title="Шешім",
        access_level="organisation",
        registration_number="09-Ш/4",
    )
    publish(record)
    author = person(roles.EDITOR, karaganda)
    assignment, _created = assignments.issue(
        record,
        author,
        text="Есепті жіберу",
        deadline=days(10),
        executors=party["primaries"],
    )
    for organisation in party["primaries"]:
        entry = journal_of(organisation, "incoming").get()
        assert entry.assignment == assignment
        assert entry.source == "assignment"
        assert entry.title == "Есепті жіберу"
        assert (entry.correspondent_id, entry.correspondent_number) == (karaganda.pk, "09-Ш/4")
        assert entry.correspondent_date == assignment.issued_on

    execution = assignment.executions.get(organisation=party["primaries"][0])
    assignments.report(execution, person(roles.READER, party["primaries"][0]), "Орындалды")
    sent = journal_of(party["primaries"][0], "outgoing").get()
    assert (sent.source, sent.execution, sent.correspondent_id) == (
        "report",
        execution,
        karaganda.pk,
    )
    received = journal_of(karaganda, "incoming").get()
    assert received.execution == execution
    assert received.correspondent_number == sent.number
    assert received.number == "09-К/1"


def test_a_refused_report_registers_nothing(party):
    record = DocumentPageFactory(parent=party["library"], live=False, access_level="organisation")
    publish(record)
    author = person(roles.EDITOR, party["karaganda"])
    assignment, _created = assignments.issue(
        record, author, text="Орындау", deadline=days(5), executors=party["primaries"][:1]
    )
    execution = assignment.executions.get()
    with pytest.raises(ValidationError):
        assignments.report(execution, author, "")  # a report is required
    assert not JournalEntry.objects.filter(kind="outgoing").exists()


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "where", "sees", "registers"),
    [
        (roles.READER, "karaganda", False, False),
        (roles.CONTRIBUTOR, "karaganda", True, False),
        (roles.EDITOR, "karaganda", True, True),
        (roles.REVIEWER, "karaganda", True, True),
        (roles.MANAGER, "karaganda", True, True),
        (roles.MANAGER, "akmola", False, False),  # a sibling region
        (roles.EDITOR, "district", False, False),  # below: not the region's journal
    ],
)
def test_who_may_see_and_register_by_role_and_place(party, client, role, where, sees, registers):
    karaganda = party["karaganda"]
    user = person(role, party[where])
    assert access.may_view_journal(user, karaganda) is sees
    assert access.may_register(user, karaganda) is registers
    client.force_login(user)
    journal = client.get(reverse("circulars:journal", args=[karaganda.pk]))
    form = client.get(reverse("circulars:journal_register", args=[karaganda.pk]))
    assert journal.status_code == (200 if sees else 404)
    assert form.status_code == (200 if registers else 404)
    for name in ("journal_csv", "journal_xlsx", "journal_print"):
        export = client.get(reverse(f"circulars:{name}", args=[karaganda.pk]))
        assert export.status_code == (200 if sees else 404)


def test_a_region_editor_sees_a_district_journal_until_the_district_blocks_inheritance(party):
    district = party["district"]
    editor = person(roles.EDITOR, party["karaganda"])
    assert access.may_view_journal(editor, district)
    assert access.may_register(editor, district)
    roles.set_inheritance_blocked(district, True)
    roles.forget(editor)
    assert not access.may_view_journal(editor, district)
    assert not access.may_register(editor, district)


def test_signed_out_visitors_are_sent_to_sign_in(party, client):
    karaganda = party["karaganda"]
    assert not access.may_view_journal(AnonymousUser(), karaganda)
    for name in ("journal", "journal_register", "journal_csv", "journal_xlsx", "journal_print"):
        response = client.get(reverse(f"circulars:{name}", args=[karaganda.pk]))
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert (
        client.post(reverse("circulars:journal_register", args=[karaganda.pk])).status_code == 302
    )
    assert not JournalEntry.objects.exists()


def test_a_journal_names_a_records_title_only_to_those_who_may_open_it(party, client):
    karaganda = party["karaganda"]
    secret = DocumentPageFactory(
        parent=party["library"], live=False, title="Жабық хат QX-91", access_level="restricted"
    )
    publish(secret)
    journals.register_many(
        [karaganda.pk], "internal", title=secret.title, source="by_hand", record=secret
    )
    editor = person(roles.EDITOR, karaganda)
    manager = person(roles.MANAGER, karaganda)
    client.force_login(editor)
    assert "QX-91" not in client.get(reverse("circulars:journal", args=[karaganda.pk])).text
    export = client.get(reverse("circulars:journal_csv", args=[karaganda.pk]))
    assert "QX-91" not in b"".join(export.streaming_content).decode()
    client.force_login(manager)
    assert "QX-91" in client.get(reverse("circulars:journal", args=[karaganda.pk])).text


# --- registering by hand --------------------------------------------------------------------


def test_an_editor_registers_an_incoming_letter_by_hand(party, client):
    karaganda = party["karaganda"]
    editor = person(roles.EDITOR, karaganda)
    client.force_login(editor)
    response = client.post(
        reverse("circulars:journal_register", args=[karaganda.pk]),
        {
            "kind": "incoming",
            "registered_on": TODAY().isoformat(),
            "title": "Әкімдіктің хаты",
            "correspondent_name": "Қарағанды қаласының әкімдігі",
            "correspondent_number": "12-3/45",
            "correspondent_date": days(-3).isoformat(),
        },
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert (entry.number, entry.source, entry.registered_by) == ("09-К/1", "by_hand", editor)
    assert entry.correspondent_number == "12-3/45"


FUTURE = "The registration date cannot be in the future."
NO_SENDER = "Say who sent the incoming document."
SENT_AFTER = "The sender's date is after the registration date."
TAKEN = "Number %(number)s is already in this journal for %(year)s."


@pytest.mark.parametrize(
    ("changes", "field", "msgid"),
    [
        ({"registered_on": "1.2.2026x"}, "registered_on", "Enter a valid date."),
        ({"registered_on": "future"}, "registered_on", FUTURE),
        ({"correspondent_name": ""}, "correspondent_name", NO_SENDER),
        ({"correspondent_date": "after"}, "correspondent_date", SENT_AFTER),
        ({"number": "09-К/1"}, "number", TAKEN),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_bad_registrations_are_refused_in_the_readers_language(
    party, client, changes, field, msgid
):
    karaganda = party["karaganda"]
    by_hand(karaganda)
    client.force_login(person(roles.EDITOR, karaganda))
    data = {
        "kind": "incoming",
        "registered_on": TODAY().isoformat(),
        "title": "Хат",
        "correspondent_name": "Әкімдік",
    }
    data.update(changes)
    if data["registered_on"] == "future":
        data["registered_on"] = days(1).isoformat()
    if data.get("correspondent_date") == "after":
        data["registered_on"], data["correspondent_date"] = (
            days(-2).isoformat(),
            days(-1).isoformat(),
        )
    expected = words("ru", msgid, number="09-К/1", year=TODAY().year)
    with translation.override("ru"):
        response = client.post(reverse("circulars:journal_register", args=[karaganda.pk]), data)
        assert expected in response.context["form"].errors[field]  # (read in Russian)
    assert response.status_code == 400
    assert JournalEntry.objects.count() == 1  # nothing half-saved


# --- filters, search, exports, print ---------------------------------------------------------


@pytest.fixture
def filled(party):
    karaganda = party["karaganda"]
    last_year = datetime.date(TODAY().year - 1, 11, 20)
    by_hand(karaganda, title="Жиналыс хаттамасы", correspondent_name="Әкімдік", on=last_year)
    new_year = datetime.date(TODAY().year, 1, 1)
    by_hand(karaganda, title="Мәслихат хаты", correspondent_name="Мәслихат", on=new_year)
    by_hand(karaganda, title="Жиналыс туралы хабарлама", correspondent_name="Әкімдік")
    by_hand(karaganda, kind=JournalKind.INTERNAL, title="Ішкі бұйрық", correspondent_name="")
    client_user = person(roles.CONTRIBUTOR, karaganda)
    return {**party, "user": client_user, "last_year": last_year}


def shown(client, organisation, **params):
    response = client.get(reverse("circulars:journal", args=[organisation.pk]), params)
    assert response.status_code == 200, response.context["form"].errors
    return [row["entry"].title for row in response.context["described"]]


def test_the_journal_filters_by_kind_year_period_sender_and_searches(filled, client):
    karaganda = filled["karaganda"]
    client.force_login(filled["user"])
    assert shown(client, karaganda) == [
        "Ішкі бұйрық",
        "Жиналыс туралы хабарлама",
        "Мәслихат хаты",
        "Жиналыс хаттамасы",
    ]
    assert shown(client, karaganda, kind="internal") == ["Ішкі бұйрық"]
    assert "Жиналыс хаттамасы" not in shown(client, karaganda, year=TODAY().year)
    assert shown(client, karaganda, year=TODAY().year - 1) == ["Жиналыс хаттамасы"]
    last_year = filled["last_year"]
    period = {
        "date_from": (last_year - datetime.timedelta(days=1)).isoformat(),
        "date_to": (last_year + datetime.timedelta(days=1)).isoformat(),
    }
    assert shown(client, karaganda, **period) == ["Жиналыс хаттамасы"]
    assert shown(client, karaganda, sender="Әкімдік") == [
        "Жиналыс туралы хабарлама",
        "Жиналыс хаттамасы",
    ]
    # Search ignores case in Cyrillic, and finds numbers.
    assert shown(client, karaganda, q="ЖИНАЛЫС ХАБАРЛАМА") == ["Жиналыс туралы хабарлама"]
    assert shown(client, karaganda, q="09-і/1") == ["Ішкі бұйрық"]


def test_a_period_that_ends_before_it_starts_is_said_not_guessed(filled, client):
    karaganda = filled["karaganda"]
    client.force_login(filled["user"])
    params = {"date_from": TODAY().isoformat(), "date_to": days(-3).isoformat()}
    for name in ("journal", "journal_csv", "journal_xlsx", "journal_print"):
        with translation.override("kk"):
            response = client.get(reverse(f"circulars:{name}", args=[karaganda.pk]), params)
        assert response.status_code == 400
        assert words("kk", "The end of the period is before its start.") in response.text
    with translation.override("en"):
        bad_year = client.get(reverse("circulars:journal", args=[karaganda.pk]), {"year": "x"})
    assert bad_year.status_code == 400


def test_the_csv_export_holds_the_filtered_journal(filled, client):
    karaganda = filled["karaganda"]
    client.force_login(filled["user"])
    with translation.override("en"):
        response = client.get(
            reverse("circulars:journal_csv", args=[karaganda.pk]), {"kind": "incoming"}
        )
        # streamed: the rows are written as they are read, in the request's language
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Journal", "Registration number", "Registration date", "Title"]
    assert [row[1] for row in rows[1:]] == ["09-К/2", "09-К/1", "09-К/1"]
    assert rows[1][3] == "Жиналыс туралы хабарлама"
    assert rows[1][2] == TODAY().strftime("%d.%m.%Y")
    assert rows[1][4] == "Әкімдік"
    assert rows[1][0] == "Incoming documents"


def test_the_xlsx_export_holds_dates_as_dates_and_kazakh_letters(filled, client):
    karaganda = filled["karaganda"]
    client.force_login(filled["user"])
    with translation.override("kk"):
        response = client.get(
            reverse("circulars:journal_xlsx", args=[karaganda.pk]), {"year": TODAY().year}
        )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == words("kk", "Registration number")
    assert [row[1] for row in rows[1:]] == ["09-І/1", "09-К/2", "09-К/1"]
    assert rows[1][3] == "Ішкі бұйрық"
    assert rows[2][2].date() == TODAY()
    assert rows[3][4] == "Мәслихат"


def test_the_print_view_lists_the_journal_with_its_print_styles(filled, client):
    karaganda = filled["karaganda"]
    client.force_login(filled["user"])
    with translation.override("ru"):
        response = client.get(
            reverse("circulars:journal_print", args=[karaganda.pk]), {"kind": "internal"}
        )
    html = response.text
    assert response.status_code == 200
    assert 'href="/static/css/print.css" media="print"' in html
    assert "Ішкі бұйрық" in html and "Мәслихат хаты" not in html
    assert words("ru", "Internal documents") in html  # the filter it was printed by


def test_journals_speak_kazakh_and_russian(filled, client):
    karaganda = filled["karaganda"]
    client.force_login(filled["user"])
    for language in ("kk", "ru"):
        with translation.override(language):
            html = client.get(reverse("circulars:journal", args=[karaganda.pk])).text
        assert words(language, "Registration journals") in html
        assert words(language, "Incoming documents") in html
        assert words(language, "Register a document") not in html  # a contributor does not


def test_the_inbox_and_the_circulars_page_link_the_journal_for_those_who_may_see_it(party, client):
    karaganda = party["karaganda"]
    link = reverse("circulars:journal", args=[karaganda.pk])
    client.force_login(person(roles.CONTRIBUTOR, karaganda))
    assert link in client.get(reverse("circulars:index")).text
    assert link in client.get(reverse("circulars:inbox", args=[karaganda.pk])).text
    client.force_login(person(roles.READER, karaganda))
    assert link not in client.get(reverse("circulars:index")).text
    assert link not in client.get(reverse("circulars:inbox", args=[karaganda.pk])).text


def test_an_organisation_of_a_record_deleted_keeps_its_journal(party):
    record = circular(party["library"], addressing="level", level="primary")
    primary = party["primaries"][0]
    entry = journal_of(primary, "incoming").get()
    record.delete()
    entry.refresh_from_db()
    assert entry.record is None and entry.title == record.title


def test_the_outgoing_entry_names_its_addressee_or_the_first_few_and_how_many_more(party):
    karaganda, district = party["karaganda"], party["district"]
    one = circular(party["library"], addressing="level", level="district", title="Бір")
    sent = journal_of(karaganda, "outgoing").get(record=one)
    assert (sent.correspondent_id, sent.correspondent_name) == (district.pk, "Абай ауданы")
    for _n in range(4):  # six primary organisations now
        PrimaryFactory(parent=district)

    many = circular(party["library"], addressing="level", level="primary", title="Көп")
    sent = journal_of(karaganda, "outgoing").get(record=many)
    with translation.override("kk"):
        more = translation.ngettext(
            "%(names)s and %(count)s more organisation",
            "%(names)s and %(count)s more organisations",
            3,
        )
    assert "%(count)s" in more and "more" not in more  # said in Kazakh, the journal's language
    first = PrimaryOrganisationPage.objects.child_of(district).order_by("path")[:3]
    names = "; ".join(page.title for page in first)
    assert names.startswith("«Бірлік» БПҰ 0; «Бірлік» БПҰ 1; «Игілік» БПҰ")
    assert sent.correspondent_id is None
    assert sent.correspondent_name == more % {"names": names, "count": 3}
    assert journals.addressees([]) == (None, "")
    # long names: still within the column, and the count says how many are left out
    column = JournalEntry._meta.get_field("correspondent_name").max_length
    long_ones = [
        DistrictFactory(parent=karaganda, title="Ұзын атауы бар аудандық филиал " + "ә" * 90)
        for _n in range(3)
    ]
    _page, text = journals.addressees([page.pk for page in long_ones])
    assert len(text) <= column
    assert text.startswith(long_ones[0].title) and "2" in text
