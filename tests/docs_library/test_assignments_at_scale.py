"""Assignments at the scale and pace of a real party: a decision to a thousand
organisations, and executors who report at the same instant."""

import pytest

from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from docs_library import access
from docs_library.circulation import assignments
from docs_library.models import (
    Distribution,
    DocumentAccess,
    Execution,
    ExecutionState,
    JournalEntry,
    JournalKind,
)
from home import roles
from home.models import PrimaryOrganisationPage
from home.tokens import role_token
from tests.docs_library.lifecycle import (
    at_once,
    bulk_organisations,
    days,
    library_of,
    person,
    publish,
)
from tests.factories import DistrictFactory, DocumentPageFactory, PrimaryFactory, RegionFactory


def decision(region, author):
    record = DocumentPageFactory(
        parent=library_of(region),
        live=False,
        title="Облыстық кеңестің шешімі",
        access_level="organisation",
        owner=author,
    )
    publish(record)
    return record


@pytest.mark.django_db
def test_issuing_to_1000_organisations_takes_as_many_queries_as_to_20(home):
    region = RegionFactory(parent=home, org_code="09")
    few_parent, many_parent = DistrictFactory(parent=region), DistrictFactory(parent=region)
    bulk_organisations(few_parent, PrimaryOrganisationPage, 20)
    bulk_organisations(many_parent, PrimaryOrganisationPage, 1000)
    author = person(roles.EDITOR, region, username="author")
    record = decision(region, author)

    counts = []
    for parent, size in ((few_parent, 20), (many_parent, 1000)):
        executors = list(PrimaryOrganisationPage.objects.child_of(parent))
        assert len(executors) == size
        with CaptureQueriesContext(connection) as queries:
            assignment, created = assignments.issue(
                record,
                author,
                text=f"Жиналыс өткізу ({size})",
                deadline=days(10),
                executors=executors,
            )
        assert created
        assert assignment.executions.count() == size
        inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
        counts.append((len(queries) - len(inserts), len(inserts)))
    (few_reads, few_inserts), (many_reads, many_inserts) = counts
    # Reading the organisations, their blocks and staff is chunked by 900 ids: the
    # second chunk adds a statement or two, never one per organisation.
    assert many_reads <= few_reads + 3, counts
    # Rows are written in bulk, as many to a statement as the database takes
    # (SQLite: 999 parameters), never one statement per execution.
    assert many_inserts - few_inserts <= 1000 // 50, counts


@pytest.fixture
def issued(home):
    region = RegionFactory(parent=home, org_code="09", title="Қарағанды облысы")
    district = DistrictFactory(parent=region)
    first = PrimaryFactory(parent=district, title="«Самал» БПҰ", org_code="0901")
    second = PrimaryFactory(parent=district, title="«Ынтымақ» БПҰ", org_code="0902")
    author = person(roles.EDITOR, region, username="author")
    assignment, _created = assignments.issue(
        decision(region, author),
        author,
        text="Есеп беру-сайлау жиналысын өткізу",
        deadline=days(10),
        executors=[first, second],
    )
    return {
        "region": region,
        "assignment": assignment,
        "executions": {
            execution.organisation_id: execution for execution in assignment.executions.all()
        },
        "first": (first, person(roles.EDITOR, first, username="samal.editor")),
        "second": (second, person(roles.EDITOR, second, username="yntymaq.editor")),
    }


@pytest.mark.django_db(transaction=True)
def test_two_executors_reporting_at_the_same_instant_are_both_recorded_and_numbered(issued):
    calls = [
        (
            lambda org, user: (
                lambda: assignments.report(
                    issued["executions"][org.pk], user, f"{org.title}: жиналыс өтті"
                )
            )
        )(*issued[key])
        for key in ("first", "second")
    ]
    _results, errors = at_once(calls)
    assert not errors, errors

    states = dict(
        Execution.objects.filter(assignment=issued["assignment"]).values_list(
            "organisation_id", "state"
        )
    )
    assert set(states.values()) == {ExecutionState.REPORTED}
    # Both reports reach the issuing organisation's incoming journal, each with a
    # number of its own, though they were registered at the same instant.
    incoming = JournalEntry.objects.filter(
        organisation=issued["region"], kind=JournalKind.INCOMING, execution__isnull=False
    )
    assert incoming.count() == 2
    assert len(set(incoming.values_list("number", flat=True))) == 2


@pytest.mark.django_db(transaction=True)
def test_one_execution_reported_twice_at_once_keeps_one_report(issued):
    organisation, editor = issued["first"]
    colleague = person(roles.EDITOR, organisation, username="samal.secretary")
    execution = issued["executions"][organisation.pk]
    _results, errors = at_once(
        [
            lambda: assignments.report(execution, editor, "Бірінші есеп"),
            lambda: assignments.report(execution, colleague, "Екінші есеп"),
        ]
    )
    # The second is refused with a reason, not a crash, and nothing of it is kept.
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    execution.refresh_from_db()
    assert execution.state == ExecutionState.REPORTED
    assert execution.report in {"Бірінші есеп", "Екінші есеп"}
    entries = JournalEntry.objects.filter(execution=execution, organisation=issued["region"])
    assert entries.count() == 1


@pytest.mark.django_db
def test_refreshing_tokens_of_many_addressed_records_reads_as_much_as_of_a_few(home):
    """A moved or blocked subtree, or an import, refreshes thousands of records at
    once: the pages that open each (addressees, executors, issuers of reports) are
    read for the whole batch, not once per record and source."""
    region = RegionFactory(parent=home, org_code="09")
    library = library_of(region)
    bulk_organisations(DistrictFactory(parent=region), PrimaryOrganisationPage, 40)
    addressees = list(PrimaryOrganisationPage.objects.filter(path__startswith=region.path))
    records = [
        DocumentPageFactory(parent=library, title=f"Үндеу {n}", access_level="organisation")
        for n in range(40)
    ]
    Distribution.objects.bulk_create(
        Distribution(record=record, organisation=addressee)
        for record, addressee in zip(records, addressees, strict=True)
    )
    DocumentAccess.objects.filter(page__in=records).delete()

    counts = []
    for batch in (records[:4], records[4:]):
        with CaptureQueriesContext(connection) as queries:
            access.refresh_tokens(batch)
        counts.append(len([q for q in queries.captured_queries if q["sql"].startswith("SELECT")]))
    few, many = counts
    assert many <= few + 2, counts
    # And each record opened to its own addressee's people, and to no other's.
    for record, addressee in zip(records, addressees, strict=True):
        stored = set(DocumentAccess.objects.filter(page=record).values_list("token", flat=True))
        assert role_token(addressee.pk) in stored
        others = {role_token(other.pk) for other in addressees if other.pk != addressee.pk}
        assert not stored & others
