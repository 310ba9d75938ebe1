"""One server's index folder: generations of the index, a pointer to the one in use, and
the lock that lets one process at a time write.

    SEARCH_INDEX_DIR/
        current          the name of the generation searches use (replaced atomically)
        applier.lock     an OS file lock: whoever holds it may write (freed if it dies)
        gen-.../         a complete Whoosh index, with position.json beside its files

A generation becomes current only once it is completely built and its position written,
so an empty or half-built index is never opened for searching. A rebuild writes a new
generation and swaps the pointer; searches use the old one until then.
"""

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

POINTER = "current"
LOCK = "applier.lock"
POSITION = "position.json"
GENERATION_PREFIX = "gen-"
OLD_GENERATION_GRACE_SECONDS = 60.0  # other processes may still be reading one just replaced


@dataclass
class Position:
    """How far one generation has followed the change log.

    Every change numbered up to `mark` has been applied, except the numbers in `gaps`: a
    PostgreSQL sequence hands out numbers before commit, so number 100 can commit after
    101 was read. A gap is looked for again on every poll until it arrives or is older than
    the gap window (then its transaction rolled back)."""

    mark: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # number -> when first missed
    polled_at: float = 0.0  # when the log was last read into this generation

    def to_json(self) -> str:
        return json.dumps({"mark": self.mark, "polled_at": self.polled_at,
                           "gaps": {str(k): v for k, v in self.gaps.items()}})

    @classmethod
    def from_json(cls, text: str) -> "Position":
        data = json.loads(text)
        return cls(int(data["mark"]), {int(k): float(v) for k, v in data["gaps"].items()},
                   float(data["polled_at"]))


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class IndexFolder:
    def __init__(self, root: Path):
        self.root = Path(root)

    def current(self) -> Path | None:
        """The generation in use, or None before the first complete build."""
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        path = self.root / name
        if not name.startswith(GENERATION_PREFIX) or not (path / POSITION).exists():
            return None
        return path

    def position(self, generation: Path) -> Position:
        return Position.from_json((generation / POSITION).read_text(encoding="utf-8"))

    def save_position(self, generation: Path, position: Position) -> None:
        _write_atomically(generation / POSITION, position.to_json())

    def new_generation(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{GENERATION_PREFIX}{time.time_ns()}-{os.getpid()}"
        path.mkdir()
        return path

    def swap_to(self, generation: Path) -> None:
        """Make a completely built generation the one searches use."""
        _write_atomically(self.root / POINTER, generation.name)

    @contextmanager
    def lock(self, timeout: float = 0.0) -> Iterator[bool]:
        """Yields True while holding the folder's write lock, False if it was not had in
        `timeout` seconds. The OS frees it when the holder dies, even by kill -9."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.05)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def remove_old_generations(self, grace_seconds: float = OLD_GENERATION_GRACE_SECONDS) -> None:
        """Delete generations no longer in use (and an index from before generations),
        once no search can still be reading them. Call while holding the lock."""
        if not self.root.exists():
            return
        current = self.current()
        now = time.time()
        for path in self.root.iterdir():
            if path == current or path.name in (POINTER, LOCK) or path.name.startswith("."):
                continue
            if now - path.stat().st_mtime < grace_seconds:
                continue  # just replaced, or a rebuild under way in another process
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.suffix in (".toc", ".seg") or path.name.startswith("MAIN_"):
                path.unlink(missing_ok=True)  # Whoosh files of an index from before generations
