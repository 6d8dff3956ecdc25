"""The mail matrix: every mail Sandyq sends × every kind of recipient × every access level.

Each record carries a unique token in its title and summary. A mail leaks when
that token is in any part of a message (subject, text, HTML alternative) to
someone the access policy does not let see the record; it fails the other way
when someone the mail is meant for, who may see the record, does not get it
(so the matrix cannot pass by sending nothing).

The party: region → district → two primary organisations («Бірлік», which
blocks inheritance and holds the records, and a sibling), and another region.
The recipients: a Reader of the record's organisation, of the sibling, of the
other region, a Reader of the district above the block, a Reader whose role was
revoked, a Manager of the organisation, a superuser and an inactive Reader;
beside them its Editor and Reviewer, who do the work. A separate superuser
("chief") approves, rejects and comments, so the superuser of the matrix is a
recipient like the others.

Mail that links to the admin (review, Wagtail's workflow and comment mail)
follows the admin's view of a record (``access.can_view_in_admin``: a reviewer
the workflow assigned sees a record in review); the rest follows
``access.can_view``.
"""

import itertools

from django.contrib.auth.models import Group
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse

from wagtail.models import (
    GroupApprovalTask,
    PageSubscription,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from docs_library import access
from docs_library.circulation import circulars
from docs_library.lifecycle import workflow
from docs_library.models import ApprovalRoute, ParallelApprovalTask
from home import roles
from tests.docs_library.lifecycle import circular, days, draft, edit_data, publish
from tests.factories import (
    DistrictFactory,
    LibraryFactory,
    PrimaryFactory,
    RegionFactory,
    UserFactory,
    central_office,
)

RECIPIENTS = [
    "own",
    "sibling",
    "other_region",
    "above_block",
    "revoked",
    "manager",
    "superuser",
    "inactive",
]
WORKERS = ["editor", "reviewer"]
PEOPLE = RECIPIENTS + WORKERS
LEVELS = ["public", "members", "organisation", "restricted"]
# A record in review that was never published: only its editors may see it.
REVIEW_LEVELS = [*LEVELS, "draft"]

ACTIVE = set(PEOPLE) - {"inactive"}
IN_ORGANISATION = {"own", "manager", "superuser", "editor", "reviewer"}
# Who may see a record of «Бірлік» on the site, by its level (checked against
# ``access.can_view`` every time it is used).
SEES = {
    "public": ACTIVE,
    "members": ACTIVE,
    "organisation": IN_ORGANISATION,
    "restricted": {"manager", "superuser"},
    "draft": {"manager", "superuser", "editor", "reviewer"},
}
# A circular of the region addressed to every organisation below it; the
# Reader of «Бірлік» is also granted a role on each circular itself.
CIRCULAR_SEES = {
    "public": ACTIVE,
    "members": ACTIVE,
    "organisation": ACTIVE - {"other_region", "revoked"},
    "restricted": {"own", "superuser"},
}
# People with a role of their own on an addressed organisation (the superuser
# is a Reader of the sibling): those a circular is mailed to.
STAFF = {"own", "sibling", "above_block", "manager", "superuser", "editor", "reviewer"}

_numbers = itertools.count(1)


def secret_fields() -> dict:
    secret = f"MAILSECRET{next(_numbers):04d}Q"
    return {"title": f"Шешім {secret}", "summary": f"Қысқаша мазмұны {secret}"}


def secret_of(record) -> str:
    return record.title.split()[-1]


def text_of(message) -> str:
    parts = [message.subject, message.body]
    parts += [content for content, _mimetype in getattr(message, "alternatives", [])]
    return "\n".join(str(part) for part in parts)


class MailMatrix(TestCase):
    @classmethod
    def setUpTestData(cls):
        workflow.ensure_default_workflow()
        home = central_office()
        cls.region = RegionFactory(parent=home, title="Қарағанды облысы")
        cls.district = DistrictFactory(parent=cls.region, title="Абай ауданы")
        cls.primary = PrimaryFactory(parent=cls.district, title="«Бірлік» БПҰ")
        cls.sibling = PrimaryFactory(parent=cls.district, title="«Игілік» БПҰ")
        other_region = RegionFactory(parent=home, title="Ақмола облысы")
        cls.library = LibraryFactory(parent=cls.primary, title="Хаттамалар")
        cls.moderated = LibraryFactory(parent=cls.primary, title="Модерацияланатын")
        cls.regional_library = LibraryFactory(parent=cls.region, title="Облыс құжаттары")

        cls.users = {name: UserFactory(username=name) for name in PEOPLE}
        cls.users["chief"] = UserFactory(username="chief", is_superuser=True)
        grants = {
            "own": (roles.READER, cls.primary),
            "sibling": (roles.READER, cls.sibling),
            "other_region": (roles.READER, other_region),
            "above_block": (roles.READER, cls.district),
            "revoked": (roles.READER, cls.primary),
            "manager": (roles.MANAGER, cls.primary),
            "inactive": (roles.READER, cls.primary),
            "editor": (roles.EDITOR, cls.primary),
            "reviewer": (roles.REVIEWER, cls.primary),
        }
        for name, (role, page) in grants.items():
            roles.grant(role, cls.users[name], page)
        roles.revoke(roles.READER, cls.users["revoked"], cls.primary)
        roles.grant(roles.READER, cls.users["superuser"], cls.sibling)
        superuser = cls.users["superuser"]
        superuser.is_superuser = True
        superuser.save()
        inactive = cls.users["inactive"]
        inactive.is_active = False
        inactive.save()
        roles.set_inheritance_blocked(cls.primary, True)

        # Another workflow, of Wagtail's own group approval, for one library:
        # every person of the matrix moderates it.
        moderators = Group.objects.create(name="Модераторлар")
        for name in PEOPLE:
            cls.users[name].groups.add(moderators)
        task = GroupApprovalTask.objects.create(name="Модерация")
        task.groups.add(moderators)
        moderation = Workflow.objects.create(name="Модерация")
        WorkflowTask.objects.create(workflow=moderation, task=task, sort_order=0)
        WorkflowPage.objects.create(workflow=moderation, page=cls.moderated)

    def setUp(self):
        for user in self.users.values():
            roles.forget(user)

    # --- the judge ------------------------------------------------------------------------

    def name_of(self, address) -> str:
        names = {user.email: name for name, user in self.users.items()}
        self.assertIn(address, names, "mail to someone outside the matrix")
        return names[address]

    def may_see(self, name, record, *, admin: bool) -> bool:
        user = self.users[name]
        roles.forget(user)
        if not user.is_active:
            return False
        return access.can_view(user, record) or (admin and access.can_view_in_admin(user, record))

    def check(self, record, *, meant, sees, admin=False, label=""):
        """No message carries the record's token to someone who may not see it;
        everyone ``meant`` to be told who may see it on the site got it."""
        record.refresh_from_db()
        secret = secret_of(record)
        told = set()
        for message in mail.outbox:
            if secret in text_of(message):
                told.update(self.name_of(address) for address in message.to)
        for name in [*PEOPLE, "chief"]:
            with self.subTest(label, person=name):
                if name in PEOPLE:  # the hand-written table is the policy's answer
                    roles.forget(self.users[name])
                    self.assertEqual(
                        self.users[name].is_active and access.can_view(self.users[name], record),
                        name in sees,
                    )
                if name in told:
                    self.assertTrue(self.may_see(name, record, admin=admin), "leaked")
                if name in meant and name in sees:
                    self.assertIn(name, told, "not told")
        return told

    # --- circulars ----------------------------------------------------------------------

    def distributed(self, level, **fields):
        """A circular of the region to every organisation below it, just published."""
        record = circular(
            self.regional_library,
            addressing="all",
            live=False,
            access_level=level,
            **secret_fields(),
            **fields,
        )
        roles.grant(roles.READER, self.users["own"], record)
        mail.outbox.clear()
        publish(record)
        return record

    def test_a_circular_to_acknowledge(self):
        for level in LEVELS:
            record = self.distributed(level)
            told = self.check(record, meant=STAFF, sees=CIRCULAR_SEES[level], label=level)
            self.assertEqual(told, STAFF & CIRCULAR_SEES[level])

    def test_a_circular_for_information(self):
        for level in LEVELS:
            record = self.distributed(level, acknowledgement_required=False)
            told = self.check(record, meant=STAFF, sees=CIRCULAR_SEES[level], label=level)
            self.assertEqual(told, STAFF & CIRCULAR_SEES[level])

    def test_an_overdue_reminder(self):
        for level in LEVELS:
            record = self.distributed(level, deadline=days(-2))
            mail.outbox.clear()
            circulars.remind_overdue_task.enqueue(record.pk)
            self.assertTrue(mail.outbox)
            told = self.check(record, meant=STAFF, sees=CIRCULAR_SEES[level], label=level)
            self.assertEqual(told, STAFF & CIRCULAR_SEES[level])

    def test_the_restricted_circular_of_the_issue(self):
        """Addressed to all organisations, it reaches only those who may open it."""
        record = self.distributed("restricted")
        told = {self.name_of(message.to[0]) for message in mail.outbox}
        self.assertEqual(told, {"own", "superuser"})
        # Every addressed organisation still has its copy: only the mail is held back.
        self.assertEqual(record.distributions.count(), 3)

    # --- Sandyq's review ----------------------------------------------------------------

    def in_review(self, level, by, library=None):
        """A record submitted for review by ``by``: a new draft, or a new version
        of a record published at ``level``."""
        library = library or self.library
        fields = {**secret_fields(), "owner": by}
        if level == "draft":
            record = draft(library, **fields)
        else:
            record = publish(draft(library, access_level=level, **fields))
            record.save_revision(user=by)
        mail.outbox.clear()
        record.get_workflow().start(record, by)
        record.refresh_from_db()
        return record

    def test_submitted_for_review(self):
        for level in REVIEW_LEVELS:
            record = self.in_review(level, self.users["editor"])
            self.assertTrue(mail.outbox)
            self.check(
                record,
                meant={"manager", "reviewer"},  # the organisation's own reviewers
                sees=SEES[level],
                admin=True,
                label=level,
            )

    def decided(self, decision, level, name, library=None):
        """``name``'s record in review, approved or sent back by the chief."""
        record = self.in_review(level, self.users[name], library)
        mail.outbox.clear()
        task_state = record.current_workflow_task_state
        if decision == "approve":
            task_state.approve(user=self.users["chief"])
        else:
            task_state.reject(user=self.users["chief"], comment="Нөмірін қосыңыз")
        record.refresh_from_db()
        return record

    def check_decisions(self, decision, library=None):
        for level, name in itertools.product(REVIEW_LEVELS, RECIPIENTS):
            record = self.decided(decision, level, name, library)
            if record.live:
                now = record.access_level if level != "draft" else "organisation"
            else:
                now = "draft"
            self.check(record, meant={name}, sees=SEES[now], admin=True, label=f"{level} {name}")

    def test_approved(self):
        self.check_decisions("approve")

    def test_changes_requested(self):
        self.check_decisions("reject")

    # --- an approval route's step -----------------------------------------------------------

    def test_an_approval_step_reached(self):
        """Orders of «Бірлік» go through a route whose one step names every person of the
        matrix: the step's start mails those of them who may open the record in the admin."""
        step = ParallelApprovalTask.objects.create(name="Келісу")
        step.approvers.set([self.users[name] for name in PEOPLE])
        route = Workflow.objects.create(name="Бұйрықтарды келісу")
        WorkflowTask.objects.create(workflow=route, task=step, sort_order=0)
        ApprovalRoute.objects.create(
            organisation=self.primary, document_type="order", workflow=route
        )
        by = self.users["editor"]
        for level in REVIEW_LEVELS:
            fields = {**secret_fields(), "owner": by, "document_type": "order"}
            if level == "draft":
                record = draft(self.library, **fields)
            else:
                record = publish(draft(self.library, access_level=level, **fields))
                record.save_revision(user=by)
            mail.outbox.clear()
            record.get_workflow().start(record, by)
            self.assertEqual(record.get_workflow(), route)
            self.check(
                record,
                meant=set(PEOPLE) - {"editor"},  # every approver but the one who submitted
                sees=SEES[level],
                admin=True,
                label=level,
            )

    # --- Wagtail's own mail: another workflow, comments -------------------------------------

    @override_settings(WAGTAILADMIN_NOTIFICATION_USE_HTML=True)
    def test_wagtails_group_approval_submitted(self):
        for level in REVIEW_LEVELS:
            record = self.in_review(level, self.users["editor"], self.moderated)
            self.assertEqual(record.current_workflow_task.specific_class, GroupApprovalTask)
            self.assertTrue(any(message.alternatives for message in mail.outbox))
            self.check(
                record,
                meant=set(PEOPLE) - {"editor"},  # every moderator but the one who submitted
                sees=SEES[level],
                admin=True,
                label=level,
            )

    @override_settings(WAGTAILADMIN_NOTIFICATION_USE_HTML=True)
    def test_wagtails_group_approval_approved(self):
        self.check_decisions("approve", self.moderated)

    @override_settings(WAGTAILADMIN_NOTIFICATION_USE_HTML=True)
    def test_wagtails_group_approval_rejected(self):
        self.check_decisions("reject", self.moderated)

    @override_settings(WAGTAILADMIN_NOTIFICATION_USE_HTML=True)
    def test_wagtails_comment_notifications(self):
        self.client.force_login(self.users["chief"])
        for level in REVIEW_LEVELS:
            fields = secret_fields()
            record = draft(self.library, **fields)
            if level != "draft":
                record.access_level = level
                publish(record)
            for name in PEOPLE:
                PageSubscription.objects.create(
                    user=self.users[name], page=record, comment_notifications=True
                )
            mail.outbox.clear()
            comment = {
                "id": "",
                "contentpath": "title",
                "text": "Атауын тексеріңіз",
                "position": "",
                "resolved": "",
                "replies": inline_formset([]),
            }
            data = edit_data(record)
            data.update(nested_form_data({"comments": inline_formset([comment])}))
            response = self.client.post(reverse("wagtailadmin_pages:edit", args=[record.pk]), data)
            self.assertEqual(response.status_code, 302, level)
            self.assertTrue(mail.outbox, level)
            self.check(record, meant=set(PEOPLE), sees=SEES[level], admin=True, label=level)


class ReviewAcrossABlock(TestCase):
    """The workflow's reviewers above a block see the record in review in the
    admin, so they are told of it; once it is published, the block holds."""

    @classmethod
    def setUpTestData(cls):
        workflow.ensure_default_workflow()
        home = central_office()
        region = RegionFactory(parent=home)
        cls.district = DistrictFactory(parent=region)
        cls.primary = PrimaryFactory(parent=cls.district)
        cls.library = LibraryFactory(parent=cls.primary)
        cls.district_reviewer = UserFactory(username="district.reviewer")
        roles.grant(roles.REVIEWER, cls.district_reviewer, cls.district)
        cls.editor = UserFactory(username="primary.editor")
        roles.grant(roles.EDITOR, cls.editor, cls.primary)
        roles.set_inheritance_blocked(cls.primary, True)

    def test_the_assigned_reviewer_is_told_of_the_record_in_review(self):
        record = draft(self.library, access_level="restricted", **secret_fields())
        self.assertFalse(access.can_view(self.district_reviewer, record))
        mail.outbox.clear()
        record.get_workflow().start(record, self.editor)
        self.assertEqual([message.to for message in mail.outbox], [[self.district_reviewer.email]])
        self.assertIn(secret_of(record), mail.outbox[0].subject)


class TheBatchAnswersAsCanView(TestCase):
    """``access.users_who_may_view`` is ``can_view`` for many people at once."""

    @classmethod
    def setUpTestData(cls):
        home = central_office()
        cls.region = RegionFactory(parent=home)
        cls.primary = PrimaryFactory(parent=DistrictFactory(parent=cls.region))
        cls.library = LibraryFactory(parent=cls.primary)
        group = Group.objects.create(name="Хатшылар")
        cls.users = []
        for number in range(30):
            user = UserFactory(username=f"person{number}")
            if number % 3 == 0:
                roles.grant(roles.READER, user, cls.primary)
            elif number % 3 == 1:
                user.groups.add(group)
            cls.users.append(user)
        roles.grant(roles.READER, group, cls.region)
        roles.grant(roles.MANAGER, cls.users[2], cls.region)
        roles.set_inheritance_blocked(cls.primary, True)
        roles.grant(roles.MANAGER, cls.users[5], cls.primary)

    def test_every_level_in_a_few_queries(self):
        for level in LEVELS:
            record = publish(draft(self.library, access_level=level, **secret_fields()))
            for user in self.users:
                roles.forget(user)
            with self.assertNumQueries(4):  # tokens, memberships, user and group grants
                allowed = access.users_who_may_view(record, self.users)
            expected = [user for user in self.users if access.can_view(user, record)]
            self.assertEqual(allowed, expected, level)
            self.assertTrue(expected, level)
