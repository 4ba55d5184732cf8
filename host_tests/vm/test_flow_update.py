# 程序更新: the image from the host (0800/392) into the other slot, from the menu and when the host asks.
import bootsel
from flowkit import Terminal
from pos import tlv
from updkit import OTHER_D, Flash, Image, exists, read, read_tree


def _terminal(flash, image=None):
    """Signed in at the idle screen, the App running from flash's slot_a; the host publishes image."""
    term = Terminal()
    term.app.assets_dir = flash.assets
    term.host.image = image
    term.login()
    return term


def _update_from_menu(term):
    term.menu("管理")
    term.supervisor()
    term.select("程序更新")


def _untouched(flash):
    assert read_tree(flash.root + "/slot_a") == flash.running
    assert read(flash.root + "/current") == "a" and not exists(flash.root + "/trial")
    assert not exists(flash.root + "/slot_b.new")


def _ops(term):
    """The OP item of every 392 request the host got."""
    return [tlv.decode(r[62])["OP"].decode() for r, k in zip(term.host.requests, term.host.kinds)
            if k == "app_download"]


def _files_asked(term):
    """(path, offset) of every 392 file request the host got."""
    asked = [tlv.decode(r[62]) for r, k in zip(term.host.requests, term.host.kinds) if k == "app_download"]
    return [(a["NM"].decode(), int(a["OF"])) for a in asked if a["OP"] == b"file"]


def _pieces(image):
    """(path, offset) of every 400-byte piece of the image's files, in the manifest's order."""
    pieces = []
    for path in image.order():
        pieces.extend((path, offset) for offset in range(0, len(image.files[path]), 400))
    return pieces


def _close(term, flash):
    term.close()
    flash.close()


def test_the_new_version_is_fetched_in_pieces_checked_switched_in_and_the_terminal_restarts():
    flash = Flash("1.0.0")
    image = Image("1.1.0")
    term = _terminal(flash, image)
    _update_from_menu(term)
    assert "发现新版本" in term.screen and "1.0.0 -> 1.1.0" in term.screen, term.screen
    term.keys("ENTER")
    assert "更新完成" in term.screen and "1.1.0" in term.screen and "终端即将重启" in term.screen
    assert term.restarts == 0
    term.keys("ENTER")
    assert term.restarts == 1
    got = read_tree(flash.root + "/slot_b")
    assert got.pop("MANIFEST.json") == image.manifest and got == image.files
    assert read(flash.root + "/current") == "b" and read(flash.root + "/trial") == "a 0"
    assert read_tree(flash.root + "/slot_a") == flash.running
    requests = [r for r, k in zip(term.host.requests, term.host.kinds) if k == "app_download"]
    asked = [tlv.decode(r[62]) for r in requests]
    assert asked[0]["OP"] == b"manifest" and asked[0]["BD"] == b"esp32_countertop" and asked[0]["VR"] == b"1.0.0"
    assert _files_asked(term) == _pieces(image)
    assert all(r[0] == "0800" and r[60][8:11] == "392" and 64 in r for r in requests)
    assert bootsel.select(flash.root) == "slot_b"
    _close(term, flash)


def test_the_host_asking_for_an_update_starts_it_at_the_next_idle_screen_and_waits_for_no_one():
    flash = Flash("1.0.0")
    term = _terminal(flash, Image("1.2.0"))
    term.host.requirement = 6
    term.sale(100)
    term.keys("ENTER")
    assert "发现新版本" in term.screen, term.screen
    term.advance(61)                                        # nobody at the counter: it goes ahead
    assert "更新完成" in term.screen, term.screen
    term.advance(6)
    assert term.restarts == 1 and read(flash.root + "/current") == "b"
    assert not term.app.update_due
    _close(term, flash)


def test_the_merchant_may_put_off_an_update_the_host_asked_for():
    flash = Flash("1.0.0")
    term = _terminal(flash, Image("1.2.0"))
    term.host.requirement = 6
    term.sale(100)
    term.host.requirement = 0
    term.keys("ENTER")
    assert "发现新版本" in term.screen
    term.keys("CANCEL")
    assert "欢迎使用" in term.screen and not term.app.update_due
    assert _ops(term) == ["manifest"] * _ops(term).count("manifest") and _ops(term)
    _untouched(flash)
    _close(term, flash)


