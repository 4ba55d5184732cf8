"""Terminal simulator.

  python -m tools.sim [--fresh]             interactive, against an acquirer it starts; the terminal's
                                           flash (sim-state/) and the acquirer's store (sim-host/) are
                                           kept between runs, --fresh starts both afresh
  python -m tools.sim --scenario FILE ...  headless; exit 0 ok, 1 expectation failed, 2 bad file
"""
import argparse
import sys

from tools.sim import scenario


def _host(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("HOST:PORT expected")
    return (host, int(port))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.sim", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", action="append", metavar="FILE", help="run scenario files headless")
    ap.add_argument("--host", type=_host, metavar="HOST:PORT", help="use this acquirer instead of starting one")
    ap.add_argument("--state", metavar="DIR", help="keep the terminal's flash in DIR between runs "
                    "(interactive: sim-state)")
    ap.add_argument("--host-store", metavar="DIR", help="interactive: keep the acquirer's store in DIR "
                    "between runs (sim-host)")
    ap.add_argument("--fresh", action="store_true", help="interactive: start the terminal's flash and the "
                    "acquirer's store afresh")
    ap.add_argument("--snapshots", metavar="DIR", help="save the LCD after each step and every receipt as PNG")
    ap.add_argument("--out", metavar="DIR", default="sim-out", help="interactive: where receipts are saved")
    ap.add_argument("-v", "--verbose", action="store_true", help="headless: print each step")
    args = ap.parse_args(argv)
    if args.scenario:
        worst = 0
        for path in args.scenario:
            status, report = scenario.run_file(path, args.host, args.state, args.snapshots,
                                               print if args.verbose else None)
            print(report)
            worst = max(worst, status)
        return worst
    from tools.sim import interactive
    return interactive.main(args)


if __name__ == "__main__":
    sys.exit(main())
