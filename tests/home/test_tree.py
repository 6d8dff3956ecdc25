"""The party's tree rules: the admin offers only what fits where."""

from wagtail.test.utils import WagtailPageTestCase

from docs_library.models import DocumentLibraryPage
from home.models import (
    AnnouncementIndexPage,
    AnnouncementPage,
    DistrictBranchPage,
    HomePage,
    PrimaryOrganisationPage,
    RegionalBranchPage,
)

ORGANISATIONS = {HomePage, RegionalBranchPage, DistrictBranchPage, PrimaryOrganisationPage}


class TreeRulesTests(WagtailPageTestCase):
    def test_regions_only_under_the_central_office(self):
        self.assertAllowedParentPageTypes(RegionalBranchPage, {HomePage})

    def test_districts_only_under_regions(self):
        self.assertAllowedParentPageTypes(DistrictBranchPage, {RegionalBranchPage})

    def test_primary_organisations_under_districts_or_regions(self):
        self.assertAllowedParentPageTypes(
            PrimaryOrganisationPage, {DistrictBranchPage, RegionalBranchPage}
        )

    def test_central_office_children(self):
        self.assertAllowedSubpageTypes(
            HomePage,
            {RegionalBranchPage, DocumentLibraryPage, AnnouncementIndexPage, AnnouncementPage},
        )

    def test_a_region_cannot_hold_a_region_and_a_primary_cannot_hold_a_district(self):
        self.assertCanNotCreateAt(RegionalBranchPage, RegionalBranchPage)
        self.assertCanNotCreateAt(PrimaryOrganisationPage, DistrictBranchPage)
        self.assertCanNotCreateAt(PrimaryOrganisationPage, PrimaryOrganisationPage)

    def test_every_organisation_may_hold_libraries_and_announcements(self):
        for organisation in ORGANISATIONS:
            with self.subTest(organisation=organisation.__name__):
                self.assertCanCreateAt(organisation, DocumentLibraryPage)
                self.assertCanCreateAt(organisation, AnnouncementIndexPage)
                self.assertCanCreateAt(organisation, AnnouncementPage)

    def test_announcements_live_in_announcement_lists_or_organisations(self):
        self.assertAllowedParentPageTypes(AnnouncementPage, {AnnouncementIndexPage, *ORGANISATIONS})
        self.assertAllowedSubpageTypes(AnnouncementPage, set())

    def test_only_one_central_office(self):
        self.assertEqual(HomePage.max_count, 1)
