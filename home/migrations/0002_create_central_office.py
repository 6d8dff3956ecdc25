"""Replace Wagtail's welcome page with the central office as the site's root."""

from django.db import migrations

from home.collation import kazakh_sort_key


def create_central_office(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("home.HomePage")

    page_type = ContentType.objects.get(model="page", app_label="wagtailcore")
    Page.objects.filter(content_type=page_type, slug="home", depth=2).delete()
    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="home")
    locale = Locale.objects.order_by("pk").first()
    home = HomePage.objects.create(
        title="Орталық аппарат",
        draft_title="Орталық аппарат",
        name_ru="Центральный аппарат",
        name_en="Central Office",
        slug="home",
        content_type=home_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        org_code="01",
        sort_key=kazakh_sort_key("Орталық аппарат"),
    )
    Site.objects.all().delete()
    Site.objects.create(
        hostname="localhost", root_page=home, is_default_site=True, site_name="Sandyq"
    )


def remove_central_office(apps, schema_editor):
    apps.get_model("home.HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_central_office, remove_central_office)]
