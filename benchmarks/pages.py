"""Public pages: what one costs uncached, and how many per second gunicorn serves
from the anonymous page cache, beside a static file in the same run.

Run: ``.venv/bin/python benchmarks/pages.py`` (the demo party, loaded once into
``var/bench/pages.sqlite3``; ``--fresh`` loads it again). Options: ``--port``
(gunicorn's, default 8700), ``--duration`` (seconds of load per address),
``--connections``, ``--cache redis|file`` (Redis at ``--redis-url``, the
production choice, or the file cache that serves without REDIS_URL),
``--skip-load`` (the profile only), ``--soak N`` (part 3 below), ``--baseline
DIR`` (another checkout's code, say the commit before the cache, profiled first in the same run: its
"before" rows).

Part 1, in this process (production settings, Django's test client): for an
anonymous home, regional, district, library and record page, the queries,
``Site.find_for_request`` and ``Page.get_url_parts`` calls and the median time
of one request, in three modes taking turns on each page:

* off: ``SANDYQ_PAGE_CACHE_SECONDS=0``, no page cache, no shared fragments,
  the site read from the database (what every request cost before the cache);
* uncached: the page itself not from the cache (its key is never found), the
  shared fragments and the site from it: what a page costs after a purge;
* cached: a hit.

Part 2, under load: gunicorn with 2 workers and the production settings on
``--port``, a load generator (wrk when installed: ``apt-get install wrk``),
each address in turn: the static CSS file through whitenoise, then each page
from the cache, then each page uncached (a request with a session cookie that
opens no session: the page cache is bypassed as for a signed-in reader, one
query reads the empty session, the shared fragments come from the cache), then
the same pages with the cache off (a second gunicorn with
``SANDYQ_PAGE_CACHE_SECONDS=0``), and the static file again. Each page's
requests/s is printed with its share of the static file's. The load average
before and after, and the workers' memory, say how far to trust the figures
(the machine is shared). Nothing is asserted: the figures go in
docs/performance.md and the README.

Part 3, ``--soak N``: one gunicorn (2 workers, cache on) answers N requests
of a mix — every page above cached and uncached in kk, ru and en, searches
(the party's name, rarer words, a phrase, a Kazakh word form, a malformed
query), feeds, the sitemap, the API, missing pages — and the workers' resident
memory is printed every tenth of them: does a worker grow without end?
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from unittest import mock
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
# --code DIR: profile another checkout's code (the baseline) on the same database.
CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve() if "--code" in sys.argv else ROOT
if str(CODE) not in sys.path:
    sys.path.insert(0, str(CODE))

BENCH = ROOT / "var" / "bench"
PYTHON = sys.executable
PAGES = ("home", "region", "district", "library", "record")


def production_env(args, cache_seconds: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="benchmark-only-" + "k3y" * 20,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=args.database_url,
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=str(BENCH / "static"),
        SANDYQ_VAR_DIR=str(BENCH),
        SANDYQ_CACHE_DIR=str(BENCH / "cache"),
        SANDYQ_PAGE_CACHE_SECONDS=str(cache_seconds),
        SANDYQ_LOG_LEVEL="WARNING",
    )
    if args.cache == "redis":
        env["REDIS_URL"] = args.redis_url
        env["CACHE_KEY_PREFIX"] = "sandyq-bench"
    else:
        env.pop("REDIS_URL", None)
    return env


def prepare(args) -> None:
    """The demo party in its own SQLite file, and the static files collected."""
    database = BENCH / "pages.sqlite3"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="cms.settings.dev")
    env["DATABASE_URL"] = args.database_url
    if args.fresh and database.exists():
        for path in BENCH.glob("pages.sqlite3*"):
            path.unlink()
    if not database.exists():
        print("Loading the demo party (a minute or two)…", flush=True)
        for command in (["migrate", "-v0"], ["load_demo"]):
            subprocess.run(
                [PYTHON, "manage.py", *command],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=production_env(args, 0),
        check=True,
    )


# Part 1 ---------------------------------------------------------------------


def page_urls() -> dict[str, str]:
    from django.contrib.auth.models import AnonymousUser
    from django.utils import translation

    from docs_library.access import viewable
    from docs_library.models import DocumentLibraryPage, DocumentPage
    from home.models import DistrictBranchPage, HomePage, RegionalBranchPage

    anonymous = AnonymousUser()
    pages = {
        "home": HomePage.objects.live().first(),
        "region": RegionalBranchPage.objects.live().order_by("sort_key").first(),
        "district": DistrictBranchPage.objects.live().order_by("path").first(),
        "library": DocumentLibraryPage.objects.live().order_by("path").first(),
        "record": viewable(anonymous, DocumentPage.objects.live()).order_by("path").first(),
    }
    with translation.override("kk"):
        return {name: page.get_url() for name, page in pages.items()}


def measure(client, url, repeat: int):
    """Queries and calls of one request, then the median time of ``repeat`` more."""
    from django.db import connection

    from wagtail.models import Page, Site

    calls = {"queries": 0, "site": 0, "url_parts": 0}
    find_for_request, get_url_parts = Site.find_for_request, Page.get_url_parts

    def counting_site(request):
        calls["site"] += 1
        return find_for_request(request)

    def counting_parts(self, *args, **kwargs):
        calls["url_parts"] += 1
        return get_url_parts(self, *args, **kwargs)

    def counting_queries(execute, sql, params, many, context):
        calls["queries"] += 1
        return execute(sql, params, many, context)

    with (
        mock.patch.object(Site, "find_for_request", staticmethod(counting_site)),
        mock.patch.object(Page, "get_url_parts", counting_parts),
        connection.execute_wrapper(counting_queries),
    ):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return calls, statistics.median(times) * 1000


def profile(args) -> dict[str, str]:
    os.environ.update(production_env(args, 600))
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import override_settings

    urls = page_urls()
    client = Client()
    try:
        from home import page_cache
    except ImportError:  # a baseline from before the cache
        cache.clear()
        modes = {"before": override_settings}
    else:
        cache.clear() if args.cache == "file" else page_cache.purge()
        modes = {
            "off": lambda: override_settings(SANDYQ_PAGE_CACHE_SECONDS=0),
            "uncached": lambda: mock.patch.object(page_cache, "_page_key", lambda *a: None),
            "cached": override_settings,
        }
    results = {}
    print(
        f"\nPart 1: one anonymous request (production settings, {args.cache} cache), code of {CODE}"
    )
    print(f"load average before: {os.getloadavg()}")
    for name in PAGES:
        client.get(urls[name])  # warm: the cached mode's entry, the fragments
        for mode, context in modes.items():
            with context():
                results[name, mode] = measure(client, urls[name], args.repeat)
    print(f"load average after: {os.getloadavg()}")
    print(
        f"{'page':9} {'mode':9} {'queries':>7} {'find_for_request':>16} "
        f"{'get_url_parts':>13} {'median ms':>9}"
    )
    for name in PAGES:
        for mode in modes:
            calls, median = results[name, mode]
            print(
                f"{name:9} {mode:9} {calls['queries']:7} {calls['site']:16} "
                f"{calls['url_parts']:13} {median:9.1f}"
            )
    return urls


# Part 2 ---------------------------------------------------------------------


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()  # noqa: S310 - our own server
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer at {url}")


def start_gunicorn(args, cache_seconds: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "cms.wsgi",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(
        command, cwd=ROOT, env=production_env(args, cache_seconds), start_new_session=True
    )
    wait_for(f"http://127.0.0.1:{args.port}/robots.txt")
    return server


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def worker_rss(server: subprocess.Popen) -> list[int]:
    """Resident memory of the gunicorn workers (children of the master), in MB."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{server.pid}$", text, re.M):
            sizes.append(int(re.search(r"^VmRSS:\s+(\d+)", text, re.M).group(1)) // 1024)
    return sorted(sizes)


def load(args, url: str, headers=()) -> float:
    """Requests per second at ``url`` for ``--duration`` seconds."""
    if shutil.which("wrk"):
        command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s"]
        for header in headers:
            command += ["-H", header]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
        if "Non-2xx" in output:
            raise RuntimeError(f"{url} answered errors under load:\n{output}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return python_load(args, url, headers)


def python_load(args, url: str, headers) -> float:
    """A small load generator for machines without wrk: threads with keep-alive."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = dict(header.split(": ", 1) for header in headers)
    done = [0] * args.connections
    stop_at = time.monotonic() + args.duration

    def run(index):
        connection = http.client.HTTPConnection(parts.hostname, parts.port)
        while time.monotonic() < stop_at:
            connection.request("GET", path, headers=extra)
            connection.getresponse().read()
            done[index] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / args.duration


def under_load(args, urls: dict[str, str]) -> None:
    from django.templatetags.static import static

    base = f"http://127.0.0.1:{args.port}"
    css = base + static("css/sandyq.css")
    bypass = ("Cookie: sessionid=benchmark-no-such-session",)
    rows = []
    print(
        f"\nPart 2: gunicorn, 2 workers, production settings, {args.cache} cache; "
        f"{'wrk' if shutil.which('wrk') else 'Python threads'}, {args.connections} "
        f"connections, {args.duration} s per address"
    )
    print(f"load average before: {os.getloadavg()}")
    server = start_gunicorn(args, 600)
    try:
        rows.append(("static CSS (whitenoise)", "", load(args, css)))
        for name in PAGES:
            urllib.request.urlopen(base + urls[name]).read()  # noqa: S310 - stored
            rows.append((name, "cached", load(args, base + urls[name])))
        for name in PAGES:
            rows.append((name, "uncached", load(args, base + urls[name], bypass)))
        rss_on = worker_rss(server)
    finally:
        stop(server)
    server = start_gunicorn(args, 0)
    try:
        for name in PAGES:
            rows.append((name, "cache off", load(args, base + urls[name])))
        rows.append(("static CSS (whitenoise)", "again", load(args, css)))
        rss_off = worker_rss(server)
    finally:
        stop(server)
    print(f"load average after: {os.getloadavg()}")
    static_rate = statistics.mean(rate for name, _mode, rate in rows if name.startswith("static"))
    print(f"{'address':24} {'mode':9} {'requests/s':>10} {'of static':>9}")
    for name, mode, rate in rows:
        print(f"{name:24} {mode:9} {rate:10.1f} {rate / static_rate:9.1%}")
    print(f"static file: mean of its two runs, {static_rate:.0f} requests/s")
    print(f"worker RSS (MB): cache on {rss_on}, cache off {rss_off}")


def soak_urls(urls: dict[str, str]) -> list[tuple[str, tuple[str, ...]]]:
    """The mix of the soak: every page cached and uncached in the three languages,
    searches (common and rare words, a malformed query), feeds, the sitemap, the
    API and a missing page."""
    from django.utils import translation

    bypass = ("Cookie: sessionid=benchmark-no-such-session",)
    mix = []
    for language in ("kk", "ru", "en"):
        for url in urls.values():
            localised = f"/{language}/" + url.split("/", 2)[2]
            mix += [(localised, ()), (localised, bypass)]
        with translation.override(language):
            for query in ("партия", "шешім", "облыстық кеңес", "партиямыздың", '"(* OR'):
                mix.append((f"/{language}/search/?q={quote(query)}", ()))
            mix += [
                (f"/{language}/feeds/documents/", ()),
                (f"/{language}/no-such-page-{language}/", ()),
            ]
    mix += [("/sitemap.xml", ()), ("/api/v2/pages/?limit=20", ()), ("/robots.txt", ())]
    return mix


def soak(args, urls: dict[str, str]) -> None:
    """``--soak N`` requests of the mix above, the workers' memory every tenth of them."""
    import http.client
    import itertools
    import threading

    mix = soak_urls(urls)
    print(
        f"\nPart 3: soak, {args.soak} requests over {len(mix)} addresses (pages cached and "
        f"uncached, searches, feeds, API, 404), {args.connections} connections"
    )
    print(f"load average before: {os.getloadavg()}")
    server = start_gunicorn(args, 600)
    counter = itertools.count()
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def run():
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        while (number := next(counter)) < args.soak:
            path, headers = mix[number % len(mix)]
            connection.request("GET", path, headers=dict(h.split(": ", 1) for h in headers))
            response = connection.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1

    try:
        started = time.monotonic()
        threads = [threading.Thread(target=run) for _ in range(args.connections)]
        for thread in threads:
            thread.start()
        samples = [(0, worker_rss(server))]
        step = max(args.soak // 10, 1)
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.5)
            done = sum(statuses.values())
            if done >= samples[-1][0] + step:
                samples.append((done, worker_rss(server)))
        for thread in threads:
            thread.join()
        samples.append((sum(statuses.values()), worker_rss(server)))
        elapsed = time.monotonic() - started
    finally:
        stop(server)
    print(f"load average after: {os.getloadavg()}")
    done = sum(statuses.values())
    print(f"{done} requests in {elapsed:.0f} s; statuses {sorted(statuses.items())}")
    print("requests done  worker RSS (MB)")
    for done, sizes in samples:
        print(f"{done:13}  {sizes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--cache", choices=("redis", "file"), default="redis")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument(
        "--soak", type=int, default=0, help="then this many mixed requests, memory sampled"
    )
    parser.add_argument(
        "--baseline", help="another checkout (e.g. before the cache) profiled in the same run"
    )
    parser.add_argument("--profile-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument(
        "--database-url", default=f"sqlite:///{BENCH / 'pages.sqlite3'}", help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    BENCH.mkdir(parents=True, exist_ok=True)
    os.chdir(CODE)
    if not args.profile_only:
        prepare(args)
    if args.baseline:
        # The same measurement of the baseline's code, in its own process, now.
        subprocess.run(
            [
                PYTHON,
                __file__,
                "--profile-only",
                "--code",
                args.baseline,
                "--cache",
                args.cache,
                "--redis-url",
                args.redis_url,
                "--repeat",
                str(args.repeat),
            ],
            check=True,
        )
    urls = profile(args)
    if args.profile_only:
        return
    if not args.skip_load:
        under_load(args, urls)
    if args.soak:
        soak(args, urls)


if __name__ == "__main__":
    main()
