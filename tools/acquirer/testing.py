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


def start_acquirer(db_path, port=0, extra_args=(), log_path=None, web=False):
    """Run `python -m tools.acquirer serve` on loopback; -> (process, port). web: the back-office
    too, on a free port: process.web_port.

    stderr (the host's log) goes to log_path, default db_path + ".log"."""
    log_path = log_path or str(db_path) + ".log"
    command = [sys.executable, "-m", "tools.acquirer", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--db", str(db_path)] + list(extra_args) + (["--web-port", "0"] if web else [])
    with open(log_path, "ab") as log:
        # Unbuffered: select() sees the WEB line even when it came in one read with PORT.
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=log, bufsize=0)
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline().decode("ascii", "replace").strip() if ready else ""
    if not line.startswith("PORT "):
        stop(process)
        raise AcquirerStartError("acquirer did not start (%r); see %s" % (line, log_path))
    if web:
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
        web_line = process.stdout.readline().decode("ascii", "replace").strip() if ready else ""
        if not web_line.startswith("WEB "):
            stop(process)
            raise AcquirerStartError("the back-office did not start (%r); see %s" % (web_line, log_path))
        process.web_port = int(web_line.split()[1])
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
