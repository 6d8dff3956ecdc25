"""Turn off a user's two-step sign-in (a lost phone and no recovery codes left).

A user who must have it is asked to set it up again at the next sign-in.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from home import two_factor


class Command(BaseCommand):
    help = "Remove a user's authenticator and recovery codes, so they can enrol again."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not two_factor.has_second_factor(user):
            self.stdout.write(f"{username} has no second factor; nothing to do.")
            return
        two_factor.turn_off(user)
        self.stdout.write(self.style.SUCCESS(f"Two-step sign-in removed for {username}."))
