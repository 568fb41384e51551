from orgs.tests.conftest import agency_plan, members  # noqa: F401  (shared org fixtures)
