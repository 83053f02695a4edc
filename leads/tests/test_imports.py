"""CSV imports: web upload with progress and report, the command, bad input, idempotency."""

import csv
import gc
import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from leads.derive import IngestContext
from leads.ingest import importers
from leads.ingest.importers import GC_YOUNG_THRESHOLD, IssueReport, events_import
from leads.ingest.models import ImportJob
from leads.models import Lead, LeadEvent

HEADER = "source,event_id,lead_external_id,kind,occurred_at,actor_email,to_stage,channel,outcome,reason_code,note,email,first_name,last_name,company,job_title,industry,company_size,lead_source\n"
GOOD = (
    "crm,e1,L1,created,2026-03-02T09:00:00Z,,,,,,,ana@example.org,Ana,Pop,Acme,VP Sales,Software,250,Web\n"
    "crm,e2,L1,stage_changed,2026-03-02T10:00:00Z,,mql,,,,,,,,,,,,\n"
    "crm,e3,L1,contact_attempt,2026-03-02 12:30,dan@example.com,,phone,no answer,,,,,,,,,,\n"
)
BAD = (
    "crm,e4,L2,teleport,2026-03-02T09:00:00Z,,,,,,,,,,,,,,\n"  # unknown kind
    "crm,e5,L2,stage_changed,2026-03-02T09:00:00Z,,heaven,,,,,,,,,,,,\n"  # unknown stage
    "crm,e6,L2,created,last tuesday,,,,,,,,,,,,,,\n"  # bad timestamp
    "crm,e7,L2,note,2026-03-02T09:00:00Z,ghost@example.com,,,,,hi,,,,,,,,\n"  # unknown actor
    'crm,e8,L2,note,2026-03-02T09:00:00Z,,,,,,"=HYPERLINK(""http://evil"",""x"")",,,,,,,,\n'  # formula
    f"crm,e9,L2,note,2026-03-02T09:00:00Z,,,,,,,,,,{'x' * 100_000},,,,\n"  # 100 KB field
)


def context(cast):
    return IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
    )


def run(cast, text: bytes | str, fmt="events", tz="UTC"):
    data = text.encode() if isinstance(text, str) else text
    out = io.StringIO()
    report = IssueReport(out)
    summary = events_import(
        stream=io.BytesIO(data), format=fmt, tz=tz, context=context(cast), on_issue=report
    )
    return summary, list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.mark.django_db
def test_good_rows_are_stored_and_every_bad_row_is_reported_with_row_column_message(cast, sla):
    summary, issues = run(cast, HEADER + GOOD + BAD)
    # then the three good rows and the formula row (neutralised) are stored
    assert summary.created == 4
    assert LeadEvent.objects.get(source_event_id="e8").note.startswith("'=HYPERLINK")
    # and each bad row is reported by row and column
    by_row = {(int(i["row"]), i["column"]) for i in issues if i["severity"] == "error"}
    assert by_row == {
        (5, "kind"),
        (6, "to_stage"),
        (7, "occurred_at"),
        (8, "actor_email"),
        (10, "company"),
    }
    assert summary.failed == 5
    warnings = [i for i in issues if i["severity"] == "warning"]
    assert warnings and warnings[0]["row"] == "9" and "formula" in warnings[0]["message"]
    # and the lead is derived from its events
    lead = Lead.objects.get(external_id="L1")
    assert (lead.stage, lead.first_name, lead.job_title) == ("mql", "Ana", "VP Sales")


@pytest.mark.django_db
def test_re_importing_the_same_file_adds_nothing(cast, sla):
    run(cast, HEADER + GOOD)
    summary, _ = run(cast, HEADER + GOOD)
    assert (summary.created, summary.duplicates) == (0, 3)
    assert LeadEvent.objects.filter(source="crm").count() == 3


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"source,event_id\n", "missing required columns"),
        (HEADER.encode("utf-16") + GOOD.encode("utf-16"), "UTF-16"),
        (
            (HEADER + "crm,e1,L1,note,2026-03-02T09:00:00Z,,,,,,Café,,,,,,,,\n").encode("latin-1"),
            "not UTF-8",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "PNG"),
        (b"%PDF-1.7 whatever", "PDF"),
    ],
)
@pytest.mark.django_db
def test_a_whole_file_problem_gives_a_clear_message_and_stores_nothing(cast, sla, content, words):
    summary, issues = run(cast, content)
    assert words in summary.error
    assert issues[0]["message"] == summary.error
    assert not LeadEvent.objects.exists()


