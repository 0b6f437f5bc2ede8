"""Build hook: ship the factory presets, note maps and example seed inside the `bridge` package.

Everything else about the project is declared in pyproject.toml; this file only
adds one step to setuptools' build_py.

Why a build step: the top-level `presets/` and `examples/` folders stay the
single source in git (people edit and document them there), yet an installed
`beatgen` has no checkout to read them from.  build_py copies them into the
build as `bridge/resources/presets/...` and
`bridge/resources/examples/seed_groove.mid` (with its README), where
bridge/resources looks first.  The alternative, a `package-dir` mapping of
`presets/` to a subpackage, would make every data folder a Python package of
its own and leave editable installs (./test.sh, ./run.sh) depending on
setuptools' import-hook mapping of it; with this hook an editable install is
unchanged: it gets no copy, and bridge/resources falls back to the checkout's
folders, so a preset edited there counts at once.  The sdist carries both
folders (MANIFEST.in), so a wheel built from it gets them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent
TARGET = Path("bridge", "resources")  # the package whose folder receives the copies
# (source relative to the project root, destination relative to TARGET); the example's README carries the
# attribution its licence (CC BY 4.0) asks for wherever the file goes.
RESOURCES = [
    ("presets", "presets"),
    ("examples/seed_groove.mid", "examples/seed_groove.mid"),
    ("examples/README.md", "examples/README.md"),
]


def _resource_files() -> list[tuple[Path, Path]]:
    """Every file to ship, as (source, destination relative to TARGET); refuses to build without them."""
    files = []
    for source, destination in RESOURCES:
        path = SOURCE / source
        if path.is_file():
            files.append((path, Path(destination)))
        elif path.is_dir():
            for item in sorted(path.rglob("*")):
                if item.is_file() and not any(part.startswith((".", "__")) for part in item.relative_to(path).parts):
                    files.append((item, Path(destination) / item.relative_to(path)))
        else:
            raise FileNotFoundError(f"{path}: missing; the wheel would have no factory presets or example seed")
    return files


class BuildWithResources(build_py):
    """build_py, then copy presets/ and the example seed into the built bridge/resources/."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders (see bridge/resources/__init__.py)
        for _, destination in RESOURCES:  # a file removed from presets/ must not live on in an old build/
            stale = Path(self.build_lib) / TARGET / Path(destination).parts[0]
            if stale.is_dir():
                shutil.rmtree(stale)
        for source, destination in _resource_files():
            target = Path(self.build_lib) / TARGET / destination
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        return outputs + [str(Path(self.build_lib) / TARGET / destination) for _, destination in _resource_files()]


setup(cmdclass={"build_py": BuildWithResources})
