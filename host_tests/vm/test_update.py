# pos.update: an image checked, staged and switched in; every refusal leaves the running slot as it was.
import hashlib
import json
import os
from binascii import hexlify

import bootsel
from pos import update
from pos.i18n import Catalog
from pos.update import Slot, Update, UpdateError
from updkit import (BOARD, OTHER_D, Cut, Flash, Image, exists, public_key, read, read_tree, receive,
                    sha256_hex, sign_digest, slot_files)
from vmutil import asset_path


def _reason(fn, *args):
    try:
        fn(*args)
    except UpdateError as e:
        return e.reason
    return None


def _refused(flash, image, reason, chunk=400):
    up = Update(Slot(flash.assets))
    up.begin()
    got = _reason(receive, up, image, chunk)
    up.abandon()
    assert got == reason, (got, reason)
    assert read_tree(flash.root + "/slot_a") == flash.running
    assert not exists(up.staging) and read(flash.root + "/current") == "a" and not exists(flash.root + "/trial")


def test_a_good_image_is_staged_in_the_other_slot_and_switched_in_on_trial():
    flash = Flash()
    image = Image("1.1.0")
    up = Update(Slot(flash.assets))
    assert (up.slot.board, up.slot.version, up.slot.name) == (BOARD, "1.0.0", "slot_a")
    up.begin()
    receive(up, image)
    assert up.total() == sum(len(data) for data in image.files.values())
    up.install()
    got = read_tree(flash.root + "/slot_b")
    assert got.pop("MANIFEST.json") == image.manifest
    assert got == image.files
    assert read_tree(flash.root + "/slot_a") == flash.running
    assert not exists(up.staging)
    assert read(flash.root + "/current") == "b" and read(flash.root + "/trial") == "a 0"
    assert bootsel.select(flash.root) == "slot_b"
    flash.close()


def test_the_new_slot_checks_the_next_image_with_the_key_it_brought():
    flash = Flash()
    new_key = public_key(OTHER_D)
    up = Update(Slot(flash.assets))
    up.begin()
    receive(up, Image("1.1.0", new_key=new_key))
    up.install()
    bootsel.select(flash.root)
    bootsel.confirm(flash.root)
    slot = Slot(flash.root + "/slot_b/assets")
    assert slot.key == new_key and slot.version == "1.1.0" and slot.other == "slot_a"
    up = Update(slot)
    up.begin()
    assert _reason(receive, up, Image("1.2.0")) == "signature"
    up.abandon()
    up = Update(slot)
    up.begin()
    receive(up, Image("1.2.0", d=OTHER_D, new_key=new_key))
    up.install()
    assert read(flash.root + "/current") == "a" and read(flash.root + "/trial") == "b 0"
    flash.close()


def test_an_image_signed_with_another_key_is_refused():
    flash = Flash()
    _refused(flash, Image("1.1.0", d=OTHER_D), "signature")
    image = Image("1.1.0")
    image.signature = image.signature[:32] + bytes(32)
    _refused(flash, image, "signature")
    flash.close()


def test_an_image_for_another_board_is_refused_with_its_own_error():
    flash = Flash()
    _refused(flash, Image("1.1.0", board="esp32s3_handheld"), "board")
    flash.close()


def test_an_older_image_is_refused_and_the_same_version_is_nothing_to_do():
    flash = Flash("1.2.0")
    _refused(flash, Image("1.1.9"), "older")
    _refused(flash, Image("1.2"), "latest")
    _refused(flash, Image("1.2.0"), "latest")
    assert update.parse_version("1.10") > update.parse_version("1.9.9")
    assert update.parse_version("2") == (2, 0, 0, 0)
    for bad in ("", "1.", "a.b", "1.2.3.4.5", "123456", "-1", None):
        assert _reason(update.parse_version, bad) == "manifest", bad
    flash.close()


