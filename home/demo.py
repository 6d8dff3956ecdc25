"""Demo data for the organisation tree: regions, districts, primary organisations,
the seed announcement and the demo users.

Everything is found by its slug under its parent before it is created, so a
second run changes nothing. Other apps add their own demo data in a ``demo``
module of their own (see ``load_demo``).
"""

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils.text import slugify

from wagtail.models import Page

from . import roles
from .models import (
    AnnouncementIndexPage,
    AnnouncementPage,
    DistrictBranchPage,
    HomePage,
    PrimaryOrganisationPage,
    RegionalBranchPage,
)

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
SEED_DATE = datetime.date(2019, 4, 12)


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    description: str
    is_superuser: bool = False


DEMO_USERS = [
    DemoUser("admin", "sandyq-admin", "Әкімші", "Жүйе", "superuser", is_superuser=True),
    DemoUser(
        "karaganda.editor",
        "sandyq-editor",
        "Айгүл",
        "Сәрсенова",
        "editor of the Karaganda regional branch",
    ),
    DemoUser(
        "almaly.reviewer",
        "sandyq-reviewer",
        "Ерлан",
        "Қасымов",
        "reviewer of the Almaly district branch (Almaty)",
    ),
    DemoUser(
        "igilik.member",
        "sandyq-member",
        "Меруерт",
        "Әйтенова",
        "reader in the «Игілік» primary organisation (Almaty)",
    ),
]


def read_tsv(name: str) -> list[dict[str, str]]:
    """Rows of a tab-separated data file; lines starting with # are comments."""
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


