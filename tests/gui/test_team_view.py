"""Issue 15 in the GUI: who sent each request (Requests page, detail, spend by person on the
Dashboard), and a team server's PostgreSQL database shown read-only instead of this app's log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest

from gui.fake_backend import FakeBackend
from gui.helpers import record, row
from gui.test_app import ask, started, until
from gui.test_settings_budget_demo import make_window
from routerdesk.core.settings import Settings, StorageSettings
from routerdesk.core.settings_file import save_settings
from routerdesk.gui.main_window import MainWindow
from routerdesk.gui.pages.people import LOCAL_TOKEN
from routerdesk.gui.pages.requests import PERSON_COL, RequestsPage
from routerdesk.storage import paths
from routerdesk.storage.usage_pg import PgUsageStore

pytestmark = pytest.mark.gui
Run = Callable[[Awaitable[Any]], Any]


def test_person_column_filter_search_and_detail(qtbot: Any) -> None:
    page = RequestsPage(FakeBackend())
    qtbot.addWidget(page)
    page.show()
    page.load_history([row(t=1.0), row(t=2.0)])
    # One person (the local token only): the table looks as it always did.
    assert page.table.isColumnHidden(PERSON_COL) and not page.person.isVisible()
    page.load_history([row(t=1.0), row(t=2.0, person="alice"), row(t=3.0, person="bob")])
    assert not page.table.isColumnHidden(PERSON_COL) and page.person.isVisible()
    items = [page.person.itemText(i) for i in range(page.person.count())]
    assert items == ["Everyone", "(local token)", "alice", "bob"]
    assert page.proxy.index(0, PERSON_COL).data() == "bob"  # newest first
    page.person.setCurrentIndex(items.index("alice"))
    assert [r.person for r in page.visible_rows()] == ["alice"]
    page.person.setCurrentIndex(items.index("(local token)"))
    assert [r.person for r in page.visible_rows()] == [""]
    page.person.setCurrentIndex(0)
    page.search.setText("bob")
    assert [r.person for r in page.visible_rows()] == ["bob"]
    page.search.clear()
    page.table.selectRow(0)
    assert "sent by bob" in page.detail.toPlainText()
    page.table.selectRow(2)
    assert "sent with the local token" in page.detail.toPlainText()
    # a new name arriving live joins the filter, which keeps its choice
    page.person.setCurrentIndex(items.index("bob"))
    page.add_records([row(t=4.0, person="carol")])
    assert page.person.currentText() == "bob" and page.person.findText("carol") > 0
    assert [r.person for r in page.visible_rows()] == ["bob"]


def test_dashboard_spend_by_person_only_with_more_than_one(qtbot: Any, run: Run) -> None:
    backend = FakeBackend()
    backend.keys["openai"] = "sk-test-0123456789"  # a usable key: the charts, not the welcome
    backend.records = [record(cost=0.002, person="alice"), record(cost=0.001, person="alice")]
    win = make_window(qtbot, backend)
    run(win.people.load())
    assert [t.name for t in win.people.people] == ["alice"] and not win.people.box.isVisible()
    backend.records.append(record(cost=0.01, person="bob"))
    backend.records.append(record(cost=0.0005))
    run(win.people.load())
    assert win.people.box.isVisible()
    assert win.people.box.names() == ["bob", "alice", LOCAL_TOKEN]  # biggest spend first
    table = win.people.box.table
    assert table.item(1, 1).text() == "2" and table.item(1, 2).text() == "$0.003"


# --- a team database, read-only, in the real app ------------------------------------------


def team_rows(url: str, *people: str) -> None:
    """Rows from a team server: a real PgUsageStore writes them (and creates the schema)."""
    store = PgUsageStore(url)
    try:
        for person in people:
            store.submit(record(person=person, cost=0.001))
        store.flush()
    finally:
        store.close()


def count(url: str) -> int:
    with psycopg.connect(url) as conn:
        n = conn.execute("SELECT COUNT(*) FROM requests").fetchone()
        return int(n[0]) if n else -1


def use_team(url: str) -> None:
    save_settings(paths.settings_path(), Settings(storage=StorageSettings(team_url=url)))


def test_app_shows_a_team_database_read_only(pg_url: str, run: Run) -> None:
    team_rows(pg_url, "alice", "alice", "bob", "", "bob", "alice")
    use_team(pg_url)

    async def scenario() -> None:
        app = await started(tray=False)
        win = app.window
        assert isinstance(win, MainWindow)
        try:
            await until(lambda: win.team.updated_at is not None)
            assert win.requests.model.rowCount() == 6
            assert win.dashboard.tiles["requests"].value() == "6"
            assert not win.dashboard.showing_welcome()
            note = win.dashboard.source_banner.text()
            assert note.startswith("Team database t_") and "(read-only)" in note
            assert win.requests.source_banner.text() == note
            assert win.dashboard.source.text() == "Showing: team database (read-only)"
            assert win.spend_label.text().startswith("This app today: ")
            assert win.requests.model.people == ["alice", "bob"]
            assert not win.requests.table.isColumnHidden(PERSON_COL)
            await until(lambda: win.people.box.isVisible())
            assert win.people.box.names() == ["alice", "bob", LOCAL_TOKEN]

            # This app's own request goes to its own log: not to the team's, not on show.
            reply = await asyncio.to_thread(ask, app.url, "What is the capital of France?")
            assert reply.choices[0].message.content
            usage = app.runtime.usage
            assert usage is not None
            await asyncio.to_thread(usage.flush)
            assert len(await asyncio.to_thread(usage.recent, 10)) == 1
            await asyncio.sleep(0.3)  # the bridge's batches (50 ms) have come and gone
            assert win.requests.model.rowCount() == 6
            assert count(pg_url) == 6

            # What the team server writes next shows on the next poll.
            await asyncio.to_thread(team_rows, pg_url, "carol")
            win.team.poll()
            assert win.team.pending is not None
            await win.team.pending
            win.show_page(1)  # the table takes rows while hidden, shows them when visible
            assert win.requests.model.rowCount() == 7
            assert "carol" in win.requests.model.people
            entry = await win.backend.log_entry(win.requests.model.record(0).request_id)
            assert entry is not None and entry["person"] == "carol"

            # Clearing the setting shows this app's log again.
            win.show_page(5)
            win.settings_page.team_url.clear()
            win.settings_page.save.click()
            await until(lambda: not win.team.active and win.requests.model.rowCount() == 1)
            assert win.dashboard.source.text() == "Showing: this app's log"
            assert win.dashboard.source_banner.isHidden()
            assert win.requests.table.isColumnHidden(PERSON_COL)
        finally:
            await app.stop()
        assert count(pg_url) == 7  # nothing the app did wrote a row

    run(scenario())


def test_an_unreachable_team_database_is_reported_without_a_password(
    run: Run, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from fakes import free_port

    monkeypatch.setenv("PGPASSWORD", "team-pg-s3cret-value")
    use_team(f"postgresql://alice@127.0.0.1:{free_port()}/team")
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        app = await started(tray=False)
        win = app.window
        assert isinstance(win, MainWindow)
        try:
            await until(lambda: bool(win.team.error))
            note = win.dashboard.source_banner.text()
            assert note.startswith("Team database not shown: cannot connect to team on 127.0.0.1:")
            assert "as alice" in note and "nothing read yet" in note
            assert "error" in win.dashboard.source_banner.accessibleName()
            assert win.requests.source_banner.text() == note
            assert not win.dashboard.showing_welcome()
            assert win.dashboard.first_steps.isHidden()  # no "send your first request" here
            assert win.requests.model.rowCount() == 0
            # the app keeps serving its own tools meanwhile
            reply = await asyncio.to_thread(ask, app.url, "What is 2 + 2?")
            assert reply.choices[0].message.content
            win.team.poll()  # and keeps trying
            assert win.team.pending is not None
            await win.team.pending
            assert win.team.error
        finally:
            await app.stop()

    run(scenario())
    assert "s3cret" not in caplog.text
