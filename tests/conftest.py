import pytest

import shipped


@pytest.fixture(scope="session")
def baseline():
    return shipped.run("baseline")
