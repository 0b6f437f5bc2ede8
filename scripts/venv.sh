# Sourced by run.sh and test.sh: create .venv and install the project into it.
# Re-installs only when pyproject.toml changed or new extras are asked for.
ensure_venv() {
    local extras="$1" python="${PYTHON:-python3}" stamp=".venv/.installed"
    if ! command -v "$python" >/dev/null; then
        echo "error: $python not found; install Python 3.10-3.13" >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        "$python" -m venv .venv || {
            echo "error: could not create .venv (on Debian/Ubuntu: apt-get install python3-venv)" >&2
            exit 1
        }
    fi
    local want
    want="$(sha1sum pyproject.toml | cut -d' ' -f1) ${extras}"
    if [ ! -f "$stamp" ] || ! grep -qxF -- "$want" "$stamp"; then
        # pip's and setuptools' notices (e.g. setuptools' "BuildBackendWarning: Editable installation")
        # would stay above the terminal UI: they go to a log, shown only when the install fails.
        local log=".venv/install.log"
        echo "setting up .venv (the first time takes a few minutes; details in $log)" >&2
        if ! { .venv/bin/python -m pip install --quiet --upgrade pip &&
            .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"; } >"$log" 2>&1; then
            cat "$log" >&2
            echo "error: installing into .venv failed (the lines above say why; also in $log)" >&2
            exit 1
        fi
        echo "$want" >> "$stamp"
    fi
    # shellcheck disable=SC1091
    source .venv/bin/activate
}

# The optional Ableton Link extra (GPL-2.0-or-later, see README.md): installed where a wheel exists;
# where none does (an unusual platform or Python), the bridge runs without Link and says so when asked for it.
ensure_link_extra() {
    local stamp=".venv/.link-tried"
    [ -f "$stamp" ] && return 0
    if ! .venv/bin/python -m pip install --quiet --only-binary=:all: "LinkPython-extern>=1.3,<2" 2>/dev/null; then
        echo "note: no Ableton Link wheel for this platform; the bridge runs without Link" >&2
    fi
    touch "$stamp"
}
