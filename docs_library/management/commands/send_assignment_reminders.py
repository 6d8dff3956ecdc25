"""Queue the daily run of assignment reminders and digests (meant for cron, once a day).

The run (``assignment_mail.send_assignment_reminders_task``, on the task
worker) reminds executors of deadlines in three days and of overdue
assignments, then sends the daily digests. Each reminder is written down
before it is sent, so running this twice a day, or two runs at once, sends
nothing twice. ``--dry-run`` counts what is due and queues nothing.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from docs_library.circulation.assignment_mail import (
    due_for_reminder,
    send_assignment_reminders_task,
)
from docs_library.models import DigestEntry, ReminderKind


class Command(BaseCommand):
    help = "Queue today's assignment reminders (due in 3 days, overdue) and daily digests."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; queue nothing."
        )

    def handle(self, *args, **options):
        today = timezone.localdate()
        due_soon = due_for_reminder(ReminderKind.DUE_SOON, today).count()
        overdue = due_for_reminder(ReminderKind.OVERDUE, today).count()
        digests = (
            DigestEntry.objects.filter(sent_at__isnull=True).values("user_id").distinct().count()
        )
        self.stdout.write(
            f"Due: {due_soon} due-soon reminders, {overdue} overdue reminders, {digests} digests."
        )
        if options["dry_run"]:
            return
        result = send_assignment_reminders_task.enqueue()
        self.stdout.write(self.style.SUCCESS(f"Queued as task {result.id} ({result.status})."))
