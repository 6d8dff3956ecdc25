"""Put back in the queue the tasks that dead workers left running (``docs_library.worker``).

Every ``db_worker`` does this when it starts; run it from cron where workers
run on several machines, so that a task held by a worker on a machine that
went away runs again once ``SANDYQ_TASK_STALE_AFTER`` has passed.
"""

from django.core.management.base import BaseCommand

from docs_library.worker import recover_abandoned_tasks


class Command(BaseCommand):
    help = "Queue again the tasks that stopped workers left running; give up after 3 tries."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-after",
            type=float,
            default=None,
            help="Seconds after which a running task is taken for abandoned whoever holds it "
            "(default: SANDYQ_TASK_STALE_AFTER, one hour).",
        )

    def handle(self, *args, stale_after=None, **options):
        requeued, given_up = recover_abandoned_tasks(stale_after=stale_after)
        self.stdout.write(f"{requeued} queued again, {given_up} given up.")
