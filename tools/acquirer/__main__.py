"""Command line of the reference acquirer host.

  python -m tools.acquirer serve --port N --db PATH [--host 127.0.0.1] [--log-hex] [--clock ISO]
                                 [--clock-file PATH] [--tls-cert C --tls-key K] [--testdata JSON]
                                 [--qrpay JSON] [--script-card NAME ...] [--web-port N [--web-host 127.0.0.1]]
  python -m tools.acquirer transactions --db PATH
  python -m tools.acquirer qr-orders --db PATH
  python -m tools.acquirer backups --db PATH
  python -m tools.acquirer cards --db PATH
  python -m tools.acquirer bills --db PATH
  python -m tools.acquirer settlements --db PATH
  python -m tools.acquirer resign --db PATH --terminal TID
  python -m tools.acquirer set-params --db PATH --terminal TID [--name NAME] [--max-fen N] [--nosign-fen N]
                                      [--qr-base URL]
  python -m tools.acquirer phone-pays --db PATH --text TEXT --wallet NAME [--clock ISO | --clock-file PATH]
  python -m tools.acquirer unlock --db PATH --pan PAN
  python -m tools.acquirer script --db PATH --card NAME [--clear]
  python -m tools.acquirer add-terminal --db PATH --terminal TID --merchant MID --tmk HEX
  python -m tools.acquirer add-user --db PATH --merchant MID|--staff --user NAME --password-file FILE
  python -m tools.acquirer publish-update --db PATH --board NAME --dir SLOT_DIR --version V --key PEM
                                          [--terminal TID ...]

PATH is a SQLite file; a postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE URL uses PostgreSQL instead.
"""

import argparse
import asyncio
import datetime
import json
import logging
import os
import ssl
import sys
import time

from . import handlers, network, server, store, updates, wallet

DB_HELP = "the store: a SQLite file's PATH, or a URL (postgresql://user@host:port/database)"
TESTDATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "testdata")
DEFAULT_TESTDATA = os.path.join(TESTDATA_DIR, "testdata.json")
DEFAULT_QRPAY = os.path.join(TESTDATA_DIR, "qrpay.json")


def _clock_from(text):
    """A clock that starts at the local time text (ISO) and runs at real speed."""
    try:
        start = datetime.datetime.fromisoformat(text)
    except ValueError:
        sys.exit("--clock takes a local time like 2026-11-23T10:00:00")
    t0 = time.monotonic()

    def clock():
        return start + datetime.timedelta(seconds=time.monotonic() - t0)
    return clock


def _clock(args):
    """The host's clock the options give: --clock-file read at each use, else (and while that file
    is missing or unreadable) --clock, else China's time now."""
    clock = _clock_from(args.clock) if args.clock else handlers.china_time
    if args.clock_file:
        clock = handlers.file_clock(args.clock_file, clock)
    return clock


def _serve(args):
    if bool(args.tls_cert) != bool(args.tls_key):
        sys.exit("--tls-cert and --tls-key go together")
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    db = store.Store(args.db)
    with open(args.testdata, encoding="utf-8") as f:
        if db.seed(json.load(f)):
            logging.getLogger("acquirer").info("seeded %s from %s", args.db, args.testdata)
    try:
        with open(args.qrpay, encoding="utf-8") as f:
            db.seed_wallets(json.load(f))
    except (OSError, ValueError, KeyError) as e:
        sys.exit("cannot seed the wallets from %s: %s" % (args.qrpay, e))
    for name in args.script_card:
        if not db.set_script_pending(name):
            sys.exit("no card named %s" % name)
    ssl_context = None
    if args.tls_cert:
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(args.tls_cert, args.tls_key)

    clock = _clock(args)
    web_server = None
    if args.web_port is not None:
        from . import web
        web_server, web_port = web.start(web.create_app(args.db, clock), args.web_host, args.web_port)

    def ready(port):
        print("PORT %d" % port, flush=True)
        if web_server is not None:
            print("WEB %d" % web_port, flush=True)

    try:
        asyncio.run(server.serve(handlers.Host(db, clock), args.host, args.port,
                                 ssl_context=ssl_context, log_hex=args.log_hex,
                                 on_ready=ready))
    finally:
        if web_server is not None:
            web_server.close()
        db.close()
    return 0


def _existing(path_or_url):
    if "://" not in path_or_url and not os.path.exists(path_or_url):
        sys.exit("no database at %s" % path_or_url)
    return store.Store(path_or_url)


def _transactions(args):
    print(json.dumps(_existing(args.db).transactions(), ensure_ascii=False, indent=1))
    return 0


def _cards(args):
    print(json.dumps(_existing(args.db).cards(), ensure_ascii=False, indent=1))
    return 0


def _bills(args):
    print(json.dumps(_existing(args.db).bills(), ensure_ascii=False, indent=1))
    return 0


