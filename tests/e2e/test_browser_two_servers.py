"""Two app processes, one database: two ``dialogue-engine serve`` processes on different ports share one exercise.

Seat A plays in a browser on server A, seat B in a browser on server B; each sees the other's move after its
poll, with no reload. The database is PostgreSQL when ``QD_TEST_POSTGRES_URL`` is set (``.ci/run`` starts
one), else one SQLite file both servers open. Both servers are stopped at the end and no process of theirs
is left.
"""

from __future__ import annotations

import os
import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest
from qd_browser import browser_missing, click_button, page_text, running_app, type_into, wait_for, wait_idle, wait_text

from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.testing import stand_in_factory

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCENARIO = "us-china-quiet-dialogue"


def _database(tmp: Path) -> tuple[str, str]:
    pg = os.environ.get("QD_TEST_POSTGRES_URL")
    if pg:
        return (pg if "+psycopg" in pg else pg.replace("postgresql://", "postgresql+psycopg://", 1)), "PostgreSQL"
    return f"sqlite:///{tmp / 'shared' / 'exercises.db'}", "SQLite file"


def _serving(port: str) -> list[int]:
    """Pids of live processes serving Streamlit on ``port``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            if (proc / "stat").read_text().split(")")[-1].split()[0] == "Z":
                continue
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and f"--server.port\0{port}".encode() in b"\0".join(args):
            pids.append(int(proc.name))
    return pids


@pytest.mark.xdist_group("postgres")  # with QD_TEST_POSTGRES_URL it shares the PostgreSQL tests' database
def test_two_servers_show_each_others_moves(tmp_path_factory, new_browser, knowledge_store):
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("qd-two-servers")
    url, which = _database(tmp)
    print(f"\ntwo servers sharing one {which} database")
    svc = ExerciseService(database_url=url, agent_factory=stand_in_factory)
    info = svc.create(SCENARIO, ["united-states", "china"], seed=3)  # both seats people: no AI turn to wait for
    svc.start(info.facilitator_code)
    svc.advance(info.facilitator_code)
    codes = {s.party: s.code for s in info.seats if s.human}
    svc.store.dispose()

    ports = []
    with ExitStack() as servers:
        for name in ("a", "b"):  # the session's knowledge index; building it per server is slow
            shutil.copytree(knowledge_store, tmp / name / "store")
        url_a = servers.enter_context(running_app(tmp / "a", env_extra={"QD_DATABASE_URL": url}))
        url_b = servers.enter_context(running_app(tmp / "b", env_extra={"QD_DATABASE_URL": url}))
        ports = [u.rsplit(":", 1)[1] for u in (url_a, url_b)]
        assert ports[0] != ports[1]

        a = new_browser()
        a.get(f"{url_a}/exercise?seat={codes['united-states']}")
        wait_text(a, "Public channel", timeout=60)
        b = new_browser()
        b.get(f"{url_b}/exercise?seat={codes['china']}")
        wait_text(b, "Public channel", timeout=60)

        click_button(a, "Make a proposal")  # A moves on server A; B sees it on server B
        type_into(a, "Say something with it (optional)", "Package tabled on server A", submit=False)
        click_button(a, "Propose")
        wait_text(a, "Package tabled on server A", timeout=60)
        wait_text(b, "Package tabled on server A", timeout=30)  # by polling, no reload

        wait_idle(b)  # B answers on server B: a vote and a message; A sees both
        click_button(b, "Accept")
        wait_idle(b)
        type_into(b, "Message", "Reply sent through server B", submit=False)
        click_button(b, "Send")
        wait_text(b, "Reply sent through server B", timeout=60)
        wait_text(a, "Reply sent through server B", timeout=30)
        wait_for(a, lambda d: "no votes yet" not in page_text(d) and "yes" in page_text(d).split(), 30,
                 "seat B's yes vote on server A")
        for page in (a, b):
            assert "Traceback" not in page.page_source and "Something went wrong" not in page_text(page)

    for port in ports:  # both servers stopped, nothing of theirs left running
        assert _serving(port) == [], f"a Streamlit process still serves port {port}"
    svc = ExerciseService(database_url=url, agent_factory=stand_in_factory)
    state = svc.state(info.exercise_id)
    svc.store.dispose()
    assert [m.speaker for m in state.messages if m.text in ("Package tabled on server A", "Reply sent through server B")] \
        == ["united-states", "china"]
    assert list(state.proposals.values())[0].votes == {"china": True}
