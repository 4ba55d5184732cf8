"""The device's start: the board's drivers, the App on /state, the link, the shell's loop.

`main(slot)` is what /main.py calls once bootsel has chosen the slot. The
hardware modules (`machine`, `network`, `socket`) and the filesystem root are
parameters, so the whole start runs on the host with fakes
(host_tests/vm/test_device.py boots it and sells through it).
"""
import asyncio
import os


class NotProvisioned(Exception):
    """No terminal id, merchant id and TMK on /state: `make provision`, over the REPL."""


def _screen(lcd, font, title, lines):
    from pos.screen import Screen
    lcd.show(Screen(title, lines).rows(lcd.cols, lcd.layout_rows), None, font)


def start(slot, machine, network=None, socket=None, root="", board=None, on_idle=None, state=None, select=None,
          parts=None):
    """(shell, missing parts) for the slot: everything built, nothing running yet.

    state: the App's directory, root + "/state" unless given (a test's own).
    parts: {name: driver} the caller made itself, beside the board's and in place of one of the
    same name (the simulator's LCD, keypad and printer).
    """
    from pos import i18n
    from pos.app import App
    from pos.font import Font
    from runtime.board import build
    from runtime.link import Link
    from runtime.shell import Shell
    if board is None:
        import board
    assets = root + "/" + slot + "/assets"
    i18n.use(assets)
    built, missing = build(board, machine, network, socket, select)
    if parts:
        built.update(parts)
    parts = built
    font = Font(assets + "/font16.bin")
    lcd = parts.get("lcd")
    if lcd is not None:
        lcd.init()
    rtc = parts.get("rtc")
    clock = rtc.now if rtc is not None else _unix_time
    state = state or root + "/state"
    try:
        os.mkdir(state)
    except OSError:
        pass
    try:
        app = App(state, clock, None, assets)
    except ValueError as e:
        if lcd is not None:
            _screen(lcd, font, i18n.t("not_provisioned"), [i18n.t("provision_first")])
        raise NotProvisioned(str(e))
    app.readers = tuple(name for name in ("icc", "nfc") if name in parts)
    if "touch" in parts and lcd is not None:
        # The cardholder signs between the title's two rows and the hint's: pos.screen's layout.
        app.touch_area = lcd.rows_area(2, lcd.nrows - 3)
    if lcd is not None and hasattr(lcd, "fill_rect"):
        # A QR code is shown under the title, the rule and two lines (the amount, what to do), above
        # the hint.
        app.qr_area = lcd.rows_area(4, lcd.nrows - 5)
    link = Link(app.settings, parts.get("wifi"), parts.get("modem"))
    wdt = machine.WDT(timeout=30000) if hasattr(machine, "WDT") else None
    statvfs = getattr(os, "statvfs", None)
    shell = Shell(app, parts, link, font, wdt, getattr(machine, "reset", None), on_idle, statvfs)
    return shell, missing


def _unix_time():
    import time
    return int(time.time())


def main(slot, root=""):
    import machine
    import network
    import select
    import socket
    import bootsel
    shell, _missing = start(slot, machine, network, socket, root,
                            on_idle=lambda: bootsel.confirm(root), select=select)
    asyncio.run(shell.run())