class DemoLoader:
    def __init__(self, primary_count: int = 200, stdout=None):
        self.primary_count = primary_count
        self.stdout = stdout
        self.created = 0

    def ensure_child(self, parent: Page, model, title: str, **fields) -> Page:
        """The child of ``parent`` with this title's slug, created if missing."""
        slug = slugify(title, allow_unicode=True)[:255]
        existing = model.objects.child_of(parent).filter(slug=slug).first()
        if existing is not None:
            return existing
        page = model(title=title, slug=slug, **fields)
        parent.add_child(instance=page)
        self.created += 1
        return page

    def load(self) -> dict[str, Page]:
        home = HomePage.objects.get()  # made by the migrations
        regions = self.load_regions(home)
        self.load_primary_organisations(regions)
        self.load_seed_announcement(home)
        self.load_users()
        self.grant_demo_roles(regions)
        return {"home": home, **regions}

    def load_regions(self, home) -> dict[str, Page]:
        regions: dict[str, Page] = {}
        rows = read_tsv("regions.tsv")
        region_rows = [row for row in rows if row["kind"] in ("city", "region")]
        for number, row in enumerate(region_rows, start=2):
            regions[row["name_en"]] = self.ensure_child(
                home,
                RegionalBranchPage,
                row["name_kk"],
                name_ru=row["name_ru"],
                name_en=row["name_en"],
                org_code=f"{number:02d}",
                registration_pattern="{org_code}-{type_code}/{seq}",
                address=row["centre_kk"] or row["name_kk"],
            )
        district_numbers: dict[str, int] = {}
        for row in rows:
            if not row["kind"].startswith("district-of:"):
                continue
            city = regions[row["kind"].split(":", 1)[1]]
            number = district_numbers[city.title] = district_numbers.get(city.title, 0) + 1
            self.ensure_child(
                city,
                DistrictBranchPage,
                row["name_kk"],
                name_ru=row["name_ru"],
                name_en=row["name_en"],
                org_code=f"{city.org_code}-{number:02d}",
                registration_pattern="{org_code}-{type_code}/{seq}",
            )
        return regions

    def primary_parents(self, regions) -> list[Page]:
        """Where primary organisations go: the districts of the cities, then the regions.

        Almaty's districts come first, so the seed article's «Игілік» lands in Almaty.
        Only the places of ``regions.tsv`` count: a district added later (by hand, or by
        another app's demo) must not move where a second run looks for them.
        """
        rows = read_tsv("regions.tsv")
        district_names = {row["name_en"] for row in rows if row["kind"].startswith("district-of:")}
        cities = {
            row["kind"].split(":", 1)[1] for row in rows if row["kind"].startswith("district-of:")
        }
        almaty = regions["Almaty"]
        districts = sorted(
            (page for page in DistrictBranchPage.objects.live() if page.name_en in district_names),
            key=lambda page: (not page.path.startswith(almaty.path), page.path),
        )
        plain_regions = [
            region
            for name, region in sorted(regions.items(), key=lambda item: item[1].path)
            if name not in cities
        ]
        return districts + plain_regions

    def load_primary_organisations(self, regions) -> None:
        names = read_tsv("primary_names.tsv")
        places = read_tsv("workplaces.tsv")
        parents = self.primary_parents(regions)
        counters: dict[int, int] = {}
        for index in range(self.primary_count):
            parent = parents[index % len(parents)]
            name = names[index % len(names)]
            place = places[(index // len(names)) % len(places)]
            number = index // (len(names) * len(places)) * 10 + (index % 7) + 1
            counters[parent.pk] = counters.get(parent.pk, 0) + 1
            self.ensure_child(
                parent,
                PrimaryOrganisationPage,
                f"«{name['name_kk']}» БПҰ, {place['place_kk'].format(n=number)}",
                name_ru=f"ППО «{name['name_ru']}», {place['place_ru'].format(n=number)}",
                name_en=f"Primary organisation {name['name_ru']}",
                short_name=f"«{name['name_kk']}»",
                org_code=f"{parent.specific.org_code}-{counters[parent.pk]:03d}",
            )

    def load_seed_announcement(self, home) -> None:
        index = self.ensure_child(
            home,
            AnnouncementIndexPage,
            "Хабарландырулар",
            intro="<p>Орталық аппарат жаңалықтары</p>",
        )
        paragraphs_kk = (DATA_DIR / "seed-article-kk.txt").read_text(encoding="utf-8").split("\n")
        paragraphs_kk = [p.strip() for p in paragraphs_kk if p.strip()]
        original = self.ensure_child(
            index,
            AnnouncementPage,
            "«Сандық партия»: партия электронды құжат айналымына көшеді",
            date=SEED_DATE,
            language="kk",
            summary=paragraphs_kk[0],
            body=[("paragraph", f"<p>{p}</p>") for p in paragraphs_kk[1:]],
        )
        paragraphs_ru = (DATA_DIR / "seed-article-ru.txt").read_text(encoding="utf-8").split("\n")
        paragraphs_ru = [p.strip() for p in paragraphs_ru if p.strip()]
        self.ensure_child(
            index,
            AnnouncementPage,
            "«Цифровая партия»: партия переходит на электронный документооборот",
            date=SEED_DATE,
            language="ru",
            summary=paragraphs_ru[0],
            body=[("paragraph", f"<p>{p}</p>") for p in paragraphs_ru[1:]],
            translation_of=original,
        )

    def grant_demo_roles(self, regions) -> None:
        """Each demo user holds the role their description promises (idempotent)."""
        User = get_user_model()
        almaty = regions["Almaty"]
        almaly = DistrictBranchPage.objects.child_of(almaty).get(name_en="Almaly District")
        igilik = (
            PrimaryOrganisationPage.objects.descendant_of(almaty)
            .filter(short_name="«Игілік»")
            .order_by("path")
            .first()
        )
        for username, role, page in [
            ("karaganda.editor", roles.EDITOR, regions["Karaganda Region"]),
            ("almaly.reviewer", roles.REVIEWER, almaly),
            ("igilik.member", roles.READER, igilik),
        ]:
            if page is not None and roles.grant(role, User.objects.get(username=username), page):
                self.created += 1

    def load_users(self) -> None:
        User = get_user_model()
        for demo in DEMO_USERS:
            if User.objects.filter(username=demo.username).exists():
                continue
            user = User(
                username=demo.username,
                first_name=demo.first_name,
                last_name=demo.last_name,
                email=f"{demo.username}@example.kz",
                is_staff=demo.is_superuser,
                is_superuser=demo.is_superuser,
            )
            user.set_password(demo.password)
            user.save()
            self.created += 1