def test_an_image_signed_with_another_key_is_refused_and_nothing_is_written():
    flash = Flash("1.0.0")
    term = _terminal(flash, Image("1.1.0", d=OTHER_D))
    _update_from_menu(term)
    assert "更新失败" in term.screen and "更新签名错误" in term.screen, term.screen
    _untouched(flash)
    term.keys("ENTER")
    assert "管理" in term.screen
    _close(term, flash)


def test_an_image_for_another_board_is_refused():
    flash = Flash("1.0.0")
    term = _terminal(flash, Image("1.1.0", board="esp32s3_handheld"))
    _update_from_menu(term)
    assert "机型不符" in term.screen, term.screen
    _untouched(flash)
    _close(term, flash)


def test_bytes_damaged_on_the_way_are_refused():
    flash = Flash("1.0.0")
    term = _terminal(flash, Image("1.1.0"))
    term.host.image.files["pos/app.py"] = term.host.image.files["pos/app.py"][:-1] + b"#"
    _update_from_menu(term)
    term.keys("ENTER")
    assert "文件校验错误" in term.screen, term.screen
    _untouched(flash)
    _close(term, flash)


def test_a_file_the_host_cuts_short_is_refused():
    flash = Flash("1.0.0")
    term = _terminal(flash, Image("1.1.0"))
    image = term.host.image
    manifest_size = {path: len(image.files[path]) for path in image.files}
    image.files["pos/app.py"] = image.files["pos/app.py"][:500]
    _update_from_menu(term)
    term.keys("ENTER")
    assert "更新失败" in term.screen and "文件校验错误" in term.screen, term.screen   # SZ is not the listed size
    assert manifest_size["pos/app.py"] > 500
    _untouched(flash)
    _close(term, flash)


def test_a_link_lost_in_the_middle_leaves_the_running_slot_and_the_next_try_goes_on_from_there():
    flash = Flash("1.0.0")
    image = Image("1.1.0")
    term = _terminal(flash, image)
    count = [0]

    def drop_the_tenth(req):
        count[0] += 1
        return "broken" if count[0] == 10 else None
    term.host.rules["app_download"] = drop_the_tenth
    _update_from_menu(term)
    term.keys("ENTER")
    assert "更新失败" in term.screen and "通讯中断" in term.screen, term.screen
    assert read_tree(flash.root + "/slot_a") == flash.running
    assert read(flash.root + "/current") == "a" and not exists(flash.root + "/trial")
    first = _files_asked(term)
    term.keys("ENTER")
    term.select("程序更新")
    term.keys("ENTER")
    assert "更新完成" in term.screen, term.screen
    again = _files_asked(term)[len(first):]
    assert again == _pieces(image)[len(first) - 1:]     # the piece the link lost, and the rest
    got = read_tree(flash.root + "/slot_b")
    assert got.pop("MANIFEST.json") == image.manifest and got == image.files
    _close(term, flash)


def test_nothing_published_newer_or_at_all_is_said_and_nothing_else():
    flash = Flash("1.1.0")
    term = _terminal(flash, Image("1.1.0"))
    _update_from_menu(term)
    assert "已是最新版本" in term.screen and "更新失败" not in term.screen, term.screen
    term.keys("ENTER")
    term.host.image = Image("1.0.5")
    term.select("程序更新")
    assert "版本低于当前版本" in term.screen, term.screen
    term.keys("ENTER")
    term.host.image = None
    term.select("程序更新")
    assert "无可用更新" in term.screen, term.screen
    assert read(flash.root + "/current") == "a" and not exists(flash.root + "/slot_b")
    _close(term, flash)


def test_an_update_the_host_asks_for_that_is_not_newer_passes_silently():
    flash = Flash("1.1.0")
    term = _terminal(flash, Image("1.1.0"))
    term.host.requirement = 6
    term.sale(100)
    term.keys("ENTER")
    assert "欢迎使用" in term.screen, term.screen
    assert term.host.kinds[-1] == "app_download" and not term.app.update_due
    _close(term, flash)


def test_a_terminal_not_running_from_a_slot_says_so():
    term = Terminal()
    term.login()
    _update_from_menu(term)
    assert "不支持程序更新" in term.screen, term.screen
    assert "app_download" not in term.host.kinds
    term.close()
