"""How long a circular takes to reach 1,000 and 10,000 organisations, and its dashboard to render.

Run from the repository root, on the embedded SQLite or on PostgreSQL:

    .venv/bin/python benchmarks/distribution.py [--repeat 3]
    DATABASE_URL=postgres://sandyq@127.0.0.1:5432/sandyq .venv/bin/python benchmarks/distribution.py

Builds a throwaway database of its own (a temporary SQLite file, or a
``bench_…`` PostgreSQL database it drops afterwards), with a region of 1,000
and one of 10,000 primary organisations. Each figure is the best of
``--repeat`` runs, next to a baseline measured in the same process on the same
rows, so the ratios hold from one machine to the next:

- distribution: ``circulars.create_distributions`` (one INSERT … SELECT)
  against ``bulk_create`` of the same rows from Python; then publishing again
  (nothing to add); then the record's access tokens: written the first time
  (a row per addressed organisation), then checked again as every later save
  of the record does (``access.record_tokens`` reads the addressed
  organisations' inheritance chains in a few queries per 900 organisations);
- journals: ``journals.register_circular`` (the sender's outgoing entry and an
  incoming entry, numbered, in each receiver's journal: counters taken in one
  UPDATE … RETURNING, entries in one INSERT … SELECT) against ``bulk_create``
  of the same incoming rows, numbers made beforehand;
- dashboard: the author's dashboard page (totals, the breakdown by district,
  the first 50 organisations) and the CSV of all of them, against reading all
  the distribution rows once.
"""

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best, throwaway_database  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    with throwaway_database("distribution") as connection:
        run(args, sizes, connection)


def distribution_figures(repeat, record, baseline_record, ids):
    from docs_library import access
    from docs_library.circulation import circulars
    from docs_library.circulation.circulars import Distribution

    def clear(target=record):
        Distribution.objects.filter(record=target).delete()

    def plain_insert():
        Distribution.objects.bulk_create(
            [Distribution(record=baseline_record, organisation_id=pk) for pk in ids]
        )

    figures = {
        "baseline": best(repeat, plain_insert, before=lambda: clear(baseline_record)),
        "insert": best(repeat, lambda: circulars.create_distributions(record), before=clear),
        "again": best(repeat, lambda: circulars.create_distributions(record)),
        "tokens": best(1, lambda: access.refresh_tokens([record])),
        "tokens_again": best(repeat, lambda: access.refresh_tokens([record])),
    }
    assert Distribution.objects.filter(record=record).count() == len(ids)
    return figures


def journal_figures(repeat, record, ids):
    from docs_library.circulation import journals
    from docs_library.models import JournalCounter, JournalEntry

    def clear():  # the first circular of the year: no entries, no counters
        JournalEntry.objects.filter(record=record).delete()
        JournalCounter.objects.all().delete()

    def plain_insert():
        JournalEntry.objects.bulk_create(
            [
                JournalEntry(
                    organisation_id=pk,
                    kind="incoming",
                    year=2026,
                    sequence=1,
                    number=f"К/{pk}",
                    title=record.title,
                    source="circular",
                    record=record,
                )
                for pk in ids
            ]
        )

    figures = {
        "baseline": best(repeat, plain_insert, before=clear),
        "register": best(repeat, lambda: journals.register_circular(record), before=clear),
        "again": best(repeat, lambda: journals.register_circular(record)),
    }
    assert JournalEntry.objects.filter(record=record, kind="incoming").count() == len(ids)
    return figures


