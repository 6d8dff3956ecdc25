"""Load the demo party: the tree, announcements, users, and each app's own demo data."""

import importlib
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from home.demo import DEMO_USERS, DemoLoader


class Command(BaseCommand):
    help = "Load the demo organisations, documents and users. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--primary-organisations",
            type=int,
            default=200,
            help="How many primary organisations to create (default 200).",
        )

    def handle(self, *args, **options):
        if settings.SANDYQ_ENVIRONMENT not in ("development", "test"):
            raise CommandError(
                "load_demo writes demo users with known passwords; it runs only under the "
                f"development or test settings, not '{settings.SANDYQ_ENVIRONMENT}'."
            )
        started = time.monotonic()
        loader = DemoLoader(primary_count=options["primary_organisations"], stdout=self.stdout)
        with transaction.atomic():
            pages = loader.load()
            created = loader.created
            # Other apps contribute through a `demo` module with `load(pages, stdout)`.
            for config in apps.get_app_configs():
                if config.name == "home":
                    continue
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{config.name}.demo":
                        raise
                    continue
                created += module.load(pages, self.stdout)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {created} objects created in {elapsed:.1f} s.")
        )
        self.stdout.write("Demo sign-ins (development only):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<18} {user.password:<16} {user.description}")
        if settings.SANDYQ_2FA_REQUIRED:
            self.stdout.write(
                "  admin sets up two-step sign-in at its first sign-in: scan the QR code with "
                "an authenticator app (or run with SANDYQ_2FA_REQUIRED=false); README.md, "
                "'Signing in'."
            )
