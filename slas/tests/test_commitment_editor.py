"""The commitments editor (KPIs and commitments): one card per commitment, reordered by
move buttons (a form submit without JavaScript), targets in their unit, positions never
typed by hand. Saves go through the one editor save (`services.version_edit`)."""

import re
from decimal import Decimal

import pytest

from slas import services
from slas.models import Commitment
from slas.tests.factories import activate

pytestmark = pytest.mark.django_db


@pytest.fixture
def v2(cast, draft):
    """v1 in force; v2 a draft with two commitments (MQL volume, then first contact)."""
    activate(draft)
    return services.version_amend(actor=cast.alice, agreement=draft.agreement)


def _url(version):
    return f"/agreements/versions/{version.pk}/edit/kpis/"


def _post_data(page_response, revision):
    formset = page_response.context["formsets"][0][1]
    data = {"edit_revision": revision}
    for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        data[f"commitments-{key}"] = formset.management_form[key].value()
    for form in formset.forms:
        for name in form.fields:
            if name == "DELETE":
                continue
            value = form[name].value()
            data[f"{form.prefix}-{name}"] = getattr(value, "pk", value) if value is not None else ""
    return formset, data


def _card_kinds(html: str) -> list[str]:
    return re.findall(r'data-commitment-kind="([a-z_]+)"', html)


class TestCards:
    def test_each_commitment_is_a_card_with_move_buttons_and_no_position_box(
        self, client, cast, v2
    ):
        client.force_login(cast.alice)
        html = client.get(_url(v2)).content.decode()
        assert _card_kinds(html) == ["mql_volume", "first_contact_within"]
        assert (
            "formset-table"
            not in html.split('data-formset="commitments"')[1].split("</fieldset>")[0]
        )
        # the position is kept in a hidden input, never typed
        assert re.search(r'<input type="hidden" name="commitments-0-position"', html)
        assert not re.search(r'<input type="(number|text)" name="commitments-\d-position"', html)
        # real buttons, labelled for screen readers with what they move
        down = re.findall(r'<button[^>]*name="move"[^>]*value="commitments-0:down"[^>]*>', html)
        assert len(down) == 1 and 'aria-label="Move down: MQL volume' in down[0]
        assert 'value="commitments-1:up"' in html

    def test_targets_are_shown_in_their_unit_never_with_two_decimals(self, client, cast, v2):
        client.force_login(cast.alice)
        html = client.get(_url(v2)).content.decode()
        assert 'name="commitments-0-target" value="100"' in html
        assert "100.00" not in html and "90.00" not in html
        assert 'name="commitments-1-target" value="90"' in html
        assert 'name="commitments-1-hours" value="24"' in html
        units = re.findall(r'<span class="unit"[^>]*>([^<]*)</span>', html)
        assert "MQLs" in units and "%" in units and "h" in units

    def test_a_count_target_must_be_whole(self, client, cast, v2):
        client.force_login(cast.alice)
        _formset, data = _post_data(client.get(_url(v2)), v2.edit_revision)
        data["commitments-0-target"] = "130.5"
        response = client.post(_url(v2), data)
        assert response.status_code == 200
        assert "A count of MQLs is a whole number." in response.content.decode()
        assert v2.commitments.get(kind="mql_volume").target == Decimal(100)

    def test_a_whole_count_is_saved_as_typed(self, client, cast, v2):
        client.force_login(cast.alice)
        _formset, data = _post_data(client.get(_url(v2)), v2.edit_revision)
        data["commitments-0-target"] = "130"
        client.post(_url(v2), data)
        assert v2.commitments.get(kind="mql_volume").target == Decimal(130)
        html = client.get(_url(v2)).content.decode()
        assert 'name="commitments-0-target" value="130"' in html


class TestMoving:
    def test_moving_down_without_javascript_reorders_the_cards_but_saves_nothing(
        self, client, cast, v2
    ):
        # given the editor as loaded
        client.force_login(cast.alice)
        _formset, data = _post_data(client.get(_url(v2)), v2.edit_revision)
        revision = v2.edit_revision
        # when Alice presses "move down" on the first card
        response = client.post(_url(v2), {**data, "move": "commitments-0:down"})
        # then the page comes back with the cards swapped, and the draft is unchanged
        assert response.status_code == 200
        html = response.content.decode()
        assert _card_kinds(html) == ["first_contact_within", "mql_volume"]
        assert "Save to keep the new order." in html
        # the focus comes back to the button pressed, now on the second card
        pressed = re.search(r'<button[^>]*value="commitments-0:down"[^>]*>', html).group(0)
        assert "autofocus" in pressed
        assert html.index('id="card-commitments-1"') < html.index('id="card-commitments-0"')
        v2.refresh_from_db()
        assert v2.edit_revision == revision
        assert [c.kind for c in v2.commitments.all()] == ["mql_volume", "first_contact_within"]

    def test_saving_after_a_move_keeps_the_order_and_the_reason(self, client, cast, v2):
        # given Alice moved the first card down (no JavaScript)
        client.force_login(cast.alice)
        _formset, data = _post_data(client.get(_url(v2)), v2.edit_revision)
        moved = client.post(_url(v2), {**data, "move": "commitments-0:down"})
        _formset, data = _post_data(moved, v2.edit_revision)
        # when she saves with a reason
        data["edit_reason"] = "Speed first."
        response = client.post(_url(v2), data, follow=True)
        # then the order persists, and the history says who and why
        assert "KPIs and commitments saved." in response.content.decode()
        assert [c.kind for c in v2.commitments.all()] == ["first_contact_within", "mql_volume"]
        assert _card_kinds(client.get(_url(v2)).content.decode()) == [
            "first_contact_within",
            "mql_volume",
        ]
        row = Commitment.history.filter(version_id=v2.pk, kind="mql_volume").latest("history_date")
        assert row.history_user == cast.alice
        assert row.history_change_reason == "web form: kpis\nSpeed first."

    def test_the_first_card_cannot_move_up(self, client, cast, v2):
        client.force_login(cast.alice)
        _formset, data = _post_data(client.get(_url(v2)), v2.edit_revision)
        response = client.post(_url(v2), {**data, "move": "commitments-0:up"})
        assert _card_kinds(response.content.decode()) == ["mql_volume", "first_contact_within"]

    def test_a_new_commitment_goes_after_the_last_one(self, client, cast, v2):
        client.force_login(cast.alice)
        formset, data = _post_data(client.get(_url(v2)), v2.edit_revision)
        extra = formset.forms[-1].prefix
        data.update(
            {
                f"{extra}-owner_team": cast.sales.pk,
                f"{extra}-kind": "acceptance_rate",
                f"{extra}-target": "75",
                f"{extra}-period": "month",
            }
        )
        client.post(_url(v2), data)
        assert [c.kind for c in v2.commitments.all()][-1] == "acceptance_rate"
