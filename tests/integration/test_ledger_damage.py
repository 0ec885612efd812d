"""A damaged SQLite ledger is refused with ``LedgerCorrupted`` naming the file, never used on silently.

The files are damaged for real: the ``-wal`` of a live ledger deleted (in this process, and in a process that is
then killed), a page overwritten, a file that is no database. The CLI exits 2 with the message, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.adapters.storage.database import make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.cli import app
from tradepipe.config import Settings
from tradepipe.errors import LedgerCorrupted

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "state", database_url=f"sqlite:///{tmp_path / 'state' / 'ledger.db'}")


def ledger_file(settings: Settings) -> Path:
    return Path(settings.ledger_url.removeprefix("sqlite:///"))


def test_deleting_the_wal_of_a_live_ledger_stops_every_access_and_loses_nothing(sqlite_settings: Settings) -> None:
    ledger = wiring.ledger(sqlite_settings)
    ledger.fund("sim-alpha", "USDT", Decimal("100"))
    held = ledger.engine.connect()  # another connection of this process stays open (another thread's)
    held.exec_driver_sql("select count(*) from balances")
    path = ledger_file(sqlite_settings)
    wal = path.with_name("ledger.db-wal")
    wal.unlink()  # an operator "cleaning up" the state dir mid-run
    other = Ledger(make_engine(sqlite_settings.ledger_url))  # another command opening it: before, "disk I/O error"
    with pytest.raises(LedgerCorrupted, match=r"ledger\.db-shm is there but its write-ahead log ledger\.db-wal"):
        other.cash()
    other.engine.dispose()
    with pytest.raises(LedgerCorrupted, match=r"ledger\.db-wal is gone"):
        ledger.cash()  # this process, on a new connection
    held.close()
    with pytest.raises(LedgerCorrupted, match=r"ledger\.db-wal was deleted while the ledger was open") as err:
        ledger.cash()  # on the connection that was open: before, it went on writing into the deleted log
    assert str(path) in str(err.value) and "tradepipe reconcile" in str(err.value)
    ledger.engine.dispose()  # the process stops: its last connection writes the log back
    again = Ledger(make_engine(sqlite_settings.ledger_url))
    assert again.cash()[("sim-alpha", "USDT")] == Decimal("100")
    again.engine.dispose()


KILLED_AFTER_WAL_LOSS = """
import os, sys
from decimal import Decimal
sys.path.insert(0, {root!r})
from tradepipe.adapters.storage.database import make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
engine = make_engine({url!r})
migrate(engine)
ledger = Ledger(engine)
ledger.fund("sim-alpha", "USDT", Decimal("100"))
os.unlink({wal!r})
os._exit(9)  # SIGKILL-like: no checkpoint, no cleanup; the commits were in the deleted log
"""


def test_a_ledger_whose_wal_was_lost_with_its_process_is_refused_on_open(sqlite_settings: Settings) -> None:
    path = ledger_file(sqlite_settings)
    path.parent.mkdir(parents=True)
    script = KILLED_AFTER_WAL_LOSS.format(root=str(ROOT), url=sqlite_settings.ledger_url, wal=f"{path}-wal")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.db", "ledger.db-shm"]
    engine = make_engine(sqlite_settings.ledger_url)
    with pytest.raises(LedgerCorrupted, match=r"ledger\.db-wal is gone: the log was deleted .*its commits are lost"):
        Ledger(engine).cash()  # before: an empty ledger without tables, silently
    engine.dispose()
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.db", "ledger.db-shm"]  # left as found

    before = path.read_bytes()
    for command in (["positions"], ["run"], ["reconcile"], ["emergency-stop"]):  # run & co stop before Prefect
        result = CliRunner().invoke(app, [*command, "-c", str(config_file(sqlite_settings))])
        assert result.exit_code == 2, (command, result.output)
        assert f"{path.name}-wal is" in result.output.replace("\n", " ") and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.db", "ledger.db-shm"]  # nothing written


def config_file(settings: Settings) -> Path:
    path = Path(settings.state_dir).parent / "tradepipe.toml"
    path.write_text(f'state_dir = "{settings.state_dir}"\ndatabase_url = "{settings.ledger_url}"\n')
    return path


def test_an_overwritten_page_or_a_file_that_is_no_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page : 3 * page] = b"\xa5" * page  # one table page turned to noise
    path.write_bytes(bytes(data))
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(LedgerCorrupted, match=r"malformed|quick_check"):
        Ledger(engine).cash()
    engine.dispose()
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    engine = make_engine(f"sqlite:///{junk}")
    with pytest.raises(LedgerCorrupted, match=r"junk\.db is damaged .*file is not a database"):
        Ledger(engine).cash()
    engine.dispose()


def test_a_healthy_ledger_opens_and_a_busy_one_is_not_called_damaged(sqlite_settings: Settings) -> None:
    ledger = wiring.ledger(sqlite_settings)
    ledger.fund("sim-alpha", "USDT", Decimal("100"))
    second = Ledger(make_engine(sqlite_settings.ledger_url))  # a second reader while the first is open
    assert second.cash()[("sim-alpha", "USDT")] == Decimal("100")
    second.engine.dispose()