def test_a_truncated_file_is_refused():
    flash = Flash()
    image = Image("1.1.0")
    up = Update(Slot(flash.assets))
    up.begin()
    receiver = up.manifest_receiver(len(image.manifest))
    receiver.write(0, image.manifest[:400])
    receiver.write(400, image.manifest[400:])
    up.accept_manifest(receiver, image.signature)
    receiver = up.file_receiver(0)
    data = image.files[up.entry(0)[0]]
    receiver.write(0, data[:1])
    assert _reason(receiver.write, 1, b"") == "truncated"         # the host had no more
    assert _reason(up.file_received, receiver) == "truncated"
    up.abandon()
    assert not exists(up.staging) and read_tree(flash.root + "/slot_a") == flash.running
    assert _reason(up.install) == "truncated"
    flash.close()


def test_a_file_whose_bytes_do_not_hash_as_listed_is_refused():
    flash = Flash()
    files = slot_files(version="1.1.0")
    image = Image("1.1.0", files=files)
    files["pos/app.py"] = files["pos/app.py"][:-1] + b"?"     # same size, other bytes
    _refused(flash, image, "corrupt")
    flash.close()


def _cut_off(flash, image, whole, part):
    """A download of image stopped after `whole` files and `part` bytes of the next one."""
    up = Update(Slot(flash.assets))
    up.begin()
    receive(up, image, 4, files=whole)
    receiver = up.file_receiver(whole)
    data = image.files[up.entry(whole)[0]]
    for offset in range(0, part, 4):
        receiver.write(offset, data[offset:offset + 4])
    up.suspend()
    return up


def _installed_whole(up, flash, image):
    """Install what up received; the new slot must then hold image exactly."""
    up.install()
    got = read_tree(flash.root + "/slot_b")
    assert got.pop("MANIFEST.json") == image.manifest and got == image.files
    flash.close()


def test_a_download_cut_off_goes_on_from_the_byte_it_stopped_at():
    flash = Flash()
    image = Image("1.1.0")
    _cut_off(flash, image, 2, 8)
    up = Update(Slot(flash.assets))
    up.begin()
    starts = receive(up, image)
    assert starts == [up.entry(0)[1], up.entry(1)[1], 8] + [0] * (up.count - 3), starts
    _installed_whole(up, flash, image)


def test_a_kept_file_damaged_on_flash_is_fetched_again():
    flash = Flash()
    image = Image("1.1.0")
    up = _cut_off(flash, image, 2, 0)
    path = up.staging + "/" + up.entry(0)[0]
    data = read(path)
    with open(path, "w") as f:
        f.write(data[:-1] + ("?" if data[-1] != "?" else "!"))      # same size, other bytes
    up = Update(Slot(flash.assets))
    up.begin()
    assert receive(up, image)[:2] == [0, up.entry(1)[1]]
    _installed_whole(up, flash, image)


def test_another_manifest_starts_the_staging_afresh():
    flash = Flash()
    _cut_off(flash, Image("1.1.0"), 2, 8)
    newer = Image("1.2.0")
    up = Update(Slot(flash.assets))
    up.begin()
    assert receive(up, newer, files=0) == []
    assert sorted(os.listdir(up.staging)) == ["MANIFEST.json", "MANIFEST.json.idx"]
    assert read(up.staging + "/MANIFEST.json") == newer.manifest.decode()
    flash.close()


def test_bytes_beyond_the_listed_size_or_out_of_order_are_refused():
    flash = Flash()
    image = Image("1.1.0")
    up = Update(Slot(flash.assets))
    up.begin()
    receiver = up.manifest_receiver(len(image.manifest))
    assert _reason(receiver.write, 10, image.manifest[10:20]) == "corrupt"
    assert _reason(receiver.write, 0, image.manifest + b"x") == "corrupt"
    up.abandon()
    assert _reason(up.manifest_receiver, 0) == "manifest"
    assert _reason(up.manifest_receiver, update.MANIFEST_MAX + 1) == "manifest"
    flash.close()


def _manifest(entries, board=BOARD, version="1.1.0"):
    return json.dumps({"board": board, "version": version, "files": entries}).encode()


