"""Demo documents: libraries of the central office, Karaganda and Almaty, their
circulars and journals; then the demo of assignments, extensions, the rating and
the approval route (``demo_circulation``). Files are made by ``demo_records``.
Run by ``load_demo`` through ``load(pages, stdout)``; idempotent like the rest.
"""

import datetime

from django.utils import timezone
from django.utils.text import slugify

from home import roles
from home.models import PrimaryOrganisationPage, RegionalBranchPage

from . import demo_circulation
from .circulation import journals
from .circulation.circulars import Distribution, acknowledge
from .demo_records import _demo_person, _library, _record
from .lifecycle.workflow import ensure_default_workflow
from .models import AccessLevel, DocumentPage, EntrySource, JournalEntry

# (type, language, access, title, summary, body paragraphs, file kind)
CENTRAL_DOCUMENTS = [
    (
        "circular",
        "kk",
        AccessLevel.PUBLIC,
        "Электрондық құжат айналымына көшу туралы циркуляр",
        "Барлық филиалдар мен бастауыш партия ұйымдары қағаз хаттардың орнына "
        "Сандық жүйесі арқылы құжат алмасады.",
        [
            "Партияның барлық құрылымдық бөлімшелері 2026 жылдың 1 қаңтарынан бастап "
            "циркулярлар мен шешімдерді тек электрондық түрде қабылдайды.",
            "Бастауыш партия ұйымдарының төрағалары құжаттармен танысқанын жүйеде белгілейді.",
        ],
        "pdf",
    ),
    (
        "decision",
        "kk",
        AccessLevel.PUBLIC,
        "Бастауыш партия ұйымдарын бағалау жүйесі туралы шешім",
        "Бастауыш партия ұйымдарының жұмысын бағалаудың жаңа жүйесі бекітілді.",
        [
            "Бағалау жүйесі белсенділердің қатысуын, іс-шаралар санын және құжат "
            "айналымының уақтылығын ескереді.",
        ],
        "docx",
    ),
    (
        "resolution",
        "ru",
        AccessLevel.MEMBERS,
        "Постановление о формировании кадрового резерва партии",
        "Утверждён порядок формирования кадрового резерва из числа активистов "
        "первичных партийных организаций.",
        [
            "Региональным филиалам поручено до конца квартала представить списки кандидатов.",
            "Документы кандидатов направляются только в электронном виде.",
        ],
        "pdf",
    ),
    (
        "minutes",
        "kk",
        AccessLevel.ORGANISATION,
        "Орталық аппарат бюросы отырысының хаттамасы №4",
        "Бюро отырысында құжат айналымын цифрландыру мәселесі қаралды.",
        ["Қатысқандар: бюро мүшелері. Күн тәртібі: «Сандық партия» жобасының барысы."],
        "scan",
    ),
    (
        "order",
        "ru",
        AccessLevel.RESTRICTED,
        "Приказ о доступе к архиву персональных дел",
        "Определён круг лиц, имеющих доступ к архиву персональных дел членов партии.",
        ["Доступ предоставляется только ответственным секретарям филиалов."],
        "pdf",
    ),
    (
        "report",
        "kk",
        AccessLevel.PUBLIC,
        "Партия мүшелерінің саны туралы жылдық есеп",
        "Өңірлер бойынша партия мүшелерінің саны мен жастар үлесі.",
        ["Есепте жиырма филиалдың деректері жинақталған."],
        "pdf",
    ),
]

REGIONAL_DOCUMENTS = [
    (
        "decision",
        "kk",
        AccessLevel.PUBLIC,
        "{region} филиалы бюросының шешімі: бастауыш ұйымдар форумы",
        "Бастауыш партия ұйымдарының аймақтық форумын өткізу туралы шешім.",
        ["Форумға өңірдегі барлық бастауыш партия ұйымдарының өкілдері шақырылады."],
        "pdf",
    ),
    (
        "minutes",
        "ru",
        AccessLevel.MEMBERS,
        "Протокол отчётно-выборной конференции: {region_ru}",
        "Конференция избрала делегатов и утвердила план работы на год.",
        ["Присутствовали 214 делегатов. Решения приняты единогласно."],
        "pdf",
    ),
    (
        "circular",
        "kk",
        AccessLevel.ORGANISATION,
        "{region} филиалының циркуляры: есеп беру мерзімдері",
        "Аудандық филиалдар тоқсандық есептерін белгіленген мерзімде жібереді.",
        ["Есептер Сандық жүйесіне PDF немесе DOCX түрінде жүктеледі."],
        "docx",
    ),
    (
        "report",
        "ru",
        AccessLevel.RESTRICTED,
        "Отчёт о проверке партийной дисциплины: {region_ru}",
        "Результаты проверки соблюдения устава в первичных организациях.",
        ["Выявленные нарушения переданы в контрольную комиссию филиала."],
        "pdf",
    ),
    (
        "announcement",
        "kk",
        AccessLevel.PUBLIC,
        "{region}: азаматтарды қабылдау кестесі",
        "Филиал төрағасының азаматтарды қабылдау күндері.",
        ["Қабылдау әр айдың бірінші сейсенбісінде өтеді."],
        "pdf",
    ),
]


