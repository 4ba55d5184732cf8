"""Write a terminal's identity and master key to a flashed board, once.

    python -m tools.provision --port P --terminal TID --merchant MID --tmk-file FILE [--name NAME]
                              [--wifi-ssid SSID --wifi-password-file FILE] [--apn APN] [--dry-run]

/state/provision.json is written in the firmware's store format (pos/store.py
save(), run here on CPython: a CRC line, then compact JSON) with terminal_id
(8 characters), merchant_id (15), merchant_name and tmk (32 or 48 hex digits:
a double or triple length 3DES key). The TMK comes from FILE, or from stdin
with `--tmk-file -` (a terminal prompts without echo); it is never taken from
the command line, printed or logged: it goes to the board in a private
temporary file, and the dry run shows the document with "<TMK>" in its place.

The shop's Wi-Fi (SSID, and the password from a file, never the command
line) and the 4G APN may go in the same document: a keypad cannot type them,
and the terminal takes them as its settings until the supervisor changes any.

A board that already has a provision file is refused: the file is looked for
(`fs ls`), never read. The copy goes to provision.new, is checked by
its SHA-256 on the board, then renamed to provision.json, the same
new-then-rename as the firmware's own saves.
"""
import argparse
import getpass
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile

from tools.flash import FlashError, command_line, mpremote, run_mpremote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STORE = os.path.join(ROOT, "firmware", "pos", "store.py")
STATE = "/state"
DOC = "provision"
TMK_PLACEHOLDER = "<TMK>"
TID_LEN, MID_LEN = 8, 15          # CUP fields 41 and 42 (ans 8, ans 15; firmware/pos/cup.py)
NAME_MAX = 40                     # characters: the card acceptor name's length in ISO 8583 (field 43)


class ProvisionError(Exception):
    pass


