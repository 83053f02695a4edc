import pytest

from slas.tests.factories import agreement_with_draft, fill_draft


@pytest.fixture
def agreement(cast):
    return agreement_with_draft(cast)


@pytest.fixture
def draft(cast, agreement):
    return fill_draft(agreement.versions.get(number=1), cast)
