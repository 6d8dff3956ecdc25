"""Index updates as django-tasks tasks, like Wagtail's own index updates.

A page's entry is re-read after every save; with a long file that takes a
moment, so it runs beside the request in production (``manage.py db_worker``)
and at once in development and tests. After a change of the index, on
PostgreSQL, the heavy searches asked lately are answered again the same way
(``index_changed``).
"""

from django_tasks import task

from django.db import connection, transaction

from wagtail.models import Page

from . import indexing
from .engines import kept


@task()
def update_entry_task(page_id: int) -> str:
    page = Page.objects.filter(pk=page_id).first()
    if page is None:
        return "missing"
    indexing.update_page(page.specific)
    index_changed()
    return "updated"


@task()
def refresh_kept_answers_task() -> int:
    """After a change of the index, the heavy queries asked lately answered and kept
    again, so their next reader does not pay for the change (``search.engines.kept``)."""
    from .engines.database import DatabaseEngine

    return DatabaseEngine().refresh_kept_answers()


def index_changed() -> None:
    """The index was written (an entry, an import's batch, a move): once that
    commits, the heavy queries asked lately are answered again by the task above,
    one waiting at a time (PostgreSQL; ``search.engines.kept``)."""
    if connection.vendor == "postgresql" and kept.refreshing():
        transaction.on_commit(_schedule_refresh)


def _schedule_refresh() -> None:
    if kept.asked() and kept.claim_refresh():
        refresh_kept_answers_task.enqueue()
