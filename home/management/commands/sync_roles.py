"""Make Wagtail's groups and permissions agree with the local-role grants.

Idempotent: gives every organisation its document collection, then rebuilds
each granted page's automatic groups and the permissions of groups granted a
role directly. Run after restoring a database or editing grants by hand.
"""

from tqdm import tqdm

from django.core.management.base import BaseCommand

from wagtail.models import Page

from home import roles
from home.models import organisation_page_models


class Command(BaseCommand):
    help = "Rebuild Wagtail's page and collection permissions from the local-role grants."

    def handle(self, *args, **options):
        organisations = Page.objects.type(*organisation_page_models()).specific().order_by("path")
        made = 0
        for organisation in tqdm(organisations, desc="collections", unit="org", disable=None):
            if organisation.collection_id is None:
                organisation.create_collection()
                made += 1
        pages = roles.sync_all()
        self.stdout.write(
            self.style.SUCCESS(f"{made} collections created; permissions synced on {pages} pages.")
        )
