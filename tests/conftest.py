import pytest

import shipped
from browser import browser  # noqa: F401  (the session's headless Chromium, for the explorer)


@pytest.fixture(scope="session")
def baseline():
    return shipped.run("baseline")