def test_a_signed_manifest_that_is_not_a_slot_is_refused():
    flash = Flash()
    good = [[p, 1, "0" * 64] for p in update.REQUIRED]
    bad_manifests = [
        b"not json",
        b"[1, 2]",
        _manifest(good + [["../escape", 1, "0" * 64]]),
        _manifest(good + [["/abs", 1, "0" * 64]]),
        _manifest(good + [["a//b", 1, "0" * 64]]),
        _manifest(good + [["MANIFEST.json", 1, "0" * 64]]),
        _manifest(good + [["pos/app.py", 1, "0" * 64], ["pos/app.py", 1, "0" * 64]]),
        _manifest(good + [["pos", 1, "0" * 64], ["pos/app.py", 1, "0" * 64]]),
        _manifest(good + [["pos/app.py", -1, "0" * 64]]),
        _manifest(good + [["pos/app.py", 1, "0" * 63]]),
        _manifest(good + [["pos/app.py", 1, "G" * 64]]),
        _manifest(good[1:]),                                          # no VERSION
        _manifest(good, version="one"),
        _manifest([]),
    ]
    for manifest in bad_manifests:
        _refused(flash, Image("1.1.0", manifest=manifest), "manifest")
    flash.close()


def test_a_slot_whose_version_or_board_file_disagrees_with_the_manifest_is_not_switched_in():
    flash = Flash()
    files = slot_files(version="1.1.0")
    files["VERSION"] = b"1.0.9\n"
    up = Update(Slot(flash.assets))
    up.begin()
    receive(up, Image("1.1.0", files=files))
    assert _reason(up.install) == "manifest"
    up.abandon()
    assert read(flash.root + "/current") == "a" and not exists(flash.root + "/trial")
    flash.close()


class _FullFlash:
    """os, with a filesystem of one free 4 KB block."""

    def __getattr__(self, name):
        import os
        return getattr(os, name)

    def statvfs(self, path):
        return (4096, 4096, 256, 1, 1, 0, 0, 0, 0, 255)


def test_an_image_that_does_not_fit_the_flash_is_refused_before_a_file_is_written():
    import os
    flash = Flash()
    update.os = _FullFlash()
    try:
        _refused(flash, Image("1.1.0"), "space")
    finally:
        update.os = os
    flash.close()


def test_no_update_while_the_running_slot_is_itself_on_trial():
    flash = Flash()
    with open(flash.root + "/trial", "w") as f:
        f.write("b 1")
    assert _reason(Update(Slot(flash.assets)).begin) == "pending"
    flash.close()


def test_a_terminal_not_running_from_a_slot_or_without_a_key_cannot_update():
    flash = Flash()
    assert _reason(Slot, flash.root + "/state/assets") == "no_slot"
    assert _reason(Slot, asset_path("")) == "no_slot"
    import os
    os.remove(flash.root + "/slot_a/assets/update_key.bin")
    assert _reason(Slot, flash.assets) == "no_key"
    flash.close()


_PERIOD = bytes(range(251)) + bytes(range(251)) + bytes(range(251))


def _pattern(offset, n):
    """Bytes offset..offset+n (n <= 400) of a big file that is never whole in RAM."""
    return _PERIOD[offset % 251:offset % 251 + n]


def test_a_file_larger_than_the_heap_is_received_through_a_small_buffer():
    flash = Flash()
    size = 300 * 1024                                    # well over a 110 KB heap
    digest = hashlib.sha256()
    for offset in range(0, size, 400):
        digest.update(_pattern(offset, min(400, size - offset)))
    files = slot_files(version="1.1.0")
    entries = [[path, len(files[path]), sha256_hex(files[path])] for path in sorted(files)]
    entries.append(["assets/font16.bin", size, hexlify(digest.digest()).decode()])
    image = Image("1.1.0", files=files, manifest=_manifest(entries))
    up = Update(Slot(flash.assets))
    up.begin()
    receiver = up.manifest_receiver(len(image.manifest))
    receiver.write(0, image.manifest)
    up.accept_manifest(receiver, image.signature)
    for i in range(up.count):
        path, size, _sha = up.entry(i)
        receiver = up.file_receiver(i)
        while not receiver.complete:
            n = min(400, size - receiver.done)
            data = _pattern(receiver.done, n) if path == "assets/font16.bin" else files[path][receiver.done:][:n]
            receiver.write(receiver.done, data)
        up.file_received(receiver)
    up.install()
    import os
    assert os.stat(flash.root + "/slot_b/assets/font16.bin")[6] == 300 * 1024
    flash.close()


