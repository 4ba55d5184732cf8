"""The acquirer's application download: images published from a slot tree and signed, served in
400-byte pieces over 0800/392, and header requirement 6 while a terminal has not fetched the newest.
The terminal is test_acquirer_menu's independent one (pyiso8583, cryptography); the signature is
checked with `cryptography` and with the firmware's own verifier."""
import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from pos import ecdsa
from test_acquirer import CARDS, MID, ROOT, TESTDATA, TID, cli
from test_acquirer_menu import MenuTerminal, query
from tools.acquirer import handlers, store, updates

GOOD = CARDS["good"]
BOARD = "esp32_countertop"
TEST_PEM = os.path.join(ROOT, "tools", "testdata", "update_test_key.pem")
TEST_PUBLIC = os.path.join(ROOT, "firmware", "assets", "update_key.bin")


def tlv(*items):
    out = b""
    for tag, value in items:
        raw = value.encode() if isinstance(value, str) else value
        out += tag.encode() + b"%03d" % len(raw) + raw
    return out


def items_of(data):
    """Field 62 items as bytes; every byte accounted for."""
    out, pos = {}, 0
    while pos < len(data):
        tag, size = data[pos:pos + 2].decode(), int(data[pos + 2:pos + 5])
        out[tag] = data[pos + 5:pos + 5 + size]
        pos += 5 + size
    assert pos == len(data)
    return out


def make_slot(top, version, board=BOARD, extra=None):
    """A slot tree as `make firmware` lays one out, small."""
    with open(TEST_PUBLIC, "rb") as f:
        key = f.read()
    files = {"VERSION": version + "\n", "board.py": 'NAME = "%s"\nMCU = "esp32"\n' % board,
             "assets/update_key.bin": key, "assets/lang/zh.txt": "welcome\t欢迎使用\n",
             "pos/__init__.py": b"", "pos/app.py": ("# app %s\n" % version) + "x = 1\n" * 300,
             "drivers/lcd.mpy": bytes(range(256)) * 5}
    files.update(extra or {})
    for path, data in files.items():
        full = os.path.join(top, *path.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
    return {path: (data.encode() if isinstance(data, str) else data) for path, data in files.items()}


class UpdateTerminal(MenuTerminal):
    def download(self, **items):
        order = ("OP", "BD", "VR", "NM", "OF")
        data = tlv(*[(tag, items[tag]) for tag in order if tag in items])
        return self.run({0: "0800", 11: self.next_trace(), 41: self.tid, 42: self.mid,
                         60: "00" + self.batch + "392", 62: data})[1]

    def manifest(self, version="1.0.0", board=BOARD):
        """-> (manifest bytes, signature, answers)."""
        data, answers = b"", []
        while True:
            answer = self.download(OP="manifest", BD=board, VR=version, OF=str(len(data)))
            assert answer[39] == "00" and answer.mac_ok(self.mak)
            answers.append(answer)
            got = items_of(answer[62])
            if got["SZ"] == b"0":
                return None, None, answers
            assert len(got.get("DA", b"")) <= 400
            data += got["DA"]
            if len(data) == int(got["SZ"]):
                return data, got["SG"], answers

    def fetch(self, version, path, board=BOARD):
        data, answers = b"", []
        while True:
            answer = self.download(OP="file", BD=board, VR=version, NM=path, OF=str(len(data)))
            assert answer[39] == "00" and answer.mac_ok(self.mak), answer[39]
            answers.append(answer)
            got = items_of(answer[62])
            assert len(got["DA"]) <= 400
            data += got["DA"]
            if len(data) == int(got["SZ"]):
                return data, answers


@pytest.fixture
def terminal(tmp_path):
    path = str(tmp_path / "host.db")
    db = store.Store(path)
    db.seed(TESTDATA)
    t = UpdateTerminal(handlers.Host(db), path)
    assert t.sign_in()[39] == "00"
    t.download_ic()
    yield t
    t.host.store.close()


def publish(terminal, slot, version, *terminals, key=TEST_PEM, board=BOARD):
    args = ["publish-update", "--db", terminal.db, "--board", board, "--dir", str(slot), "--version", version,
            "--key", key]
    for tid in terminals:
        args += ["--terminal", tid]
    return cli(*args)


def _verifies(manifest, signature):
    with open(TEST_PUBLIC, "rb") as f:
        raw = f.read()
    key = ec.EllipticCurvePublicNumbers(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"),
                                        ec.SECP256R1()).public_key()
    der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    key.verify(der, manifest, ec.ECDSA(hashes.SHA256()))
    return ecdsa.verify(raw, hashlib.sha256(manifest).digest(), signature)


def test_the_test_key_pair_is_marked_and_its_public_half_is_in_the_firmware_assets():
    with open(TEST_PEM, "rb") as f:
        pem = f.read()
    assert pem.startswith(b"TEST KEY - NOT FOR PRODUCTION")
    key = serialization.load_pem_private_key(pem, None)
    with open(TEST_PUBLIC, "rb") as f:
        assert updates.public_key_bytes(key) == f.read()


def test_publish_update_signs_a_manifest_of_every_file_of_the_slot_tree(terminal, tmp_path):
    files = make_slot(tmp_path / "slot", "1.1.0")
    out = publish(terminal, tmp_path / "slot", "1.1.0")
    assert "1.1.0: %d files" % len(files) in out
    row = query(terminal.db, "SELECT manifest, signature, last_path FROM updates WHERE board = ? AND version = ?",
                BOARD, "1.1.0")[0]
    manifest, signature = bytes(row[0]), bytes(row[1])
    doc = json.loads(manifest)
    assert doc["board"] == BOARD and doc["version"] == "1.1.0"
    assert doc["files"] == [[p, len(files[p]), hashlib.sha256(files[p]).hexdigest()] for p in sorted(files)]
    assert row[2] == "pos/app.py" and _verifies(manifest, signature)


def test_a_tree_the_terminal_would_refuse_is_not_published(terminal, tmp_path):
    make_slot(tmp_path / "a", "1.1.0")
    for args, why in ((("1.2.0",), "VERSION"), (("1.1.0", "--board", "other"), "board.py"),
                      (("1.x",), "version")):
        result = _cli_fails(terminal, tmp_path / "a", *args)
        assert why in result, result
    make_slot(tmp_path / "b", "1.1.0")
    os.remove(tmp_path / "b" / "assets" / "update_key.bin")
    assert "update_key.bin" in _cli_fails(terminal, tmp_path / "b", "1.1.0")
    make_slot(tmp_path / "c", "1.1.0", extra={"bad name!.py": b""})
    assert "bad name!.py" in _cli_fails(terminal, tmp_path / "c", "1.1.0")
    assert query(terminal.db, "SELECT COUNT(*) FROM updates")[0][0] == 0


def _cli_fails(terminal, slot, version, *more):
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "tools.acquirer", "publish-update", "--db", terminal.db,
                             "--board", BOARD, "--dir", str(slot), "--version", version, "--key", TEST_PEM]
                            + list(more), cwd=ROOT, capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    return result.stderr


