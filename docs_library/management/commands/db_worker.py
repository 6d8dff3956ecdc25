"""django-tasks-db's worker, which first takes back the tasks dead workers left running.

Replaces django-tasks-db's ``db_worker`` (``docs_library`` comes before
``django_tasks_db`` in ``INSTALLED_APPS``) with the same options. Its worker id
says where it runs, so that the next worker started on this machine knows it
is dead; see ``docs_library.worker``.
"""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from docs_library.worker import new_worker_id, recover_abandoned_tasks


class Command(DatabaseWorkerCommand):
    help = (
        "Run a database background worker, after putting back in the queue the tasks "
        "that workers which died left running."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=new_worker_id())

    def handle(self, *args, **options):
        requeued, given_up = recover_abandoned_tasks()
        if requeued or given_up:
            self.stdout.write(
                f"Tasks left running by workers that stopped: {requeued} queued again, "
                f"{given_up} given up."
            )
        super().handle(*args, **options)
