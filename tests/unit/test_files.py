"""Atomic file replacement (a failing writer leaves the old file and no temp files behind) and safe path names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradepipe.adapters.files import safe_path_component, write_atomically
from tradepipe.errors import ConfigurationError, UnsafeName


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


@pytest.mark.parametrize("name", ["sim-alpha", "binance", "BTC-USDT", "BTC-USDT:USDT", "1h", "1M", "run-3fa2c1", "a.b"])
def test_safe_names_pass_unchanged(name: str) -> None:
    assert safe_path_component("venue", name) == name


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", "../../etc", "/etc", "/tmp/x", "a/b", "a\\b", ".hidden", "-rf", "a b", "a\0b", "a\n", "ünï",
     "x" * 129, "C:\\temp"],
)  # fmt: skip
def test_unsafe_names_are_refused_naming_the_field(name: str) -> None:
    with pytest.raises(UnsafeName, match=r"^timeframe: .* cannot name a file or directory; allowed: ") as info:
        safe_path_component("timeframe", name)
    assert isinstance(info.value, ValueError) and isinstance(info.value, ConfigurationError)
    assert info.value.field == "timeframe" and info.value.value == name