def test_a_published_version_never_changes_but_publishing_it_again_is_harmless(terminal, tmp_path):
    make_slot(tmp_path / "slot", "1.1.0")
    publish(terminal, tmp_path / "slot", "1.1.0")
    publish(terminal, tmp_path / "slot", "1.1.0", TID)
    make_slot(tmp_path / "slot", "1.1.0", extra={"pos/new.py": b"new"})
    assert "published already" in _cli_fails(terminal, tmp_path / "slot", "1.1.0")
    assert query(terminal.db, "SELECT COUNT(*) FROM updates")[0][0] == 1


def test_the_manifest_and_every_file_come_in_pieces_of_at_most_400_bytes(terminal, tmp_path):
    files = make_slot(tmp_path / "slot", "1.1.0", extra={"assets/font16.bin": os.urandom(5000)})
    publish(terminal, tmp_path / "slot", "1.1.0")
    manifest, signature, answers = terminal.manifest("1.0.0")
    assert _verifies(manifest, signature)
    assert all(a[0] == "0810" and a[60][8:11] == "392" for a in answers)
    for path, size, sha in json.loads(manifest)["files"]:
        if not size:
            continue
        data, answers = terminal.fetch("1.1.0", path)
        assert data == files[path] and hashlib.sha256(data).hexdigest() == sha
        assert len(answers) == (size + 399) // 400
    assert query(terminal.db, "SELECT board, version, downloaded FROM terminal_software WHERE terminal_id = ?",
                 TID)[0] == (BOARD, "1.0.0", "1.1.0")


def test_the_newest_version_of_the_board_asked_for_is_served(terminal, tmp_path):
    make_slot(tmp_path / "a", "1.2.0")
    make_slot(tmp_path / "b", "1.10.0")
    make_slot(tmp_path / "c", "9.0.0", board="esp32s3_handheld")
    publish(terminal, tmp_path / "b", "1.10.0")
    publish(terminal, tmp_path / "a", "1.2.0")
    publish(terminal, tmp_path / "c", "9.0.0", board="esp32s3_handheld")
    manifest, _sig, _ = terminal.manifest("1.0.0")
    assert json.loads(manifest)["version"] == "1.10.0"
    assert terminal.manifest("1.0.0", board="no_such_board")[0] is None


