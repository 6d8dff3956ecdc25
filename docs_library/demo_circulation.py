"""Demo of circulation beyond distribution: assignments, extensions, the discipline
report and rating, and an approval route, on dates relative to today so that the
demo always looks current.

- The central office's decision on the rating of primary organisations is
  turned into an assignment to three regions: Karaganda executed it on time
  and it was accepted, Almaty reported late, Astana asked for a new deadline
  and was granted it.
- The Temirtau city branch (a district of Karaganda made here, so the rating
  has organisations whatever ``--primary-organisations`` says) gets two
  assignments from the regional branch's decision; its six primary
  organisations answer on time, late, or not at all, so the rating of
  ``karaganda.reviewer``'s discipline page has a spread of scores (100, 100,
  75, 50, 25, 0).
- Karaganda's decisions go through a two-step approval route: the legal adviser
  and the secretary in parallel, then the chair; one decision is in it, the
  legal adviser has approved and the secretary is awaited.

Every step goes through the circulation services, as a person's press would
(journals, history, mail), and is then moved to the day it happened: the rows'
dates and the history's. Everything is found before it is made, so a second
run adds nothing. Called by ``demo.load``.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation

from wagtail.models import PageLogEntry, Workflow, WorkflowTask

from home import roles
from home.demo import DemoLoader
from home.models import DistrictBranchPage, PrimaryOrganisationPage, RegionalBranchPage

from .circulation import assignments
from .circulation.discipline import Period
from .demo_records import _demo_person, _library, _record
from .lifecycle.workflow import ensure_default_workflow
from .models import (
    AccessLevel,
    ApprovalRoute,
    Assignment,
    DocumentPage,
    Execution,
    ExtensionRequest,
    JournalEntry,
    ParallelApprovalTask,
)


@dataclass(frozen=True)
class DemoPerson:
    username: str
    password: str
    first_name: str
    last_name: str
    role: object
    place: str  # a key of the places ``load`` finds
    description: str


#: Sign-ins of the circulation demo (development only), listed by ``load_demo`` and the README.
CIRCULATION_DEMO_USERS = [
    DemoPerson(
        "central.editor",
        "sandyq-editor",
        "Дәулет",
        "Нұрпейісов",
        roles.EDITOR,
        "home",
        "Editor of the central office: issued the rating decision's assignment to three regions",
    ),
    DemoPerson(
        "karaganda.legal",
        "sandyq-approver",
        "Сәуле",
        "Байжанова",
        roles.CONTRIBUTOR,
        "karaganda",
        "legal adviser of the Karaganda branch: approver in step 1 of its decisions' route",
    ),
    DemoPerson(
        "karaganda.secretary",
        "sandyq-approver",
        "Нұрлан",
        "Қасымов",
        roles.CONTRIBUTOR,
        "karaganda",
        "secretary of the Karaganda branch: approver in step 1 (a decision awaits them)",
    ),
    DemoPerson(
        "karaganda.chair",
        "sandyq-approver",
        "Ғалым",
        "Өтегенов",
        roles.CONTRIBUTOR,
        "karaganda",
        "chair of the Karaganda branch: approver in step 2",
    ),
    DemoPerson(
        "yntymaq.editor",
        "sandyq-editor",
        "Асқар",
        "Жұмабеков",
        roles.EDITOR,
        "yntymaq",
        "Editor of «Ынтымақ» (Temirtau): an assignment with a granted extension to report on",
    ),
]

TEMIRTAU = ("Теміртау қалалық филиалы", "Темиртауский городской филиал", "Temirtau City Branch")

# (short name, Kazakh place, Russian place): the Temirtau branch's primary organisations.
TEMIRTAU_PRIMARIES = [
    ("Болат", "Болат", "металлургия комбинаты", "металлургический комбинат"),
    ("Шұғыла", "Шугыла", "№ 7 мектеп-гимназия", "школа-гимназия № 7"),
    ("Жігер", "Жигер", "теміржол вокзалы", "железнодорожный вокзал"),
    ("Береке", "Береке", "қалалық аурухана", "городская больница"),
    ("Самал", "Самал", "№ 12 колледж", "колледж № 12"),
    ("Ынтымақ", "Ынтымак", "Ақтау кенті", "посёлок Актау"),
]

#: Every demo assignment is issued this many days before today: one day, so one month
#: of the discipline report holds them all (this month from the 13th on).
ISSUED = -12

CENTRAL_DECISION = "Бастауыш партия ұйымдарын бағалау жүйесі туралы шешім"
CENTRAL_TEXT = (
    "Бастауыш партия ұйымдарын бағалау жүйесін өңірде енгізіп, бірінші бағалаудың "
    "нәтижелерін орталық аппаратқа жіберу."
)
FORUM_TEXT = "Бастауыш ұйымдар форумына делегаттарды ұсыну: аты-жөні, лауазымы, байланысы."
MINUTES_TEXT = "Форумға дайындық туралы жиналыс хаттамасын жүктеу."
ROUTE_NAME = "Қарағанды филиалының шешімдерін келісу"
ROUTE_DECISION = (
    "decision",
    "kk",
    AccessLevel.ORGANISATION,
    "{region} филиалы бюросының шешімі: жастар қанатының жетекшілерін бекіту (жоба)",
    "Бастауыш партия ұйымдарының жастар қанаты жетекшілерін бекіту туралы шешім жобасы.",
    ["Жоба заңгердің, хатшының және филиал төрағасының келісуіне жіберілді."],
    "pdf",
)


def load_places(pages) -> int:
    """The Temirtau city branch and its primary organisations (before the circulars,
    so that Karaganda's circular to its primary organisations reaches them too)."""
    karaganda = pages["Karaganda Region"]
    loader = DemoLoader()
    district = loader.ensure_child(
        karaganda,
        DistrictBranchPage,
        TEMIRTAU[0],
        name_ru=TEMIRTAU[1],
        name_en=TEMIRTAU[2],
        org_code=f"{karaganda.org_code}-01",
        registration_pattern="{org_code}-{type_code}/{seq}",
    )
    for number, (kk, ru, place_kk, place_ru) in enumerate(TEMIRTAU_PRIMARIES, start=1):
        loader.ensure_child(
            district,
            PrimaryOrganisationPage,
            f"«{kk}» БПҰ, {place_kk}",
            name_ru=f"ППО «{ru}», {place_ru}",
            name_en=f"Primary organisation {ru}, Temirtau",
            short_name=f"«{kk}»",
            org_code=f"{district.org_code}-{number:03d}",
            registration_pattern="{org_code}-{type_code}/{seq}",
        )
    return loader.created


class Timeline:
    """Steps taken today through the services, then moved to the day they happened."""

    def __init__(self):
        self.today = timezone.localdate()

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def moment(self, offset: int, hour: int = 10) -> datetime.datetime:
        return datetime.datetime.combine(
            self.day(offset), datetime.time(hour), tzinfo=timezone.get_current_timezone()
        )

    def _marks(self):
        return (
            PageLogEntry.objects.aggregate(last=Max("pk"))["last"] or 0,
            JournalEntry.objects.aggregate(last=Max("pk"))["last"] or 0,
        )

    def _move(self, marks, offset):
        logs, entries = marks
        moment = self.moment(offset)
        PageLogEntry.objects.filter(pk__gt=logs).update(timestamp=moment)
        if moment.year == self.today.year:  # numbers are per year: keep the year's
            JournalEntry.objects.filter(pk__gt=entries).update(
                registered_on=moment.date(), registered_at=moment
            )

    def issue(self, record, user, text, executors, *, issued, deadline):
        marks = self._marks()
        assignment, _created = assignments.issue(
            record, user, text=text, deadline=self.today, executors=executors
        )
        Assignment.objects.filter(pk=assignment.pk).update(
            issued_on=self.day(issued), deadline=self.day(deadline), created_at=self.moment(issued)
        )
        self._move(marks, issued)
        executions = {e.organisation_id: e for e in assignment.executions.all()}
        return assignment, executions

    def report(self, execution, user, text, *, on, decided_by=None, decided=None, returned=""):
        marks = self._marks()
        assignments.report(execution, user, text)
        Execution.objects.filter(pk=execution.pk).update(reported_at=self.moment(on))
        self._move(marks, on)
        if decided_by is None:
            return
        marks = self._marks()
        if returned:
            assignments.return_for_rework(execution, decided_by, returned)
        else:
            assignments.accept(execution, decided_by, "Қабылданды.")
        Execution.objects.filter(pk=execution.pk).update(decided_at=self.moment(decided, 15))
        self._move(marks, decided)

    def extension(self, execution, user, reason, *, asked, new_deadline, old_deadline, granted_by):
        marks = self._marks()
        request = assignments.ask_extension(execution, user, self.day(new_deadline), reason)
        assignments.answer_extension(request, granted_by, True, "Жаңа мерзім берілді.")
        ExtensionRequest.objects.filter(pk=request.pk).update(
            requested_at=self.moment(asked),
            old_deadline=self.day(old_deadline),
            decided_at=self.moment(asked, 16),
        )
        self._move(marks, asked)


def _people(places) -> dict:
    people = {}
    for demo in CIRCULATION_DEMO_USERS:
        user, _new = _demo_person(demo.username, demo.first_name, demo.last_name, demo.password)
        roles.grant(demo.role, user, places[demo.place])
        people[demo.username] = user
    return people


def _secretary(organisation):
    """The secretary who reports for an organisation (no sign-in, as in the circulars' demo)."""
    code = organisation.specific.org_code or str(organisation.pk)
    user, _new = _demo_person(f"hatshy.{code}", "Хатшы", organisation.title[:100])
    roles.grant(roles.READER, user, organisation)
    return user


def load_central_assignment(home, regions, people, timeline) -> int:
    """The central decision's assignment to three regions: on time, late, extended."""
    decision = DocumentPage.objects.descendant_of(home).filter(title=CENTRAL_DECISION).first()
    if decision is None or Assignment.objects.filter(record=decision, text=CENTRAL_TEXT).exists():
        return 0
    karaganda, almaty, astana = regions
    author = people["central.editor"]
    _assignment, executions = timeline.issue(
        decision, author, CENTRAL_TEXT, [karaganda, almaty, astana], issued=ISSUED, deadline=-5
    )
    timeline.extension(
        executions[astana.pk],
        _secretary(astana),
        "Аудандық филиалдардағы есеп беру жиналыстары наурыздың соңына ауыстырылды.",
        asked=-9,
        new_deadline=10,
        old_deadline=-5,
        granted_by=author,
    )
    timeline.report(
        executions[karaganda.pk],
        people["karaganda.editor"],
        "Бағалау жүйесі 62 бастауыш ұйымда енгізілді, нәтижелер қоса беріледі.",
        on=-7,
        decided_by=author,
        decided=-6,
    )
    timeline.report(
        executions[almaty.pk],
        _secretary(almaty),
        "Бағалау аудандық филиалдардың деректерімен кешігіп аяқталды.",
        on=-2,
    )
    return 1


def load_temirtau_assignments(karaganda, district, people, timeline) -> int:
    """Two assignments of Karaganda's forum decision to Temirtau's primary organisations,
    answered so that the rating has a spread: P1 100, P6 100, P2 75, P3 50, P4 25, P5 0."""
    decision = (
        DocumentPage.objects.descendant_of(karaganda)
        .filter(title__endswith="бастауыш ұйымдар форумы", live=True)
        .first()
    )
    if decision is None or Assignment.objects.filter(record=decision, text=FORUM_TEXT).exists():
        return 0
    p1, p2, p3, p4, p5, p6 = PrimaryOrganisationPage.objects.child_of(district).order_by("path")[:6]
    author = people["karaganda.editor"]
    reporters = {page.pk: _secretary(page) for page in (p1, p2, p3, p4, p5)}
    reporters[p6.pk] = people["yntymaq.editor"]

    _forum, forum = timeline.issue(
        decision, author, FORUM_TEXT, [p1, p2, p3, p4, p5, p6], issued=ISSUED, deadline=-6
    )
    _minutes, minutes = timeline.issue(
        decision, author, MINUTES_TEXT, [p1, p2, p3, p4, p5, p6], issued=ISSUED, deadline=-3
    )
    # (day, execution, reported by its organisation's reporter, decided on, returned with)
    reports = [
        (-8, forum[p1.pk], -7, ""),
        (-6, forum[p2.pk], -5, ""),
        (-4, forum[p3.pk], -3, ""),
        (-2, forum[p4.pk], None, ""),
        (-5, minutes[p1.pk], -4, ""),
        (-1, minutes[p2.pk], None, ""),
        (-2, minutes[p3.pk], -1, ""),
        (-4, minutes[p4.pk], -3, "Хаттамада қатысушылардың тізімі жоқ, толықтырыңыз."),
        (-3, minutes[p6.pk], -2, ""),
    ]
    timeline.extension(  # the earliest step after the issues: the journals keep their order
        forum[p6.pk],
        reporters[p6.pk],
        "Ұйым төрағасы іссапарда, делегаттар тізімі ол оралған соң бекітіледі.",
        asked=-7,
        new_deadline=5,
        old_deadline=-6,
        granted_by=author,
    )
    for on, execution, decided, returned in sorted(reports, key=lambda row: row[0]):
        timeline.report(
            execution,
            reporters[execution.organisation_id],
            "Хаттама мен делегаттар тізімі қоса беріледі.",
            on=on,
            decided_by=author if decided else None,
            decided=decided,
            returned=returned,
        )
    return 2


def load_route(karaganda, people) -> int:
    """Karaganda's decisions: legal adviser and secretary in parallel, then the chair;
    one decision in the route, approved by the legal adviser, awaiting the secretary."""
    created = 0
    workflow = Workflow.objects.filter(name=ROUTE_NAME).first()
    if workflow is None:
        steps = [
            ("Заңгер мен хатшының келісуі", 3, ["karaganda.legal", "karaganda.secretary"]),
            ("Филиал төрағасының келісуі", 2, ["karaganda.chair"]),
        ]
        workflow = Workflow.objects.create(name=ROUTE_NAME, active=True)
        for order, (name, due_days, approvers) in enumerate(steps):
            task = ParallelApprovalTask.objects.create(name=name, due_days=due_days, active=True)
            task.approvers.set([people[username] for username in approvers])
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
        created += 3
    _route, new = ApprovalRoute.objects.get_or_create(
        organisation=karaganda, document_type="decision", defaults={"workflow": workflow}
    )
    created += new
    library, count = _library(karaganda, "Құжаттар", AccessLevel.ORGANISATION)
    created += count
    names = {"region": karaganda.title, "region_ru": karaganda.name_ru}
    made = _record(library, 30, ROUTE_DECISION, names, live=False)
    if made:
        title = ROUTE_DECISION[3].format(**names)
        record = DocumentPage.objects.child_of(library).get(title=title)
        record.owner = people["karaganda.editor"]
        record.save(update_fields=["owner"])
        record.get_workflow().start(record, people["karaganda.editor"])
        record.refresh_from_db()
        task_state = record.current_workflow_task_state
        task_state.task.specific.on_action(
            task_state, people["karaganda.legal"], "approve", comment="Заң талаптарына сай."
        )
        created += made
    return created


def load(pages, stdout) -> int:
    ensure_default_workflow()
    home, karaganda = pages["home"], pages["Karaganda Region"]
    district = DistrictBranchPage.objects.child_of(karaganda).get(name_en=TEMIRTAU[2])
    places = {
        "home": home,
        "karaganda": karaganda,
        "yntymaq": PrimaryOrganisationPage.objects.child_of(district).get(short_name="«Ынтымақ»"),
    }
    people = _people(places)
    people["karaganda.editor"] = get_user_model().objects.get(username="karaganda.editor")
    timeline = Timeline()
    regions = [
        RegionalBranchPage.objects.child_of(home).get(name_en=name)
        for name in ("Karaganda Region", "Almaty", "Astana")
    ]
    created = load_central_assignment(home, regions, people, timeline)
    created += load_temirtau_assignments(karaganda, district, people, timeline)
    created += load_route(karaganda, people)
    stdout.write(f"Demo circulation: {created} objects created.")
    period = Period.containing(timeline.day(ISSUED))
    with translation.override("kk"):
        rating = reverse("circulars:discipline", args=[district.pk])
    stdout.write(f"  the rating (as karaganda.reviewer): {rating}?{period.query()}")
    for demo in CIRCULATION_DEMO_USERS:
        stdout.write(f"  {demo.username:<19} {demo.password:<16} {demo.description}")
    return created