def test_a_power_cut_at_any_step_of_the_install_boots_the_old_slot_or_the_whole_new_one():
    probe = Flash()
    image = Image("1.1.0")
    up = Update(Slot(probe.assets))
    up.begin()
    receive(up, image)
    with Cut(0, [update, bootsel]) as counted:
        up.install()
    probe.close()
    assert counted.steps >= 5
    for n in range(1, counted.steps + 1):
        flash = Flash()
        up = Update(Slot(flash.assets))
        up.begin()
        receive(up, image)
        with Cut(n, [update, bootsel]):
            up.install()
        slot = bootsel.select(flash.root)
        assert read_tree(flash.root + "/slot_a") == flash.running, n
        if slot == "slot_b":
            got = read_tree(flash.root + "/slot_b")
            got.pop("MANIFEST.json")
            assert got == image.files and read(flash.root + "/trial") == "a 1", n
        else:
            assert slot == "slot_a" and not exists(flash.root + "/trial"), n
            up = Update(Slot(flash.assets))                   # the next try goes on and succeeds
            up.begin()
            receive(up, image)
            up.install()
            assert bootsel.select(flash.root) == "slot_b"
        flash.close()


def test_an_update_that_never_reaches_the_idle_screen_is_rolled_back_to_the_untouched_slot():
    flash = Flash()
    up = Update(Slot(flash.assets))
    up.begin()
    receive(up, Image("1.1.0"))
    up.install()
    assert [bootsel.select(flash.root) for _ in range(3)] == ["slot_b", "slot_b", "slot_a"]
    assert read_tree(flash.root + "/slot_a") == flash.running
    assert Slot(flash.assets).version == "1.0.0"
    up = Update(Slot(flash.assets))                          # and it can be tried again
    up.begin()
    receive(up, Image("1.1.0"))
    up.install()
    assert bootsel.select(flash.root) == "slot_b"
    flash.close()


def test_every_refusal_has_a_text_in_both_catalogs():
    for lang in ("zh", "en"):
        catalog = Catalog(asset_path("lang/%s.txt" % lang))
        for reason in update.REASONS:
            assert catalog.get(("update_" + reason).encode()), (lang, reason)
        catalog.close()


def test_a_long_file_list_is_read_back_from_the_index_on_flash_in_any_order():
    # The manifest is made, hashed and fed a piece at a time, each time afresh: this module's
    # heap has no room for it whole, nor for its file list in a dict.
    flash = Flash()
    slot = slot_files(version="1.1.0")

    def entries():
        for path in sorted(slot):
            yield path, len(slot[path]), hashlib.sha256(slot[path]).digest()
        for i in range(150):
            data = b"m%d" % i
            yield "zz/m%03d.mpy" % i, len(data), hashlib.sha256(data).digest()

    def pieces():
        yield b'{"board": "%s", "version": "1.1.0", "files": [' % BOARD.encode()
        for i, (path, size, sha) in enumerate(entries()):
            yield b'%s["%s", %d, "%s"]' % (b"," if i else b"", path.encode(), size, hexlify(sha))
        yield b"]}"
    digest, total = hashlib.sha256(), 0
    for piece in pieces():
        digest.update(piece)
        total += len(piece)
    up = Update(Slot(flash.assets))
    up.begin()
    receiver = up.manifest_receiver(total)
    for piece in pieces():
        receiver.write(receiver.done, piece)
    up.accept_manifest(receiver, sign_digest(digest.digest()))
    assert up.count == 156 and up.total() == sum(size for _, size, _ in entries())
    n = 0
    for got, want in zip(up.entries(), entries()):
        assert got == want
        n += 1
    assert n == 156
    for i in (0, 1, 1, 2, 155, 3, 100, 0):
        assert up.entry(i)[0] == (sorted(slot)[i] if i < 6 else "zz/m%03d.mpy" % (i - 6)), i
    assert _reason(up.entry, 156) == "corrupt"
    flash.close()
