# The device with its payment-code scanner and colour LCD: a QR sale from a code the scan engine
# read, and the terminal's own code drawn on the glass (a module of its own: the VM's heap holds
# each test module's code, and test_flow_device's signed sale needs what is left).
from devicekit import Device, Scans, keys, login, run, until
from pos import store
from runtime import device
from vmutil import rmtree, tmpdir
from flowkit import PROVISION
from qrkit import QrHost
from devicekit import Board


def _provisioned():
    state = tmpdir("device")
    store.save(state, "provision", PROVISION)
    store.save(state, "settings", {"wifi_ssid": "shop", "wifi_password": "secret"})
    return state


def _start(dev, state):
    return device.start("firmware", dev.machine, dev.network, dev.socket, root=".", board=Board,
                        state=state, select=dev.socket)


def test_a_payment_code_read_by_the_scanner_pays_and_the_terminal_shows_its_own_code():
    dev, state = Device(QrHost()), _provisioned()
    shell, _missing = _start(dev, state)
    assert shell.app.qr_area == (0, 64, 320, 160)
    scans = Scans(shell.keypad)
    seen = []

    async def script():
        await login(shell, dev, scans)
        assert not shell.scanning
        await keys(dev, scans, "ENTER 2 1 5 0 0 ENTER")
        await until(shell, "请扫描付款码")
        await scans.wait(2)
        seen.append(shell.scanning)                  # triggered while the flow waits for a code
        dev.machine.scanner().present("134567890123456781")
        await until(shell, "请撕下")
        seen.append(shell.scanning)
        await keys(dev, scans, "ENTER")
        await until(shell, "授权码")
        await keys(dev, scans, "ENTER")
        await until(shell, "欢迎使用")
        dev.host.rules["qr_query"] = lambda req: {39: "Q1"}
        rects = []
        fill_rect = shell.lcd.fill_rect

        def counted(x, y, w, h, colour):
            rects.append((x, y, w, h))
            fill_rect(x, y, w, h, colour)
        shell.lcd.fill_rect = counted
        await keys(dev, scans, "ENTER 2 2 9 9 ENTER")
        await until(shell, "请顾客扫码付款")
        await scans.wait(4)
        seen.append(rects[0] if rects else None)
        seen.append(len(rects))
        await keys(dev, scans, "CANCEL")
        await until(shell, "订单已关闭")
    run(shell, script)
    # The code's quiet square centred in the area under the amount (version 3, 37 modules at scale 4),
    # then its dark runs, drawn once.
    assert seen[:3] == [True, False, (86, 70, 148, 148)] and 100 < seen[3] < 600, seen
    assert dev.host.kinds == ["signin", "qr_sale", "qr_order", "qr_cancel"], dev.host.kinds
    [sale] = [r for r in shell.app.journal.records() if r.get("k") == "qr_sale"]
    assert sale["st"] == "approved" and sale["code"] == "134567********6781"
    rmtree(state)
