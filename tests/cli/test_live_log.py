"""The live bridge's Log: a stderr whose reader quit or a full disk cost lines, never the exit code."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from bridge.cli.live import Log

# A child set up as `beatgen run [--log FILE]` sets up its log, logging with stderr a pipe nobody
# reads any more, then exiting 7.  Before the fix, with --log, the line stuck in the failed stream
# made Python's final flush fail and the exit code became 120 (seen on CI).
CHILD = textwrap.dedent(
    """
    import sys
    from bridge.cli.live import Log
    from bridge.system.native_output import forward_native_stderr
    log = Log(sys.argv[1] if len(sys.argv) > 1 else None)
    if len(sys.argv) > 1:
        forward_native_stderr(log)
    for n in range(50):
        log(f"line {n} " + "x" * 200)
    log.close()
    sys.exit(7)
    """
)


def _run_with_closed_stderr(*args: str) -> int:
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert child.stderr is not None
    child.stderr.close()  # the reader quits before the first line, as `| head -0` would
    return child.wait(timeout=60)


def test_a_closed_stderr_keeps_the_exit_code():
    assert _run_with_closed_stderr() == 7


def test_a_closed_stderr_keeps_the_log_file(tmp_path):
    path = tmp_path / "live.log"
    assert _run_with_closed_stderr(str(path)) == 7
    lines = path.read_text().splitlines()
    assert len(lines) == 50 and lines[-1].endswith("line 49 " + "x" * 200)


def test_a_full_disk_counts_lost_lines_and_stderr_still_gets_them(capsys):
    log = Log("/dev/full")
    log("first")
    log("second")
    log.close()
    assert log.lost_lines >= 1
    assert capsys.readouterr().err.count("\n") == 2


def test_stamps_and_lines(tmp_path, capsys):
    log = Log(str(tmp_path / "a.log"))
    log("ports ready")
    log.close()
    written = (tmp_path / "a.log").read_text()
    assert written.endswith(" ports ready\n") and written[2] == ":" and written[8] == "."
    assert capsys.readouterr().err == written
