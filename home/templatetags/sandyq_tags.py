from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation

from wagtail.models import Site

from home.models import RegionalBranchPage

register = template.Library()


@register.inclusion_tag("includes/language_switcher.html", takes_context=True)
def language_switcher(context):
    """Links to the same page in every interface language."""
    request = context.get("request")
    path = request.get_full_path() if request else "/"
    current = translation.get_language()
    languages = []
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        languages.append(
            {
                "code": code,
                "name_local": info["name_local"],
                "url": translate_url(path, code),
                "current": code == current,
            }
        )
    return {"languages": languages}


@register.inclusion_tag("includes/regions_menu.html", takes_context=True)
def regions_menu(context):
    regions = RegionalBranchPage.objects.live().order_by("sort_key")
    return {"regions": regions, "request": context.get("request")}


@register.simple_tag(takes_context=True)
def home_url(context):
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    root = site.root_page if site else None
    return root.get_url(request) if root else "/"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