def test_requests_the_host_cannot_serve_are_refused(terminal, tmp_path):
    make_slot(tmp_path / "slot", "1.1.0")
    publish(terminal, tmp_path / "slot", "1.1.0")
    assert terminal.download(OP="file", BD=BOARD, VR="1.0.9", NM="pos/app.py", OF="0")[39] == "12"
    assert terminal.download(OP="file", BD=BOARD, VR="1.1.0", NM="pos/none.py", OF="0")[39] == "12"
    assert terminal.download(OP="file", BD=BOARD, VR="1.1.0", NM="VERSION", OF="999")[39] == "12"
    assert terminal.download(OP="erase", BD=BOARD, VR="1.1.0")[39] == "30"
    assert terminal.download(OP="manifest", BD=BOARD, VR="1.0.0", OF="x")[39] == "30"
    assert terminal.download(OP="file", BD=BOARD, VR="1.1.0", OF="0")[39] == "30"
    fields = {0: "0800", 11: terminal.next_trace(), 41: TID, 42: MID, 60: "00000001392",
              62: tlv(("OP", "manifest"), ("BD", BOARD), ("VR", "1.0.0"))}
    refused = terminal.send_payload(terminal.build(fields, mac_key=bytes(8)))
    assert refused[39] == "A0" and 62 not in refused and 64 not in refused


def test_a_replayed_piece_gets_the_same_answer(terminal, tmp_path):
    make_slot(tmp_path / "slot", "1.1.0")
    publish(terminal, tmp_path / "slot", "1.1.0")
    payload = terminal.build({0: "0800", 11: terminal.next_trace(), 41: TID, 42: MID, 60: "00000001392",
                              62: tlv(("OP", "file"), ("BD", BOARD), ("VR", "1.1.0"), ("NM", "pos/app.py"),
                                      ("OF", "400"))})
    first = terminal.send_payload(payload)
    assert terminal.send_payload(payload).payload == first.payload


def test_requirement_6_goes_with_every_answer_until_the_terminal_has_the_newest_image(terminal, tmp_path):
    files = make_slot(tmp_path / "slot", "1.1.0")
    publish(terminal, tmp_path / "slot", "1.1.0")
    assert terminal.sale(GOOD, 100)[1].requirement == 0           # its board is not known yet
    publish(terminal, tmp_path / "slot", "1.1.0", TID)
    assert terminal.sale(GOOD, 100)[1].requirement == 6
    assert terminal.sign_in().requirement == 6
    manifest, _sig, answers = terminal.manifest("1.0.0")
    assert [a.requirement for a in answers] == [0] * len(answers)  # not in the download's own answers
    assert terminal.sale(GOOD, 100)[1].requirement == 6
    for path in sorted(files):
        answers = terminal.fetch("1.1.0", path)[1]
        assert all(a.requirement == 0 for a in answers)
    assert terminal.sale(GOOD, 100)[1].requirement == 0


def test_a_terminal_that_runs_the_newest_version_already_is_not_asked(terminal, tmp_path):
    make_slot(tmp_path / "slot", "1.1.0")
    publish(terminal, tmp_path / "slot", "1.1.0", TID)
    assert terminal.sale(GOOD, 100)[1].requirement == 6
    terminal.manifest("1.1.0")
    assert terminal.sale(GOOD, 100)[1].requirement == 0
    make_slot(tmp_path / "next", "1.2.0")
    publish(terminal, tmp_path / "next", "1.2.0")
    assert terminal.sale(GOOD, 100)[1].requirement == 6


def test_signing_in_again_and_parameters_come_before_the_application(terminal, tmp_path):
    make_slot(tmp_path / "slot", "1.1.0")
    publish(terminal, tmp_path / "slot", "1.1.0", TID)
    terminal.host.store.set_params(TID)
    assert terminal.sale(GOOD, 100)[1].requirement == 1
    terminal.params()
    terminal.host.store.request_sign_in(TID)
    assert terminal.sale(GOOD, 100)[1].requirement == 3
    terminal.sign_in()
    assert terminal.sale(GOOD, 100)[1].requirement == 6


def test_the_updates_module_builds_manifests_from_any_tree_like_a_slot(tmp_path):
    files = make_slot(tmp_path / "slot", "2.0")
    manifest, got = updates.build_manifest(str(tmp_path / "slot"), BOARD, "2.0")
    assert dict(got) == files and len(manifest) < updates.MANIFEST_MAX
    key = updates.load_key(TEST_PEM)
    assert _verifies(manifest, updates.sign(key, manifest))
    other = ec.generate_private_key(ec.SECP256R1())
    with open(TEST_PUBLIC, "rb") as f:
        raw = f.read()
    assert not ecdsa.verify(raw, hashlib.sha256(manifest).digest(), updates.sign(other, manifest))
    assert updates.version_key("1.2") == updates.version_key("1.2.0") < updates.version_key("1.10")
    db = store.Store(str(tmp_path / "h.db"))
    assert not updates.due(db, TID) and handlers.HANDLERS["app_download"] is updates.download
    db.close()
