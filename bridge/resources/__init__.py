"""Where the factory presets, note maps and example seed are: the packaged copy, else the checkout.

The top-level `presets/` and `examples/` folders of the repository are the
only source of these files; git holds no second copy.  Building a wheel copies
them into this package (setup.py's build_py: `bridge/resources/presets/` and
`bridge/resources/examples/seed_groove.mid`), so an installed `beatgen` finds
them beside its code.  A checkout (editable install, tests, `python -m`) has
no such copy here and uses the repository's folders directly, so an edit to a
preset is seen at once, with no reinstall.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_REPOSITORY = PACKAGE_DIR.parents[1]  # bridge/resources/ -> the checkout's root


def _folder(name: str) -> Path:
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else _REPOSITORY / name


def checkout_root() -> Path | None:
    """The repository this code runs from, or None for an installed wheel (no copy of presets/ beside bridge/)."""
    if (PACKAGE_DIR / "presets").is_dir() or not (_REPOSITORY / "pyproject.toml").is_file():
        return None
    return _REPOSITORY


PRESETS_DIR = _folder("presets")
NOTE_MAPS_DIR = PRESETS_DIR / "note-maps"
EXAMPLE_SEED = _folder("examples") / "seed_groove.mid"
