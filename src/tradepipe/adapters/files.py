"""Durable file replacement (write a temp file beside the target, fsync it, rename, fsync the directory: a crash
leaves the old file or the new one, never a torn one), and the one check for names that become path components.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from tradepipe.adapters.crash import crash_point
from tradepipe.errors import UnsafeName

SAFE_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}")
SAFE_COMPONENT_TEXT = "1-128 ASCII letters, digits and . _ : + -, starting with a letter or digit"


def safe_path_component(kind: str, value: str) -> str:
    """``value`` if it is one harmless path component, else ``UnsafeName`` naming ``kind`` (the field).

    One pattern for every name we put in a path: no separator, no ``.``/``..``, not absolute, no hidden file,
    no control or non-ASCII characters. Encode first where a name carries a separator (``BTC/USDT`` ->
    ``BTC-USDT``).
    """
    if not isinstance(value, str) or SAFE_COMPONENT.fullmatch(value) is None:
        raise UnsafeName(kind, value, SAFE_COMPONENT_TEXT)
    return value


def write_atomically(path: Path, write: Callable[[Path], object], *, durable: bool = True) -> None:
    """Replace ``path`` with what ``write`` puts into the temp path it is given.

    ``durable=False`` skips both fsyncs: still never torn, but may be lost in a crash (fine for caches).
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if durable:
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
        crash_point("file.written")  # the temp file is complete, the target still the old one
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    crash_point("file.replaced")  # renamed, the directory not yet fsynced
    if not durable:
        return
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)
