"""How long an assignment takes to reach 1,000 and 10,000 organisations, the
execution discipline report of 10,000 to compute, and the rating of 5,000
primary organisations.

Run from the repository root, on the embedded SQLite or on PostgreSQL:

    .venv/bin/python benchmarks/circulation.py [--repeat 3]
    DATABASE_URL=postgres://sandyq@127.0.0.1:5432/sandyq .venv/bin/python benchmarks/circulation.py

Builds a throwaway database of its own (a temporary SQLite file, or a
``bench_…`` PostgreSQL database it drops afterwards) with regions of 1,000,
5,000 and 10,000 primary organisations (districts of 500). Each figure is the
best of ``--repeat`` runs, next to a baseline measured in the same process on
the same rows, so the ratios hold from one machine to the next; the machine's
load average is printed before and after, since other work on the machine
moves the figures:

- issuing: ``assignments.issue`` (the checks, the assignment, one execution
  per organisation, the record's access tokens for the executors, the history
  entry, and the mail task run in place: the executors' staff looked up)
  against ``bulk_create`` of the same assignment and executions;
- the report: ``discipline.report`` of the region (a circular's copy and an
  assignment's execution in each of 10,000 organisations, a third answered on
  time, a third late, a third overdue) and its page, against one grouped
  aggregate of the same rows;
- the rating: ``discipline.rating`` of 5,000 primary organisations, against
  the same grouped aggregate.
"""

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best, load, throwaway_database  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--divide", type=int, default=1, help="divide every size by this (a quick trial run)"
    )
    args = parser.parse_args()

    with throwaway_database("circulation") as connection:
        run(args, connection)


