"""One process of its own signing in: ``python -m tests.home.sign_in_process``.

Run by tests/home/test_sign_in.py with ``DATABASE_URL`` naming the test
database, so that each run is a fresh process with nothing in memory but what
the shared store holds: the database, or Redis when ``SIGN_IN_REDIS`` names a
cache location and key prefix (``redis://…|prefix``) for the production
settings' cache handler. Arguments: user name, password, how many attempts,
and the sign-in path. Prints the status code of each attempt and whether the
last one ended signed in, as JSON.
"""

import json
import os
import sys


def main(username: str, password: str, attempts: int, path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import django

    django.setup()
    from django.test import Client, override_settings

    if os.environ.get("SIGN_IN_REDIS"):
        override_settings(**redis_settings(os.environ["SIGN_IN_REDIS"])).enable()
    client = Client()
    statuses = []
    for _ in range(attempts):
        response = client.post(path, {"username": username, "password": password})
        statuses.append(response.status_code)
    body = response.content.decode()
    signed_in = "_auth_user_id" in client.session
    print(json.dumps({"statuses": statuses, "signed_in": signed_in, "body": body}))


def redis_settings(spec: str) -> dict:
    """What cms/settings/base.py sets when REDIS_URL is given."""
    location, _sep, prefix = spec.partition("|")
    return {
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": location,
                "KEY_PREFIX": prefix,
            }
        },
        "AXES_HANDLER": "axes.handlers.cache.AxesCacheHandler",
    }


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