def _backups(args):
    print(json.dumps(_existing(args.db).backups(), ensure_ascii=False, indent=1))
    return 0


def _qr_orders(args):
    print(json.dumps(_existing(args.db).qr_orders(), ensure_ascii=False, indent=1))
    return 0


def _phone_pays(args):
    db = _existing(args.db)
    try:
        print(wallet.phone_pays(db, args.text, args.wallet, _clock(args)()))
    finally:
        db.close()
    return 0


def _settlements(args):
    print(json.dumps(_existing(args.db).settlements(), ensure_ascii=False, indent=1))
    return 0


def _set_params(args):
    if args.name is not None and len(args.name.encode("utf-8")) > network.MERCHANT_NAME_MAX:
        sys.exit("the merchant name is at most %d bytes of UTF-8" % network.MERCHANT_NAME_MAX)
    if args.max_fen is not None and not 0 < args.max_fen < 10 ** 12:
        sys.exit("the largest amount is 1 to 999999999999 fen")
    if args.nosign_fen is not None and not 0 <= args.nosign_fen < 10 ** 12:
        sys.exit("the 免签 limit is 0 to 999999999999 fen")
    if args.qr_base is not None and not _qr_base_ok(args.qr_base):
        sys.exit("the QR base is 1 to %d printable ASCII characters ending in /" % wallet.QR_BASE_MAX)
    if not _existing(args.db).set_params(args.terminal, args.name, args.max_fen, args.nosign_fen,
                                         args.qr_base):
        sys.exit("no terminal %s" % args.terminal)
    return 0


def _qr_base_ok(text):
    return (0 < len(text) <= wallet.QR_BASE_MAX and text.endswith("/")
            and all(" " < c <= "~" for c in text))


def _resign(args):
    if not _existing(args.db).request_sign_in(args.terminal):
        sys.exit("no terminal %s" % args.terminal)
    return 0


def _unlock(args):
    if not _existing(args.db).unlock(args.pan):
        sys.exit("no card with that PAN")
    return 0


def _script(args):
    if not _existing(args.db).set_script_pending(args.card, not args.clear):
        sys.exit("no card named %s" % args.card)
    return 0


def _add_terminal(args):
    tmk = bytes.fromhex(args.tmk)
    if len(tmk) not in (16, 24):
        sys.exit("the TMK is 16 or 24 bytes of hex")
    if len(args.terminal) != 8 or len(args.merchant) != 15:
        sys.exit("terminal id is 8 characters, merchant id 15")
    if not store.Store(args.db).add_terminal(args.terminal, args.merchant, args.name, args.tmk):
        sys.exit("terminal %s exists" % args.terminal)
    return 0


def _add_user(args):
    from . import accounts
    if not accounts.valid_username(args.user):
        sys.exit("a user name is 1 to 64 letters, digits or _ . @ -")
    try:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.readline().rstrip("\r\n")
    except OSError as e:
        sys.exit("cannot read the password file: %s" % e)
    db = store.Store(args.db)
    try:
        with db.engine.begin() as conn:
            accounts.add_user(conn, args.user, password, None if args.staff else args.merchant,
                              handlers.china_time())
    except accounts.AccountError as e:
        sys.exit("cannot add the user: %s" % e)
    finally:
        db.close()
    print("%s: %s" % (args.user, "acquirer staff" if args.staff else "merchant " + args.merchant))
    return 0