def build_region(home, size, library_of, bulk_organisations):
    from home.models import DistrictBranchPage, PrimaryOrganisationPage
    from tests.factories import RegionFactory

    region = RegionFactory(parent=home, title=f"Облыс {size}")
    districts = max(1, size // 500)
    for number in range(districts):
        district = DistrictBranchPage(title=f"Аудан {size}-{number}", slug=f"d-{size}-{number}")
        region.add_child(instance=district)
        share = size // districts + (1 if number < size % districts else 0)
        bulk_organisations(district, PrimaryOrganisationPage, share)
    return region, library_of(region)


def record_in(library, title, **fields):
    from docs_library.models import DocumentPage

    record = DocumentPage(
        title=title, document_type="decision", access_level="organisation", **fields
    )
    library.add_child(instance=record)  # saved live without publishing: no task runs
    return record


def issuing_figures(repeat, admin, record, baseline_record, executors):
    from django.utils import timezone

    from docs_library.circulation import assignments
    from docs_library.models import Assignment, Execution

    deadline = timezone.localdate() + datetime.timedelta(days=10)

    def clear(target):
        Assignment.objects.filter(record=target).delete()

    def plain_insert():
        assignment = Assignment.objects.create(
            record=baseline_record,
            organisation_id=baseline_record.organisation_id,
            text="Хаттаманы жіберу",
            deadline=deadline,
        )
        Execution.objects.bulk_create(
            [Execution(assignment=assignment, organisation_id=page.pk) for page in executors]
        )

    def issue():
        assignments.issue(
            record, admin, text="Хаттаманы жіберу", deadline=deadline, executors=executors
        )

    figures = {
        "baseline": best(repeat, plain_insert, before=lambda: clear(baseline_record)),
        "issue": best(repeat, issue, before=lambda: clear(record)),
    }
    assert Execution.objects.filter(assignment__record=record).count() == len(executors)
    clear(baseline_record)  # its rows are not the report's
    return figures


def spread_answers(record, circular, ids):
    """A third answered on time, a third late, a third overdue: the report's real work."""
    from django.utils import timezone

    from docs_library.models import Assignment, Distribution, Execution

    today = timezone.localdate()
    now = timezone.now()
    Assignment.objects.filter(record=record).update(
        issued_on=today - datetime.timedelta(days=20), deadline=today - datetime.timedelta(days=5)
    )
    executions = Execution.objects.filter(assignment__record=record)
    on_time = now - datetime.timedelta(days=10)
    late = now - datetime.timedelta(days=2)
    executions.filter(organisation_id__in=ids[0::3]).update(state="reported", reported_at=on_time)
    executions.filter(organisation_id__in=ids[1::3]).update(
        state="accepted", reported_at=late, decided_at=now
    )
    Distribution.objects.bulk_create(
        [
            Distribution(
                record=circular,
                organisation_id=pk,
                created_at=now - datetime.timedelta(days=15),
                acknowledged_at=(on_time if index % 3 == 0 else late if index % 3 == 1 else None),
            )
            for index, pk in enumerate(ids)
        ],
        batch_size=2000,
    )


def grouped_baseline(region):
    """One grouped aggregate of the same rows: what any per-organisation report must read."""
    from django.db.models import Count

    from docs_library.models import Distribution, Execution

    for model in (Distribution, Execution):
        list(
            model.objects.filter(organisation__path__startswith=region.path)
            .values("organisation_id")
            .annotate(total=Count("pk"))
        )


def run(args, connection):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from docs_library.circulation import discipline
    from home.models import PrimaryOrganisationPage
    from tests.docs_library.lifecycle import bulk_organisations, library_of
    from tests.factories import central_office

    if connection.vendor == "sqlite":
        database = f"SQLite {connection.Database.sqlite_version}"
    else:
        database = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    print(f"Python {platform.python_version()}, {platform.machine()}, {database}")
    print(f"Before: {load()}")
    home = central_office()
    admin = get_user_model().objects.create(
        username="bench.admin", is_superuser=True, is_staff=True
    )
    today = timezone.localdate()
    period = discipline.Period("year", today.year)
    if (today - datetime.timedelta(days=20)).year != today.year:
        period = discipline.Period("year", today.year - 1)  # early January: last year's rows

    small, large, rated = (size // args.divide for size in (1000, 10000, 5000))
    regions = {}
    for size in (small, large, rated):
        started = time.perf_counter()
        region, library = build_region(home, size, library_of, bulk_organisations)
        record = record_in(library, f"Шешім {size}")
        baseline_record = record_in(library, f"Салыстыру {size}")
        circular = record_in(
            library,
            f"Циркуляр {size}",
            acknowledgement_required=True,
            response_deadline=today - datetime.timedelta(days=5),
        )
        executors = list(
            PrimaryOrganisationPage.objects.filter(path__startswith=region.path).only("pk")
        )
        assert len(executors) == size
        regions[size] = (region, record, circular, executors)
        print(f"\n{size:,} primary organisations built in {time.perf_counter() - started:.1f} s")
        if size == rated:
            continue
        figures = issuing_figures(args.repeat, admin, record, baseline_record, executors)
        base, issue = figures["baseline"], figures["issue"]
        print(f"  bulk_create of the same rows (baseline)   {base[0] * 1000:9.1f} ms")
        print(
            f"  assignments.issue to {size:,} organisations {issue[0] * 1000:9.1f} ms"
            f"   ×{issue[0] / base[0]:.2f} of baseline (median {issue[1] * 1000:.1f} ms)"
        )

    # The report of the 10,000 and the rating of the 5,000.
    for size in (large, rated):
        region, record, circular, executors = regions[size]
        if size == rated:
            from docs_library.circulation import assignments

            assignments.issue(
                record,
                admin,
                text="Хаттаманы жіберу",
                deadline=today + datetime.timedelta(days=10),
                executors=executors,
            )
        spread_answers(record, circular, [page.pk for page in executors])

    region = regions[large][0]
    base = best(args.repeat, lambda: grouped_baseline(region))
    report = best(args.repeat, lambda: discipline.report(region, period, today))
    totals = discipline.report(region, period, today).totals
    assert totals.assignments == large and totals.circulars == large, totals
    client = Client()
    client.force_login(admin)
    url = f"/kk/circulars/discipline/{region.pk}/?period=year&year={period.year}"

    def page():
        response = client.get(url)
        assert response.status_code == 200

    shown = best(args.repeat, page)
    print(f"\nExecution discipline report of {large:,} organisations ({totals.due:,} items due)")
    print(f"  one grouped aggregate of the same rows (baseline) {base[0] * 1000:9.1f} ms")
    print(
        f"  discipline.report                                {report[0] * 1000:9.1f} ms"
        f"   ×{report[0] / base[0]:.2f} of baseline"
    )
    print(
        f"  the page (report, chart, rating of all of them)  {shown[0] * 1000:9.1f} ms"
        f"   ×{shown[0] / base[0]:.2f}"
    )

    region = regions[rated][0]
    base = best(args.repeat, lambda: grouped_baseline(region))
    rating = best(args.repeat, lambda: discipline.rating(region, period, today))
    ranked = discipline.rating(region, period, today)
    assert len(ranked) == rated and ranked[0].rank == 1
    print(f"\nRating of {rated:,} primary organisations")
    print(f"  one grouped aggregate of the same rows (baseline) {base[0] * 1000:9.1f} ms")
    print(
        f"  discipline.rating                                {rating[0] * 1000:9.1f} ms"
        f"   ×{rating[0] / base[0]:.2f} of baseline"
    )
    print(f"\nAfter: {load()}")


if __name__ == "__main__":
    main()
