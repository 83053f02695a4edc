import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from slas.markdown_render import render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![img](javascript:alert(1))",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<svg/onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div onclick="alert(1)" onmouseover="alert(2)">hover</div>',
    '<body onload="alert(1)">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<math><a xlink:href="javascript:alert(1)">m</a></math>',
    "<style>body{background:red}</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<!--<script>alert(1)</script>-->",
    "```\n<script>alert(1)</script>\n```",
    '<a href="https://ok.example" onmouseover="alert(1)">ok</a>',
    '<details open ontoggle="alert(1)">x</details>',
]

FORBIDDEN = re.compile(
    r"<script|onerror|onload|onclick|onmouseover|ontoggle|javascript:|<iframe|<svg|style=|data:",
    re.I,
)


# Payloads that legitimately come out as visible, escaped text (a code span and
# an unterminated tag); the words survive as text but no markup does.
ESCAPED_TEXT_PAYLOADS = [
    "<img src=x onerror=alert(1)//",
    "`<img src=x onerror=alert(1)>`",
    "`<script>alert(1)</script>`",
]

ALLOWED = {
    "p", "br", "strong", "em", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
}  # fmt: skip


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_only_allowed_markup(html):
    parser = _Collector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED, html
        if tag == "a":
            assert set(attrs) <= {"href", "title", "rel"}, html
            assert attrs.get("rel") == "noopener noreferrer", html
            if "href" in attrs:
                assert urlsplit(attrs["href"]).scheme in {"http", "https", "mailto"}, html
        else:
            assert attrs == {}, html


@pytest.mark.parametrize("payload", XSS_PAYLOADS + ESCAPED_TEXT_PAYLOADS)
def test_every_payload_renders_only_allow_listed_tags_attributes_and_schemes(payload):
    assert_only_allowed_markup(render_markdown(payload))


@pytest.mark.parametrize("payload", ESCAPED_TEXT_PAYLOADS)
def test_markup_shown_as_text_is_escaped(payload):
    html = render_markdown(payload)
    assert "<img" not in html and "<script" not in html
    assert "&lt;" in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_xss_payload_survives_rendering(payload):
    html = render_markdown(payload)
    assert not FORBIDDEN.search(html), html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_xss_payload_survives_inside_surrounding_markdown(payload):
    html = render_markdown(f"# Title\n\nSome *text* before.\n\n{payload}\n\n- item after")
    assert not FORBIDDEN.search(html), html
    assert "<h1>Title</h1>" in html


def test_headings_emphasis_and_paragraphs_render():
    html = render_markdown("## Scope\n\nLeads are **qualified** within *two* days.")
    assert "<h2>Scope</h2>" in html
    assert "<strong>qualified</strong>" in html
    assert "<em>two</em>" in html
    assert html.count("<p>") == 1


def test_lists_render():
    html = render_markdown("1. first\n2. second\n\n- bullet")
    assert "<ol>" in html and "<li>first</li>" in html
    assert "<ul>" in html and "<li>bullet</li>" in html


def test_tables_render_without_inline_styles():
    html = render_markdown("| Stage | Hours |\n|:--|--:|\n| MQL | 24 |")
    assert "<table>" in html
    assert "<th>Stage</th>" in html
    assert "<td>24</td>" in html
    assert "style" not in html


def test_fenced_code_renders_escaped():
    html = render_markdown("```\nif a < b:\n    pass\n```")
    assert "<pre><code>" in html
    assert "a &lt; b" in html


def test_blockquote_and_rule_render():
    html = render_markdown("> quoted\n\n---")
    assert "<blockquote>" in html
    assert "<hr>" in html


def test_safe_links_keep_href_and_title_and_get_rel_noopener():
    html = render_markdown('[site](https://example.com "Example")')
    assert 'href="https://example.com"' in html
    assert 'title="Example"' in html
    assert 'rel="noopener noreferrer"' in html


def test_mailto_links_are_allowed():
    html = render_markdown("[mail](mailto:sales@example.com)")
    assert 'href="mailto:sales@example.com"' in html


def test_disallowed_scheme_links_lose_href_but_keep_text():
    html = render_markdown("[call](ftp://example.com/file)")
    assert "ftp:" not in html
    assert "call" in html


def test_images_are_removed():
    assert "<img" not in render_markdown("![alt](https://example.com/x.png)")


def test_user_supplied_rel_and_target_are_not_kept():
    html = render_markdown('<a href="https://x.example" rel="opener" target="_blank">x</a>')
    assert 'rel="noopener noreferrer"' in html
    assert 'opener"' not in html.replace('rel="noopener noreferrer"', "")
    assert "target" not in html


def test_empty_text_renders_empty():
    assert render_markdown("") == ""


def test_output_is_marked_safe():
    assert hasattr(render_markdown("hi"), "__html__")


def test_unicode_text_is_preserved():
    html = render_markdown("Întârziere — مدة الاستجابة — 四時間")
    assert "Întârziere" in html and "مدة الاستجابة" in html and "四時間" in html
