"""Run a command in a private network namespace, so nothing it multicasts (Ableton Link) leaves the machine.

    python -m devtools.private_net -- COMMAND [ARGS...]

`unshare --net` (root, or a user namespace where the kernel allows one) gives
the command a network of its own with only a loopback interface; it is
brought up with multicast on and a 224.0.0.0/4 route, which Link's discovery
needs.  Link peers inside see each other and nothing outside.  `unshare
--fork` ignores SIGTERM itself: `run` starts it in a process group of its own,
and stops the whole group.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys

SETUP = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo"


class PrivateNetError(RuntimeError):
    pass


def command_line(command: list[str]) -> list[str]:
    """`command` wrapped: unshare, loopback set up, then exec the command."""
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            raise PrivateNetError(f"{tool} not found (Debian: apt-get install util-linux iproute2)")
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    script = f"{SETUP} && exec {shlex.join(command)}"
    return ["unshare", "--net", *user, "--", "sh", "-c", script]


def run(command: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `command` in a private network; its output captured; the whole process group killed on timeout."""
    process = subprocess.Popen(
        command_line(command), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        out, err = process.communicate()
        err += f"\nprivate_net: killed after {timeout:g} s"
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def stop(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM to the process group (unshare itself ignores it, its children do not), then SIGKILL."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    os.execvp("unshare", command_line(argv))  # noqa: S606 - our own fixed command line
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
