"""Start and stop the acquirer as a real process, for tests and the simulator.

    process, port = start_acquirer(db_path)
    ...
    stop(process)              # also stop_acquirer(process, kill=False)
"""

import os
import select
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class AcquirerStartError(RuntimeError):
    pass


def start_acquirer(db_path, port=0, extra_args=(), log_path=None):
    """Run `python -m tools.acquirer serve` on loopback; -> (process, port).

    stderr (the host's log) goes to log_path, default db_path + ".log"."""
    log_path = log_path or str(db_path) + ".log"
    command = [sys.executable, "-m", "tools.acquirer", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--db", str(db_path)] + list(extra_args)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=log)
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline().decode("ascii", "replace").strip() if ready else ""
    if not line.startswith("PORT "):
        stop(process)
        raise AcquirerStartError("acquirer did not start (%r); see %s" % (line, log_path))
    return process, int(line.split()[1])


def stop(process, kill=False):
    """Stop the process (SIGTERM, then SIGKILL; kill=True: SIGKILL at once,
    like a crash); -> its exit code."""
    if process.poll() is None:
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode


stop_acquirer = stop
