"""The "process steps" part of a version (issue 19 §1): edited in its own editor tab,
shown in the document with its flowchart, copied to new versions, compared, in the API."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from slas import services
from slas.process.models import ProcessStep
from slas.tests.factories import activate

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(cast, draft):
    """v1 in force (with the SAL step of the factory), v2 a draft copied from it."""
    activate(draft)
    v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
    return draft, v2


def _formset_post(formset, prefix: str, revision: int) -> dict:
    data = {"edit_revision": revision}
    for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        data[f"{prefix}-{key}"] = formset.management_form.initial[key]
    for form in formset.forms:
        for name in form.fields:
            if name == "DELETE":
                continue
            value = form[name].value()
            data[f"{form.prefix}-{name}"] = getattr(value, "pk", value) if value is not None else ""
    return data


def test_a_new_version_copies_the_steps(versions):
    v1, v2 = versions
    copied = v2.process_steps.get()
    assert (copied.name, copied.stages, copied.sla_hours) == ("Sales-accepted lead", ["sal"], 40)
    assert copied.pk != v1.process_steps.get().pk


def test_carol_adds_a_step_with_an_sla_in_the_editor_tab(client, cast, versions):
    # given the process tab of the draft, with a new step in the extra row
    _v1, v2 = versions
    client.force_login(cast.carol)
    url = f"/agreements/versions/{v2.pk}/edit/process/"
    page = client.get(url)
    assert page.status_code == 200
    formset = page.context["formsets"][0][1]
    data = _formset_post(formset, "process_steps", v2.edit_revision)
    extra = formset.forms[-1].prefix
    data.pop(f"{extra}-stages", None)
    data.update(
        {
            f"{extra}-name": "Sales-qualified lead",
            f"{extra}-stages": ["sql"],
            f"{extra}-owner_team": cast.sales.pk,
            f"{extra}-exit_criteria": "An opportunity is opened.",
            f"{extra}-sla_hours": "16",
            f"{extra}-position": "3",
        }
    )
    # when
    response = client.post(url, data)
    # then
    assert response.status_code == 302, response.context and [
        f.errors for f in response.context["formsets"][0][1].forms
    ]
    step = v2.process_steps.get(name="Sales-qualified lead")
    assert (step.stages, step.sla_hours, step.owner_team) == (["sql"], Decimal(16), cast.sales)


def test_a_step_sla_on_a_final_stage_and_a_stage_covered_twice_are_refused(cast, versions):
    _v1, v2 = versions
    won = ProcessStep(
        version=v2, name="Won", stages=["won"], owner_team=cast.sales, sla_hours=Decimal(8)
    )
    with pytest.raises(ValidationError) as error:
        won.full_clean()
    assert "sla_hours" in error.value.message_dict
    twice = ProcessStep(version=v2, name="Accepted", stages=["sal"], owner_team=cast.sales)
    with pytest.raises(ValidationError) as error:
        twice.full_clean()
    assert "stages" in error.value.message_dict


def test_the_document_draws_the_steps_and_lists_them_in_a_table(client, cast, versions):
    v1, _v2 = versions
    client.force_login(cast.erin)
    html = client.get(f"/agreements/versions/{v1.pk}/").content.decode()
    assert 'data-testid="flowchart"' in html
    assert "<svg" in html and "1. Sales-accepted lead</text>" in html
    assert 'data-testid="flow-row"' in html and "40 business hours" in html


def test_the_flowchart_is_mirrored_in_arabic(client, cast, versions):
    v1, _v2 = versions
    client.force_login(cast.erin)
    client.cookies["django_language"] = "ar"
    html = client.get(f"/agreements/versions/{v1.pk}/").content.decode()
    assert 'direction="rtl"' in html


def test_compare_shows_an_added_step(client, cast, versions):
    # given a step added to the draft
    v1, v2 = versions
    services.version_edit(
        actor=cast.carol,
        version=v2,
        expected_revision=None,
        create=[
            (
                "process_steps",
                {
                    "name": "Opportunity",
                    "stages": ["opportunity"],
                    "owner_team": cast.sales,
                    "sla_hours": Decimal(80),
                },
            )
        ],
    )
    client.force_login(cast.carol)
    # when
    html = client.get(f"/agreements/{v1.agreement_id}/compare/?a={v1.pk}&b={v2.pk}").content
    # then
    assert "Opportunity" in html.decode()
    assert "Process steps" in html.decode()


def test_the_api_lists_a_versions_steps_with_their_stages(client, cast, versions):
    v1, _v2 = versions
    client.force_login(cast.erin)
    response = client.get(f"/api/v1/versions/{v1.pk}/process_steps/")
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert rows[0]["stages"] == ["sal"] and rows[0]["sla_hours"] == "40.00"


def test_the_signed_pdf_draws_the_sealed_steps_as_a_flowchart_with_the_recycle_loop(cast):
    # given the steps as the sealed copy holds them (attnames, the owner by id)
    import re

    from portal.pdf import Flowchart, _flowchart_svg, build_pdf
    from slas.process.present import sealed_chart

    rows = [
        {"name": "MQL", "stages": ["mql"], "owner_team_id": cast.sales.pk, "position": 0},
        {
            "name": "SAL",
            "stages": ["sal"],
            "owner_team_id": cast.sales.pk,
            "sla_hours": "40.00",
            "position": 1,
        },
        {
            "name": "Recycle",
            "stages": ["recycled"],
            "owner_team_id": cast.marketing.pk,
            "position": 2,
        },
    ]
    # when
    chart = sealed_chart(rows, {cast.sales.pk: "Sales", cast.marketing.pk: "Marketing"})
    block = Flowchart(
        width=chart.width,
        height=chart.height,
        boxes=[(b.x, b.y, b.width, b.height, b.step.name, b.step.detail) for b in chart.boxes],
        arrows=chart.arrows,
        loop=chart.loop_points,
        loop_label="recycle loop",
    )
    svg = _flowchart_svg(block)
    # then the boxes keep their order and say owner and SLA, and the loop runs back up
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "<polyline" in svg and texts[0] == "recycle loop"
    assert texts[-6:] == [
        "MQL",
        "MQL · Sales",
        "SAL",
        "SAL · Sales · SLA 40 h",
        "Recycle",
        "Recycled · Marketing",
    ]
    assert chart.loop_points[0][1] > chart.loop_points[-1][1]  # from Recycle up to MQL
    assert build_pdf(title="Map", subtitle="", blocks=[block]).startswith(b"%PDF")
