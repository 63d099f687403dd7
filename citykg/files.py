"""Writing files safely: the one atomic writer of citykg.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_atomic(folder / "a" / "b.txt", "one\\n")
>>> (folder / "a" / "b.txt").read_text()
'one\\n'
>>> sorted(p.name for p in (folder / "a").iterdir())   # no temporary file is left
['b.txt']
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: str | bytes | Iterable[str]) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    The file appears complete or not at all (``os.replace`` after ``fsync``); on
    any error the temporary file is removed and an existing ``path`` is left
    untouched. A replaced file keeps its permissions; a new one gets the umask's.
    Text is written as UTF-8.
    """
    path = Path(path)
    if isinstance(data, str):
        raw = data.encode("utf-8")
    elif isinstance(data, bytes):
        raw = data
    else:
        raw = "".join(data).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            mode = path.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


__all__ = ["write_atomic"]