MONTHS_KK = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым"]


def monthly_minutes(month: int):
    """The bureau meets monthly; its minutes make a realistic run of records."""
    return (
        "minutes",
        "kk",
        AccessLevel.ORGANISATION if month % 2 else AccessLevel.MEMBERS,
        f"{{region}} филиалы бюросының хаттамасы №{month} ({MONTHS_KK[month - 1]})",
        "Бюро отырысында бастауыш партия ұйымдарының есептері тыңдалды.",
        [
            f"Күн тәртібінде {month}-тоқсандық жоспар, партия мүшелерін қабылдау және "
            "құжаттарды электрондық мұрағатқа тапсыру мәселелері болды.",
        ],
        "pdf",
    )


def load(pages, stdout) -> int:
    created = 0
    home = pages["home"]
    library, count = _library(home, "Құжаттар", AccessLevel.PUBLIC)
    created += count
    names = {"region": "Орталық аппарат", "region_ru": "Центральный аппарат"}
    for number, spec in enumerate(CENTRAL_DOCUMENTS):
        created += _record(library, number, spec, names)
    draft = (
        "decision",
        "kk",
        AccessLevel.ORGANISATION,
        "Жаңа жарғы жобасы (талқылауда)",
        "Жарғыға өзгерістердің жобасы, әлі бекітілмеген.",
        ["Жоба бюро мүшелерінің талқылауына ұсынылады."],
        "pdf",
    )
    created += _record(library, len(CENTRAL_DOCUMENTS), draft, names, live=False)

    for key in ("Karaganda Region", "Almaty"):
        region = pages[key]
        library, count = _library(region, "Құжаттар", AccessLevel.ORGANISATION)
        created += count
        names = {"region": region.title, "region_ru": region.name_ru}
        specs = REGIONAL_DOCUMENTS + [monthly_minutes(month) for month in range(1, 7)]
        for number, spec in enumerate(specs):
            created += _record(library, number, spec, names)
    stdout.write(f"Demo documents: {created} objects created.")
    created += demo_circulation.load_places(pages)
    created += load_circulars(pages, stdout)
    return created + demo_circulation.load(pages, stdout)


# --- circulars ---------------------------------------------------------------------------

# Sign-ins for walking the circular's loop on the demo (development only).
CIRCULAR_DEMO_USERS = [
    # username, password, first name, last name, role, where
    ("karaganda.reviewer", "sandyq-reviewer", "Бауыржан", "Омаров", "reviewer", "region"),
    ("karaganda.member", "sandyq-member", "Гүлнар", "Жақыпова", "reader", "primary"),
]


def _circular(library, title, summary, *, level, deadline, document_date, live=True):
    """A circular addressed to one level below, published (delivered at once) or a draft."""
    slug = slugify(title, allow_unicode=True)[:80]
    existing = DocumentPage.objects.child_of(library).filter(slug=slug).first()
    if existing:
        return existing, 0
    record = DocumentPage(
        title=title,
        slug=slug,
        document_type="circular",
        language="kk",
        access_level=AccessLevel.ORGANISATION,
        summary=summary,
        body=f"<p>{summary}</p>",
        document_date=document_date,
        addressing="level",
        addressed_level=level,
        response_deadline=deadline,
        acknowledgement_required=True,
        live=False,
    )
    library.add_child(instance=record)
    revision = record.save_revision()
    if live:
        revision.publish()  # the delivery task runs at once under the development settings
    return record, 1


def _acknowledge_some(record, organisations, every: int) -> int:
    """A secretary of every ``every``-th organisation acknowledges the circular."""
    created = 0
    for index, organisation in enumerate(organisations):
        if index % every:
            continue
        code = organisation.specific.org_code or str(organisation.pk)
        secretary, new = _demo_person(f"hatshy.{code}", "Хатшы", organisation.title[:100])
        created += new
        roles.grant(roles.READER, secretary, organisation)
        distribution = Distribution.objects.filter(record=record, organisation=organisation).first()
        if distribution is not None:
            created += acknowledge(distribution, secretary, "Танысып шықтық.")[1]
    return created