@pytest.mark.django_db
def test_a_hubspot_export_becomes_stage_changes_with_owner_and_re_imports_add_only_what_is_new(
    cast, sla
):
    header = "Record ID,First Name,Last Name,Email,Company Name,Job Title,Industry,Lifecycle Stage,Lead Status,Contact owner,Create Date,Original Source,Became a Lead Date,Became a Marketing Qualified Lead Date,Became a Sales Qualified Lead Date,Became an Opportunity Date,Became a Customer Date\n"
    row1 = "101,Ana,Pop,ana@x.org,Acme,CTO,Software,marketingqualifiedlead,,dan@example.com,2026-03-01 09:00,Web,2026-03-01 09:00,2026-03-02 10:00,,,\n"
    summary, _ = run(cast, header + row1, fmt="hubspot", tz="Europe/Bucharest")
    assert summary.created == 3
    lead = Lead.objects.get(source="hubspot", external_id="101")
    assert lead.stage == "mql" and lead.owner_id == cast.dan.pk
    # a contact created a lead (Create Date = Became a Lead Date) broke no rule
    assert not lead.flagged, lead.flag_note
    later = row1.replace("2026-03-02 10:00,,", "2026-03-02 10:00,2026-03-05 11:00,")
    summary, _ = run(cast, header + later, fmt="hubspot", tz="Europe/Bucharest")
    assert (summary.created, summary.duplicates) == (1, 3)
    lead.refresh_from_db()
    # mql -> sql (HubSpot has no SAL) is kept, unflagged, and counts as the acceptance
    assert lead.stage == "sql" and not lead.flagged, lead.flag_note
    assert lead.cycles.get().accepted_at is not None


