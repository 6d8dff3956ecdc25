"""Access tokens, spelt once.

A user holds some (``home.roles.Principal.tokens``), a record lists the ones
that open it (``docs_library.access``), and the record is visible when the two
sets meet. Tokens name the page a grant was made on, so granting or revoking a
role changes what a user sees without rewriting any record.
"""

PUBLIC_TOKEN = "public"  # noqa: S105 - everyone (a token, not a secret)
MEMBERS_TOKEN = "members"  # noqa: S105 - any signed-in, active user


def role_token(page_id: int) -> str:
    """Held by anyone with a role on the page; opens what that role lets them read."""
    return f"role:{page_id}"


def editor_token(page_id: int) -> str:
    """Held by roles that read drafts there (Contributors and above)."""
    return f"edit:{page_id}"


def manager_token(page_id: int) -> str:
    """Held by roles that read restricted records there (Managers)."""
    return f"mgr:{page_id}"
