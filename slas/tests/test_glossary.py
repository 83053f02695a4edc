"""Which term of a version defines a stage, and where a stage badge's link lands
(slas/glossary.py; issue 16, section 7)."""

import pytest
from django.urls import reverse

from slas.glossary import glossaries_load, term_anchor, term_stage


@pytest.mark.parametrize(
    ("term", "stage"),
    [
        ("MQL", "mql"),
        ("mql", "mql"),
        ("  Sql ", "sql"),
        ("Opportunity", "opportunity"),
        ("Recycled lead", "recycled"),
        ("Marketing-qualified lead (MQL)", "mql"),
        ("Sales accepted lead (SAL)", "sal"),
        ("Lead", "lead"),
        ("Contact", None),
        ("Customer", None),
        ("MQL threshold", None),
    ],
)
def test_a_term_defines_the_stage_named_by_its_key_or_label_whatever_the_capitals(term, stage):
    assert term_stage(term) == stage


@pytest.mark.django_db
def test_the_first_term_of_a_version_that_names_a_stage_defines_it(cast, agreement):
    # given a draft whose default terms define MQL, and a later "mql" term
    draft = agreement.versions.get(number=1)
    first = draft.terms.get(term="MQL")
    draft.terms.create(term="Marketing-qualified lead (MQL)", definition="Later", position=99)
    # when its glossary is loaded
    glossary = glossaries_load([draft.pk])[draft.pk]
    # then the first in the document's order defines the stage
    assert glossary.of("mql").text == first.definition
    assert glossary.of("mql").url.endswith(f"#{term_anchor(first.pk)}")
    assert glossary.of("won") is None


@pytest.mark.django_db
def test_the_version_page_gives_each_term_the_anchor_stage_badges_link_to(client, cast, agreement):
    # given a draft with the default terms
    draft = agreement.versions.get(number=1)
    mql = draft.terms.get(term="MQL")
    customer = draft.terms.get(term="Customer")
    client.force_login(cast.alice)
    # when its page is opened
    page = client.get(reverse("slas:version_detail", args=[draft.pk])).content.decode()
    # then each term has its anchor, and the ones shown with a stage say which
    assert f'id="{term_anchor(mql.pk)}"' in page
    assert f'id="{term_anchor(customer.pk)}"' in page
    assert "(shown with the MQL stage)" in page
    assert page.count('data-testid="term-stage"') == 6  # Lead, MQL, SAL, SQL, Opportunity, Recycled