# Letters registered by hand in Karaganda's journals, beside the circulars the
# delivery registered: (journal, days ago, title, sender, sender's number).
DEMO_REGISTRATIONS = [
    (
        "incoming",
        12,
        "Облыс әкімдігінің сайлау учаскелері туралы хаты",
        "Қарағанды облысының әкімдігі",
        "01-17/2231",
    ),
    (
        "incoming",
        6,
        "Жастар ресурстық орталығының бірлескен іс-шара туралы ұсынысы",
        "Жастар ресурстық орталығы",
        "ЖРО-88",
    ),
    ("internal", 4, "Филиал аппаратының айлық жұмыс жоспары", "", ""),
]


def load_journals(region) -> int:
    """Register the demo's letters by hand once; the circulars register themselves."""
    if JournalEntry.objects.filter(organisation=region, source=EntrySource.BY_HAND).exists():
        return 0
    today = timezone.localdate()
    for kind, ago, title, sender, number in DEMO_REGISTRATIONS:
        on = max(today - datetime.timedelta(days=ago), datetime.date(today.year, 1, 1))
        journals.register_by_hand(
            region,
            None,
            kind=kind,
            title=title,
            on=on,
            correspondent_name=sender,
            correspondent_number=number,
            correspondent_date=on - datetime.timedelta(days=2) if sender else None,
        )
    return len(DEMO_REGISTRATIONS)


def load_circulars(pages, stdout) -> int:
    """A central circular to every region, overdue for some, and a Karaganda circular to
    its primary organisations, pending; some acknowledged, so the dashboards show numbers.
    Also a Karaganda draft circular to walk the loop with (submit, approve, acknowledge)."""
    from django.utils import timezone

    ensure_default_workflow()
    today = timezone.localdate()
    created = 0
    home, karaganda = pages["home"], pages["Karaganda Region"]
    central_library, count = _library(home, "Құжаттар", AccessLevel.PUBLIC)
    created += count
    regional_library, count = _library(karaganda, "Құжаттар", AccessLevel.ORGANISATION)
    created += count

    central, count = _circular(
        central_library,
        "Бастауыш партия ұйымдарының есептерін тапсыру туралы циркуляр",
        "Облыстық филиалдар бастауыш ұйымдардың тоқсандық есептерін Сандық жүйесі арқылы "
        "жинап, орталық аппаратқа жібереді.",
        level="region",
        deadline=today - datetime.timedelta(days=5),
        document_date=today - datetime.timedelta(days=20),
    )
    created += count
    regions = list(RegionalBranchPage.objects.child_of(home).order_by("path"))
    created += _acknowledge_some(central, regions, 2)

    primaries = list(
        PrimaryOrganisationPage.objects.descendant_of(karaganda).live().order_by("path")
    )
    local, count = _circular(
        regional_library,
        "Партия мүшелерінің жиналыстарын өткізу кестесі туралы циркуляр",
        "Бастауыш партия ұйымдары жиналыс кестесін айдың соңына дейін бекітеді.",
        level="primary",
        deadline=today + datetime.timedelta(days=14),
        document_date=today - datetime.timedelta(days=3),
    )
    created += count
    created += _acknowledge_some(local, primaries, 3)

    _draft, count = _circular(
        regional_library,
        "Жастар қанатының жұмысы туралы циркуляр (жоба)",
        "Бастауыш партия ұйымдары жастар қанатының жетекшілерін тағайындайды.",
        level="primary",
        deadline=today + datetime.timedelta(days=30),
        document_date=today,
        live=False,
    )
    created += count

    roles_for = {"reviewer": roles.REVIEWER, "reader": roles.READER}
    where = {"region": karaganda, "primary": primaries[-1] if primaries else karaganda}
    for username, password, first, last, role, place in CIRCULAR_DEMO_USERS:
        user, new = _demo_person(username, first, last, password)
        created += new
        roles.grant(roles_for[role], user, where[place])
    created += load_journals(karaganda)
    stdout.write(f"Demo circulars: {created} objects created.")
    for username, password, _first, _last, role, place in CIRCULAR_DEMO_USERS:
        stdout.write(f"  {username:<18} {password:<16} {role} of {where[place].title}")
    return created