def run(args, sizes, connection):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from docs_library.circulation import circulars
    from docs_library.circulation.circulars import Acknowledgement, Distribution
    from docs_library.models import DocumentPage
    from home.models import DistrictBranchPage, PrimaryOrganisationPage
    from tests.docs_library.lifecycle import bulk_organisations, library_of
    from tests.factories import RegionFactory, central_office

    if connection.vendor == "sqlite":
        database = f"SQLite {connection.Database.sqlite_version}"
    else:
        database = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    print(
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {database}"
    )
    home = central_office()
    User = get_user_model()
    admin = User.objects.create(username="bench.admin", is_superuser=True, is_staff=True)

    def circular(library, title):
        record = DocumentPage(
            title=title,
            document_type="circular",
            access_level="organisation",
            addressing="level",
            addressed_level="primary",
            acknowledgement_required=True,
            response_deadline=timezone.localdate() - datetime.timedelta(days=1),
        )
        library.add_child(instance=record)  # saved live without publishing: no task runs
        return record

    for size in sizes:
        started = time.perf_counter()
        region = RegionFactory(parent=home, title=f"Облыс {size}")
        districts = max(1, size // 500)
        for number in range(districts):
            district = DistrictBranchPage(title=f"Аудан {size}-{number}", slug=f"d-{size}-{number}")
            region.add_child(instance=district)
            share = size // districts + (1 if number < size % districts else 0)
            bulk_organisations(district, PrimaryOrganisationPage, share)
        library = library_of(region)
        record = circular(library, f"Циркуляр {size}")
        baseline_record = circular(library, f"Салыстыру {size}")
        ids = list(circulars.addressed_organisations(record).values_list("pk", flat=True))
        assert len(ids) == size
        print(f"\n{size:,} primary organisations built in {time.perf_counter() - started:.1f} s")

        figures = distribution_figures(args.repeat, record, baseline_record, ids)
        base, insert, again = figures["baseline"], figures["insert"], figures["again"]
        tokens, tokens_again = figures["tokens"], figures["tokens_again"]
        print(f"  bulk_create of the same rows (baseline)   {base[0] * 1000:9.1f} ms")
        print(
            f"  create_distributions (INSERT … SELECT)    {insert[0] * 1000:9.1f} ms"
            f"   ×{insert[0] / base[0]:.2f} of baseline"
        )
        print(
            f"  publishing again (nothing to add)         {again[0] * 1000:9.1f} ms"
            f"   ×{again[0] / base[0]:.2f}"
        )
        print(
            f"  access tokens, first written              {tokens[0] * 1000:9.1f} ms"
            f"   ×{tokens[0] / base[0]:.2f}  ({size:,} organisations' chains)"
        )
        print(
            f"  access tokens, any later save             {tokens_again[0] * 1000:9.1f} ms"
            f"   ×{tokens_again[0] / base[0]:.2f}"
        )
        journal = journal_figures(args.repeat, record, ids)
        j_base, j_register, j_again = journal["baseline"], journal["register"], journal["again"]
        print(f"  journals: bulk_create of the entries      {j_base[0] * 1000:9.1f} ms")
        print(
            f"  journals: register_circular               {j_register[0] * 1000:9.1f} ms"
            f"   ×{j_register[0] / j_base[0]:.2f} of that baseline"
        )
        print(
            f"  journals: publishing again                {j_again[0] * 1000:9.1f} ms"
            f"   ×{j_again[0] / j_base[0]:.2f}"
        )

    # The dashboard of the largest circular, with a third of the organisations acknowledged.
    size = max(sizes)
    record = DocumentPage.objects.get(title=f"Циркуляр {size}")
    distributions = list(Distribution.objects.filter(record=record).order_by("pk"))
    people = User.objects.bulk_create(
        [User(username=f"hatshy{index}") for index in range(len(distributions) // 3)]
    )
    now = timezone.now()
    Acknowledgement.objects.bulk_create(
        [
            Acknowledgement(record=record, distribution=distribution, user=person, created_at=now)
            for distribution, person in zip(distributions[::3], people, strict=False)
        ]
    )
    Distribution.objects.filter(pk__in=[d.pk for d in distributions[::3]]).update(
        acknowledged_at=now
    )
    client = Client()
    client.force_login(admin)
    url = f"/kk/circulars/sent/{record.pk}/"

    def read_rows():
        list(Distribution.objects.filter(record=record).values_list("pk", "organisation_id"))

    def dashboard():
        response = client.get(url)
        assert response.status_code == 200
        assert f"<span data-total>{size}</span>" in response.content.decode()

    def export():
        response = client.get(f"{url}acknowledgements.csv")
        lines = b"".join(response.streaming_content).count(b"\n")
        assert lines == size + 1

    base = best(args.repeat, read_rows)
    page = best(args.repeat, dashboard)
    csv = best(1, export)
    print(f"\nDashboard of one circular to {size:,} organisations ({len(people):,} acknowledged)")
    print(f"  reading its {size:,} distribution rows (baseline) {base[0] * 1000:9.1f} ms")
    print(
        f"  dashboard page                                {page[0] * 1000:9.1f} ms"
        f"   ×{page[0] / base[0]:.1f} of baseline"
    )
    print(
        f"  CSV of all organisations                      {csv[0] * 1000:9.1f} ms"
        f"   ×{csv[0] / base[0]:.1f}"
    )


if __name__ == "__main__":
    main()
