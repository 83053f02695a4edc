"""{% stage_badge %} renders each distinct badge once per page (slas/templatetags/glossary.py):
a badge repeated on the page reads the same, and one of another glossary, test id, label
or language is its own."""

from django.template import Context, Template

from slas.glossary import Definition, Glossary


def glossary(version_id: int, text: str) -> Glossary:
    definition = Definition("mql", "MQL", text, version_id, version_id, f"term-{version_id}")
    return Glossary(version_id, version_id, {"mql": definition})


def render(source: str, **context) -> str:
    return Template("{% load glossary i18n %}" + source).render(Context(context))


def test_a_repeated_badge_reads_as_each_badge_alone():
    # given two glossaries that define MQL differently
    g1, g2 = glossary(1, "Scored 50 or more"), glossary(2, "Asked for a demo")
    alone = [
        render("{% stage_badge 'mql' g %}", g=g1),
        render("{% stage_badge 'mql' g %}", g=g2),
        render("{% stage_badge 'mql' g 'stage' %}", g=g1),
        render("{% stage_badge 'mql' g '' 'MQLs' %}", g=g1),
        render("{% stage_badge 'mql' %}"),
        render("{% language 'ro' %}{% stage_badge 'mql' g %}{% endlanguage %}", g=g1),
    ]
    # when one page shows them all, each twice
    page = render(
        "{% for _ in '12' %}{% stage_badge 'mql' g1 %}|{% stage_badge 'mql' g2 %}|"
        "{% stage_badge 'mql' g1 'stage' %}|{% stage_badge 'mql' g1 '' 'MQLs' %}|"
        "{% stage_badge 'mql' %}|{% language 'ro' %}{% stage_badge 'mql' g1 %}{% endlanguage %}"
        "#{% endfor %}",
        g1=g1,
        g2=g2,
    )
    # then each reads as it does alone, every time
    assert page == ("|".join(alone) + "#") * 2
    assert "Scored 50 or more" in alone[0] and "Asked for a demo" in alone[1]
    assert "Versiunea 1:" in alone[5] and "Versiunea" not in alone[0]
