"""What the models ask of the rooms above them, handed in at start-up.

Models import no behaviour: the access policy, serving, the lifecycle and the
circulation rooms all import the models, never the reverse. Yet Wagtail asks a
page itself to serve, to build its context, to say what a user may do with it
(``permissions_for_user``), and a workflow task who may act on it. Those
methods call the functions named here, which ``DocsLibraryConfig.ready()``
provides once, before any request; every one of them is a public function of
the room that owns the rule (``docs_library.access`` for who may see what).
"""


class Services:
    """The functions the models call; each is ``None`` until ``provide`` runs."""

    # docs_library.access
    viewable = None  # (user, queryset) -> the records of queryset the user may see
    can_view = None  # (user, page) -> bool
    can_edit_file = None  # (user, document) -> bool
    anonymous_may_view = None  # (page, request) -> bool
    # docs_library.lifecycle.workflow
    may_review = None  # (user, page) -> bool
    reviews_somewhere = None  # (user) -> bool
    approval_route = None  # (record) -> the Workflow an ApprovalRoute chooses, or None
    approvers_done = None  # (task, record, task_state) -> has every approver approved?
    may_approve = None  # (user, task, record) -> bool (docs_library.access)
    # docs_library.admin.permissions
    permission_tester = None  # (user, page) -> Wagtail's page permission tester
    # docs_library.files.serving
    deny = None  # (request) -> the response for what the user may not see
    # docs_library.lifecycle.archive
    withdrawal_notice = None  # (request, record) -> the notice at a withdrawn record's URL
    # docs_library.circulation.circulars
    acknowledgement_context = None  # (request, record) -> dict for the record's page


services = Services()


def provide(**functions) -> None:
    for name, function in functions.items():
        if not hasattr(Services, name):
            raise AttributeError(f"The models ask for no service named {name!r}")
        setattr(services, name, function)
