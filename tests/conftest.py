import os
import shutil

import pytest

from django.conf import settings
from django.utils import translation

from tests.factories import DistrictFactory, PrimaryFactory, RegionFactory, central_office


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language.

    Django leaves the language of the last request active in the thread, so a
    test after a request to /en/ would otherwise run in English.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def home(db):
    return central_office()


@pytest.fixture
def tree(home):
    """A small party: central office → region → district → primary organisation."""
    region = RegionFactory(parent=home, title="Қарағанды облысы", name_ru="Карагандинская область")
    district = DistrictFactory(parent=region, title="Әуезов ауданы", name_ru="Ауэзовский район")
    primary = PrimaryFactory(parent=district, title="«Игілік» БПҰ", name_ru="ППО «Игилик»")
    return {"home": home, "region": region, "district": district, "primary": primary}


def require_binary(name: str, package: str) -> str:
    """The path of a system program a test needs.

    Missing on a developer's machine: the test is skipped and says why. Missing
    in CI (which installs it): the test fails, so CI cannot pass without it.
    """
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (Debian package {package}; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