def _publish_update(args):
    db = store.Store(args.db)          # a new database is made (and seeded by its first serve)
    if not os.path.isdir(args.dir):
        sys.exit("no slot directory %s" % args.dir)
    try:
        key = updates.load_key(args.key)
        manifest = updates.publish(db, args.dir, args.board, args.version, key,
                                   handlers.china_time().isoformat(timespec="seconds"), args.terminal)
    except (updates.ImageError, OSError, ValueError) as e:
        sys.exit("cannot publish: %s" % e)
    files = json.loads(manifest)["files"]
    print("%s %s: %d files, %d bytes, manifest %d bytes" % (
        args.board, args.version, len(files), sum(f[1] for f in files), len(manifest)))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.acquirer",
                                     description="Reference CUP acquirer host.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="run the host")
    p.add_argument("--port", type=int, required=True, help="0 picks a free port")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--log-hex", action="store_true", help="log raw messages to stderr")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--clock", metavar="ISO", help="run the host's clock from this local time "
                   "(the simulator's scenarios pass their own), e.g. 2026-11-23T10:00:00; "
                   "default: China's time now (UTC+8)")
    p.add_argument("--clock-file", metavar="PATH", help="read the host's local time (ISO, e.g. "
                   "2026-11-23T10:00:05) from this file at each use, as a simulator writes it; while "
                   "it is missing or unreadable the clock is --clock's, or China's time now")
    p.add_argument("--testdata", default=DEFAULT_TESTDATA,
                   help="seeds an empty database (default: tools/testdata/testdata.json)")
    p.add_argument("--qrpay", default=DEFAULT_QRPAY, help="the wallet simulator's test payment "
                   "codes and phone wallets, added to the store when missing (default: "
                   "tools/testdata/qrpay.json)")
    p.add_argument("--script-card", action="append", default=[], metavar="NAME",
                   help="the test card NAME gets an issuer script (72) with its online chip "
                   "answers until a script result says it ran (repeatable)")
    p.add_argument("--web-port", type=int, help="also serve the merchant back-office on this port "
                   "(0 picks a free one; `WEB n` follows `PORT n` on stdout)")
    p.add_argument("--web-host", default="127.0.0.1", help="the back-office's bind address")
    p.set_defaults(run=_serve)

    p = commands.add_parser("transactions", help="print stored transactions as JSON")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.set_defaults(run=_transactions)

    p = commands.add_parser("qr-orders", help="print the wallets' QR orders (扫码) as JSON")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.set_defaults(run=_qr_orders)

    p = commands.add_parser("phone-pays", help="a customer's phone pays a QR code's order with a "
                            "test wallet; prints the wallet's answer")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.add_argument("--text", required=True, help="the QR code's text, e.g. https://qr.acquirer.test/o/ON")
    p.add_argument("--wallet", required=True, metavar="NAME",
                   help="the test wallet: wallet_ok, wallet_slow or wallet_poor")
    p.add_argument("--clock", metavar="ISO", help="the phone's local time (default: China's time now)")
    p.add_argument("--clock-file", metavar="PATH", help="... or read from this file, as serve does")
    p.set_defaults(run=_phone_pays)

    p = commands.add_parser("cards", help="print card balances and PIN counts as JSON")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.set_defaults(run=_cards)

    p = commands.add_parser("backups", help="print the terminals' backups (size, SHA-256, when) as JSON")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.set_defaults(run=_backups)
    p = commands.add_parser("bills", help="print bill accounts, amounts due and paid state as JSON")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.set_defaults(run=_bills)

    p = commands.add_parser("settlements", help="print settled and settling batches as JSON")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.set_defaults(run=_settlements)

    p = commands.add_parser("set-params", help="change a terminal's parameters and have it "
                            "download them")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.add_argument("--terminal", required=True)
    p.add_argument("--name", help="merchant name (MN), default the terminal's merchant name")
    p.add_argument("--max-fen", type=int, help="largest amount of one transaction (MX), fen")
    p.add_argument("--nosign-fen", type=int, help="免签 limit (NS), fen: above it the cardholder signs")
    p.add_argument("--qr-base", metavar="URL", help="the base of the terminal's QR texts (QB), "
                   "ending in /; default https://qr.acquirer.test/")
    p.set_defaults(run=_set_params)

    p = commands.add_parser("resign", help="ask a terminal to sign in again")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.add_argument("--terminal", required=True)
    p.set_defaults(run=_resign)

    p = commands.add_parser("unlock", help="clear a card's wrong-PIN count")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.add_argument("--pan", required=True)
    p.set_defaults(run=_unlock)

    p = commands.add_parser("script", help="send a card an issuer script with its online chip "
                            "answers until a script result says it ran")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.add_argument("--card", required=True, metavar="NAME", help="the card's name in the test data")
    p.add_argument("--clear", action="store_true", help="send it none")
    p.set_defaults(run=_script)

    p = commands.add_parser("add-terminal", help="register another terminal")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.add_argument("--terminal", required=True)
    p.add_argument("--merchant", required=True)
    p.add_argument("--name", default="")
    p.add_argument("--tmk", required=True)
    p.set_defaults(run=_add_terminal)

    p = commands.add_parser("add-user", help="add a back-office user: a merchant's, or acquirer staff")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--merchant", metavar="MID", help="the merchant whose receipts the user sees")
    who.add_argument("--staff", action="store_true", help="acquirer staff: every merchant, the terminals page")
    p.add_argument("--user", required=True)
    p.add_argument("--password-file", required=True, help="a file holding the password (first line)")
    p.set_defaults(run=_add_user)

    p = commands.add_parser("publish-update", help="sign and publish an application image for a board")
    p.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    p.add_argument("--board", required=True, help="board name, as in the slot's board.py")
    p.add_argument("--dir", required=True, help="the slot tree, e.g. build/<board>/slot_a")
    p.add_argument("--version", required=True, help="as in the slot's VERSION, e.g. 1.2.0")
    p.add_argument("--key", required=True, help="P-256 private key PEM "
                   "(tools/testdata/update_test_key.pem is the test key)")
    p.add_argument("--terminal", action="append", default=[], metavar="TID",
                   help="a terminal that runs this board (repeatable): it is asked to update")
    p.set_defaults(run=_publish_update)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
