"""What the benchmarks that build a throwaway database share: that database, the
timing of repeated runs and the machine's load."""

import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path


def best(repeat, run, before=None):
    """The best and the median of ``repeat`` timed runs of ``run`` (``before`` untimed)."""
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


@contextlib.contextmanager
def throwaway_database(name: str):
    """Django set up on a database of the benchmark's own, dropped afterwards: a
    temporary SQLite file, or ``bench_sandyq_<name>`` on the PostgreSQL that
    ``DATABASE_URL`` names. Yields the connection."""
    workdir = tempfile.mkdtemp(prefix="sandyq-bench-")
    os.environ["SANDYQ_TEST_FILES"] = workdir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(workdir) / "bench.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = f"bench_sandyq_{name}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