def _store():
    """The firmware's pos/store.py, loaded on its own: json, os and binascii are all it imports."""
    spec = importlib.util.spec_from_file_location("firmware_pos_store", STORE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _printable_id(value, length, what):
    if len(value) != length or not all(0x21 <= ord(c) <= 0x7E for c in value):
        raise ProvisionError("%s must be %d printable ASCII characters without spaces (got %d characters)"
                             % (what, length, len(value)))
    return value


def check_terminal_id(value):
    return _printable_id(value, TID_LEN, "terminal id")


def check_merchant_id(value):
    return _printable_id(value, MID_LEN, "merchant id")


def check_name(value):
    if not value.strip() or len(value) > NAME_MAX or not value.isprintable():
        raise ProvisionError("merchant name must be 1 to %d printable characters" % NAME_MAX)
    return value


def check_tmk(text):
    """The TMK as upper-case hex; the error never shows the key, only what is wrong with it."""
    tmk = "".join(text.split()).upper()
    if len(tmk) not in (32, 48):
        raise ProvisionError("TMK must be 32 or 48 hex digits (a double or triple length key): %d read"
                             % len(tmk))
    if not all(c in "0123456789ABCDEF" for c in tmk):
        raise ProvisionError("TMK must be hex digits only")
    return tmk


def read_tmk(tmk_file, stdin=None):
    stdin = stdin or sys.stdin
    if tmk_file == "-":
        text = getpass.getpass("TMK (hex): ") if stdin.isatty() else stdin.read()
    else:
        try:
            with open(tmk_file, encoding="ascii", errors="replace") as f:
                text = f.read(4096)
        except OSError as e:
            raise ProvisionError("cannot read the TMK file %s: %s" % (tmk_file, e.strerror))
    return check_tmk(text)


def document(terminal_id, merchant_id, tmk, name=None, link=None):
    """The provision document; link: {"wifi_ssid", "wifi_password", "apn"} (any of them)."""
    doc = {"terminal_id": check_terminal_id(terminal_id), "merchant_id": check_merchant_id(merchant_id)}
    if name is not None:
        doc["merchant_name"] = check_name(name)
    for key, value in sorted((link or {}).items()):
        if value is not None:
            if not isinstance(value, str) or not 0 < len(value.encode()) <= 64 or "\n" in value:
                raise ProvisionError("%s must be 1 to 64 bytes on one line" % key)
            doc[key] = value
    doc["tmk"] = check_tmk(tmk)
    return doc


def read_secret(path, stdin=None):
    """A password from a file, or stdin for "-": one line, never from the command line."""
    stdin = stdin or sys.stdin
    if path == "-":
        return getpass.getpass("Wi-Fi password: ") if stdin.isatty() else stdin.readline().rstrip("\n")
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline().rstrip("\n")
    except OSError as e:
        raise ProvisionError("cannot read %s: %s" % (path, e.strerror))


def document_bytes(doc):
    """The bytes store.save() writes for doc, made by that code."""
    tmp = tempfile.mkdtemp(prefix="provision-")
    try:
        _store().save(tmp, DOC, doc)
        with open(os.path.join(tmp, DOC + ".json"), "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(tmp)


def _listing(out):
    """Names in `mpremote fs ls` output: lines of "<size> <name>", directories ending in "/"."""
    names = set()
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].isdigit():
            names.add(parts[1].rstrip("/"))
    return names


def provision(port, terminal_id, merchant_id, tmk, name=None, dry_run=False, runner=run_mpremote, out=print,
              link=None):
    doc = document(terminal_id, merchant_id, tmk, name, link)
    new, final = "%s/%s.new" % (STATE, DOC), "%s/%s.json" % (STATE, DOC)
    list_root = mpremote(port, "fs", "ls", ":/")
    list_state = mpremote(port, "fs", "ls", ":" + STATE)
    mkdir = mpremote(port, "fs", "mkdir", ":" + STATE)
    verify = mpremote(port, "fs", "sha256sum", ":" + new)
    rename = mpremote(port, "exec", 'import os; os.rename("%s", "%s")' % (new, final))
    if dry_run:
        shown = dict(doc, tmk=TMK_PLACEHOLDER)
        if "wifi_password" in shown:
            shown["wifi_password"] = "<WIFI PASSWORD>"
        body = document_bytes(shown).split(b"\n", 1)[1].decode("utf-8")
        out("# %s: a CRC-32 line (pos/store.py), then %s" % (final, body))
        out(command_line(list_root) + "    # is there a %s?" % STATE)
        out(command_line(list_state) + "    # if so: refused when it holds %s.json or %s.new" % (DOC, DOC))
        out(command_line(mkdir) + "    # if not")
        out(command_line(mpremote(port, "fs", "cp", "<temporary file>", ":" + new)))
        out(command_line(verify) + "    # must be the SHA-256 of the file sent")
        out(command_line(rename))
        return 0

    data = document_bytes(doc)
    if STATE.strip("/") in _listing(_capture(list_root, runner, out)):
        present = _listing(_capture(list_state, runner, out)) & {DOC + ".json", DOC + ".new"}
        if present:
            raise ProvisionError("the board is already provisioned (%s/%s exists): the TMK is written once; "
                                 "to provision it again erase its state first (python -m tools.flash --wipe-state)"
                                 % (STATE, sorted(present)[0]))
    else:
        _capture(mkdir, runner, out)
    tmp = tempfile.mkdtemp(prefix="provision-")       # 0700: only this user can read the key on the way
    try:
        local = os.path.join(tmp, DOC + ".new")
        fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        _capture(mpremote(port, "fs", "cp", local, ":" + new), runner, out)
    finally:
        shutil.rmtree(tmp)
    if hashlib.sha256(data).hexdigest() not in _capture(verify, runner, out):
        runner(mpremote(port, "fs", "rm", ":" + new), capture=True)
        raise ProvisionError("the copy on the board does not match what was sent; it was removed, try again")
    _capture(rename, runner, out)
    out("provisioned: terminal %s, merchant %s" % (doc["terminal_id"], doc["merchant_id"]))
    return 0


def _capture(argv, runner, out):
    """Run one mpremote command, its output kept from the screen; the output."""
    out(command_line(argv))
    status, text, err = runner(argv, capture=True)
    if status:
        raise ProvisionError("mpremote failed (exit %d): %s" % (status, err.strip()))
    return text


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # Whatever was mistyped is not echoed: it may be a key given where it must never be.
        if "unrecognized arguments" in message:
            message = "unrecognized arguments (not shown): the TMK is read from --tmk-file, never the command line"
        argparse.ArgumentParser.error(self, message)


def main(argv=None, stdin=None, runner=run_mpremote):
    ap = _Parser(prog="python -m tools.provision", description=__doc__, allow_abbrev=False,
                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", required=True, help="the board's serial port")
    ap.add_argument("--terminal", required=True, help="terminal id (8 characters, CUP field 41)")
    ap.add_argument("--merchant", required=True, help="merchant id (15 characters, CUP field 42)")
    ap.add_argument("--tmk-file", required=True, metavar="FILE", help="file holding the TMK in hex; - for stdin")
    ap.add_argument("--name", help="merchant name printed on the slips")
    ap.add_argument("--wifi-ssid", help="the shop's Wi-Fi network")
    ap.add_argument("--wifi-password-file", metavar="FILE", help="file holding the Wi-Fi password; - for stdin")
    ap.add_argument("--apn", help="the 4G access point name, if the SIM needs one")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = ap.parse_args(argv)
    try:
        tmk = read_tmk(args.tmk_file, stdin)
        link = {"wifi_ssid": args.wifi_ssid, "apn": args.apn,
                "wifi_password": read_secret(args.wifi_password_file, stdin) if args.wifi_password_file else None}
        return provision(args.port, args.terminal, args.merchant, tmk, args.name, args.dry_run, runner, link=link)
    except (ProvisionError, FlashError) as e:
        print("provision failed: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
