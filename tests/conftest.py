import pytest

import sdecon


@pytest.fixture(scope="session")
def baseline():
    return sdecon.run("baseline")
