import pytest

from tests.factories import LibraryFactory


@pytest.fixture
def library(tree):
    return LibraryFactory(parent=tree["primary"], title="Хаттамалар")


@pytest.fixture
def admin_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="admin.user", is_superuser=True, is_staff=True)
