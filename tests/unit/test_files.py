"""Atomic file replacement: a failing writer leaves the old file and no temp files behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradepipe.adapters.files import write_atomically


def test_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "wallet.json"
    write_atomically(target, lambda tmp: tmp.write_text("one"))
    write_atomically(target, lambda tmp: tmp.write_text("two"))
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["wallet.json"]


def test_a_failing_writer_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "wallet.json"
    target.write_text("old")

    def torn(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, torn)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["wallet.json"]