@pytest.mark.django_db
def test_a_web_upload_is_processed_in_the_background_with_progress_and_a_report(
    client, cast, sla, django_capture_on_commit_callbacks
):
    client.force_login(cast.alice)
    upload = SimpleUploadedFile("events.csv", (HEADER + GOOD + BAD).encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("leads:imports"),
            {
                "file": upload,
                "format": "events",
                "tz": "UTC",
                "marketing_team": cast.marketing.pk,
                "sales_team": cast.sales.pk,
            },
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    status = client.get(reverse("leads:import_status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100
    assert (status["created"], status["failed"]) == (4, 5)
    report = client.get(reverse("leads:import_issues", args=[job.pk]))
    body = b"".join(report.streaming_content).decode()
    assert body.startswith("row,column,severity,message") and "teleport" in body
    # and the finished job's page lists the problems themselves, by row and column
    page = client.get(job.get_absolute_url())
    issues = page.context["issues"]
    assert [(i["row"], i["column"], i["severity"]) for i in issues][:2] == [
        (5, "kind", "error"),
        (6, "to_stage", "error"),
    ]
    html = page.content.decode()
    assert 'data-testid="import-issues"' in html and "Refused" in html
    assert "Kept, with a warning" in html  # the =HYPERLINK note was kept, neutralised
    assert not page.context["more_issues"]
    # while a job runs, the page polls with leads.js and offers a plain Refresh link
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Refresh" in page and "js/leads.js" in page and "<meta http-equiv" not in page


@pytest.mark.django_db
def test_an_upload_that_is_not_csv_fails_with_a_message_not_a_500(
    client, cast, sla, django_capture_on_commit_callbacks
):
    client.force_login(cast.alice)
    upload = SimpleUploadedFile("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("leads:imports"),
            {
                "file": upload,
                "format": "events",
                "tz": "UTC",
                "marketing_team": cast.marketing.pk,
                "sales_team": cast.sales.pk,
            },
        )
    job = ImportJob.objects.get()
    assert job.status == "failed" and "PNG" in job.error
    assert "PNG" in client.get(job.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_the_upload_form_keeps_input_and_explains_errors(client, cast, sla):
    client.force_login(cast.dan)  # a rep: not allowed to import
    upload = SimpleUploadedFile("events.csv", (HEADER + GOOD).encode(), "text/csv")
    response = client.post(
        reverse("leads:imports"),
        {
            "file": upload,
            "format": "events",
            "tz": "Mars/Olympus",
            "marketing_team": cast.marketing.pk,
            "sales_team": cast.sales.pk,
        },
    )
    assert response.status_code == 400
    assert "not a time zone name" in response.content.decode()
    upload.seek(0)
    response = client.post(
        reverse("leads:imports"),
        {
            "file": upload,
            "format": "events",
            "tz": "UTC",
            "marketing_team": cast.marketing.pk,
            "sales_team": cast.sales.pk,
        },
    )
    assert response.status_code == 400 and "Only a manager" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_the_import_command_reads_a_file_and_reports_counts(cast, sla, tmp_path, capsys):
    path = tmp_path / "events.csv"
    path.write_text(HEADER + GOOD + BAD)
    report = tmp_path / "issues.csv"
    call_command(
        "import_leads", str(path), "--format", "events", "--tz", "UTC", "--report", str(report)
    )
    out = capsys.readouterr()
    assert "4 events stored" in out.out and "5 rows refused" in out.out
    assert "row 5 [kind] error" in out.err
    assert "teleport" in report.read_text()
    call_command("import_leads", str(path))
    assert "0 events stored, 4 duplicates" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_the_same_time_store_each_event_once(cast, sla):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises whole files)")
    rows = "".join(
        f"crm,c{i},L{i % 40},contact_attempt,2026-03-02T09:{i % 60:02d}:00Z,,,phone,,,,,,,,,,,\n"
        for i in range(2000)
    )
    data = (HEADER + rows).encode()
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            summary = events_import(
                stream=io.BytesIO(data),
                format="events",
                tz="UTC",
                context=context(cast),
                chunk_events=300,
            )
            results.append(summary)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(r.created for r in results) == 2000
    assert sum(r.duplicates for r in results) == 2000
    assert LeadEvent.objects.filter(source="crm").count() == 2000
    assert Lead.objects.filter(source="crm").count() == 40


def _upload(client, cast, content: bytes):
    return client.post(
        reverse("leads:imports"),
        {
            "file": SimpleUploadedFile("events.csv", content, "text/csv"),
            "format": "events",
            "tz": "UTC",
            "marketing_team": cast.marketing.pk,
            "sales_team": cast.sales.pk,
        },
    )


@pytest.mark.django_db
def test_an_empty_csv_upload_gets_a_clear_message_and_no_500(
    client, cast, sla, django_capture_on_commit_callbacks
):
    client.force_login(cast.alice)
    # when alice uploads a file of zero bytes, then the form says it is empty
    response = _upload(client, cast, b"")
    assert response.status_code == 400
    assert "empty" in response.content.decode()
    assert not ImportJob.objects.exists()
    # when the file holds only a BOM and blank lines, then the import fails with a message
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, cast, b"\xef\xbb\xbf\r\n\r\n")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "failed" and "the file is empty" in job.error
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200 and "the file is empty" in page.content.decode()


@pytest.mark.django_db
def test_the_issues_report_speaks_the_uploaders_language(
    client, cast, sla, django_capture_on_commit_callbacks
):
    # given Alice uses the portal in Romanian
    from django.conf import settings

    client.force_login(cast.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
    # when she uploads a file with a row naming somebody who is not a portal user
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, cast, (HEADER + BAD).encode())
    job = ImportJob.objects.get()
    # then the worker wrote the report in Romanian, and the page shows it so
    assert job.language == "ro"
    report = client.get(reverse("leads:import_issues", args=[job.pk]))
    body = b"".join(report.streaming_content).decode()
    assert "nu este utilizator al portalului" in body
    page = client.get(job.get_absolute_url()).content.decode()
    assert "nu este utilizator al portalului" in page


@pytest.mark.django_db
def test_the_import_command_names_the_missing_default_team_and_the_option_that_sets_it(
    cast, sla, tmp_path
):
    # given a portal whose marketing team is not called "Marketing" (the default)
    cast.marketing.name = "Growth"
    cast.marketing.save()
    path = tmp_path / "events.csv"
    path.write_text(HEADER + GOOD)
    # when the command runs with the default teams
    with pytest.raises(CommandError) as refused:
        call_command("import_leads", str(path))
    # then it names the team it looked for, the option that sets it and the teams there are
    message = str(refused.value)
    assert "Team matching query" not in message
    assert "“Marketing”" in message and "--marketing-team" in message
    assert "Growth" in message
    # and the sales team, which exists, is not blamed
    assert "--sales-team" not in message
    assert not LeadEvent.objects.exists()


@pytest.mark.django_db
def test_the_import_command_names_both_missing_teams_at_once(cast, sla, tmp_path):
    # given a portal without either default team
    cast.marketing.name, cast.sales.name = "Growth", "Revenue"
    cast.marketing.save()
    cast.sales.save()
    path = tmp_path / "events.csv"
    path.write_text(HEADER + GOOD)
    # when the command runs with the default teams
    with pytest.raises(CommandError) as refused:
        call_command("import_leads", str(path))
    # then both missing teams and both options are named in one message
    message = str(refused.value)
    assert "“Marketing”" in message and "--marketing-team" in message
    assert "“Sales”" in message and "--sales-team" in message


@pytest.mark.django_db
def test_the_import_command_refuses_a_team_of_the_wrong_function(cast, sla, tmp_path):
    # given a sales team named as the marketing team
    path = tmp_path / "events.csv"
    path.write_text(HEADER + GOOD)
    # when the command runs
    with pytest.raises(CommandError) as refused:
        call_command("import_leads", str(path), "--marketing-team", "Sales")
    # then it says the team is not a marketing team, and stores nothing
    message = str(refused.value)
    assert "“Sales”" in message and "--marketing-team" in message
    assert "not a marketing team" in message
    assert not LeadEvent.objects.exists()


@pytest.mark.django_db
def test_the_import_command_with_the_teams_named_imports(cast, sla, tmp_path, capsys):
    # given teams that are not called by the defaults
    cast.marketing.name, cast.sales.name = "Growth", "Revenue"
    cast.marketing.save()
    cast.sales.save()
    path = tmp_path / "events.csv"
    path.write_text(HEADER + GOOD)
    # when the command names them
    call_command("import_leads", str(path), "--marketing-team", "Growth", "--sales-team", "Revenue")
    # then the events are stored for those teams
    assert "3 events stored" in capsys.readouterr().out
    lead = Lead.objects.get(external_id="L1")
    assert (lead.marketing_team, lead.sales_team) == (cast.marketing, cast.sales)


@pytest.mark.django_db
def test_an_import_runs_with_the_collector_relaxed_and_gives_it_back_as_it_was(cast, sla):
    # given the collector as the process has it
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    during = []

    def watch(summary):
        during.append((gc.get_threshold(), gc.get_freeze_count()))

    # when a file is imported
    summary = events_import(
        stream=io.BytesIO((HEADER + GOOD).encode()),
        format="events",
        tz="UTC",
        context=context(cast),
        on_progress=watch,
    )
    # then while it ran, what was alive before was frozen and the youngest generation
    # was collected less often; afterwards both are as they were
    assert summary.created == 3
    assert during == [((GC_YOUNG_THRESHOLD, *before[1:]), during[0][1])]
    assert during[0][1] > frozen_before
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen_before)


@pytest.mark.django_db
def test_an_import_that_fails_gives_the_collector_back_too(cast, sla, monkeypatch):
    # given a store that fails on the first chunk
    before = gc.get_threshold()

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(importers, "lead_events_ingest", broken)
    # when a file is imported
    with pytest.raises(RuntimeError):
        run(cast, HEADER + GOOD)
    # then the error reaches the caller and the collector is as it was
    assert gc.get_threshold() == before
    assert LeadEvent.objects.filter(source="crm").count() == 0


def test_imports_running_at_once_give_the_collector_back_when_the_last_one_ends():
    # given a process's collector and two imports in its threads
    collector = importers._CollectorRelaxed()
    before = gc.get_threshold()
    try:
        # when the first starts, the second starts, and the first ends
        collector.begin()
        collector.begin()
        collector.end()
        # then the second still runs with the collector relaxed
        assert gc.get_threshold()[0] == max(before[0], GC_YOUNG_THRESHOLD)
        # and when it ends too, the collector is as before either started
        collector.end()
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


@pytest.mark.django_db
def test_the_import_page_says_what_a_file_must_hold(client, cast, sla):
    """A manager about to upload sees the events CSV's required columns, its kinds and
    the values the kinds need, and can download its columns as a template to fill in;
    the HubSpot export's two required columns are named too."""
    from leads.ingest.formats import CHANNELS, EVENT_REQUIRED, KINDS, STAGES

    client.force_login(cast.carol)
    page = client.get(reverse("leads:imports")).content.decode()
    help_ = page[page.index('data-testid="import-formats"') :]
    for name in (*EVENT_REQUIRED, *KINDS, *STAGES, *CHANNELS, "Record ID", "Create Date"):
        assert name in help_, name
    assert reverse("leads:import_template") in help_


@pytest.mark.django_db
def test_the_template_is_the_events_csv_header_and_imports_as_an_empty_file(client, cast, sla):
    from leads.ingest.formats import EVENT_COLUMNS

    client.force_login(cast.carol)
    response = client.get(reverse("leads:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8-sig")
    assert body.splitlines() == [",".join(EVENT_COLUMNS)]
    # read back by the importer, with Excel's byte-order mark: no rows, no problem
    summary, issues = run(cast, response.content)
    assert (summary.rows, summary.created, summary.error, issues) == (0, 0, "", [])
    # a row written under the template's header imports
    summary, issues = run(cast, body + GOOD.splitlines()[0] + "\n")
    assert (summary.created, issues) == (1, [])


@pytest.mark.django_db
def test_the_template_is_for_people_signed_in(client):
    response = client.get(reverse("leads:import_template"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
