"""Application download (0800, 60.3 392): published images, and the handler serving them.

An image is one application slot as `make firmware` builds it
(build/<board>/slot_a/...). Publishing reads the tree, writes the manifest
(docs/update.md: JSON of board, version and [path, size, sha256 hex] per
file) and signs its SHA-256 with ECDSA P-256 (`cryptography`); the store
keeps the manifest, the signature and every file, so what is served never
changes under a terminal.

The handler answers two requests (field 62 items, protocol section 8):
  OP manifest, BD board, VR running version, OF offset
      -> SZ manifest size, DA up to 400 bytes from OF, SG signature r||s;
         SZ 0 and nothing else when no image is published for the board
  OP file, BD board, VR image version, NM path, OF offset
      -> SZ file size, DA up to 400 bytes from OF
A request naming an image, file or offset the host does not have is 12;
malformed items are 30.

A terminal is due (header requirement 6) while the newest image of its board
is newer than what it last said it runs and than what it last fetched whole
(the last bytes of the manifest's last non-empty file).
"""

import hashlib
import json
import os
import re

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from . import fields, spec
from .context import APPROVED, FORMAT_ERROR, INVALID_TRANSACTION, Reply

CHUNK = 400
MANIFEST_MAX = 16384
FILES_MAX = 256
FILE_MAX = 4 * 1024 * 1024
PATH_MAX = 64
REQUIRED = ("VERSION", "board.py", "assets/update_key.bin")
MANIFEST_NAME = "MANIFEST.json"
_PATH = re.compile(r"[A-Za-z0-9._\-]+(/[A-Za-z0-9._\-]+)*\Z")
_VERSION = re.compile(r"\d{1,5}(\.\d{1,5}){0,3}\Z")
_BOARD_NAME = re.compile(r"""^NAME\s*=\s*(["'])(.*)\1\s*$""", re.M)


class ImageError(ValueError):
    """A slot tree, version or key that cannot be published."""


def version_key(text):
    """(1, 2, 0, 0) for "1.2": versions compare number by number."""
    if not isinstance(text, str) or not _VERSION.match(text):
        raise ImageError("version %r is not 1 to 4 dot-separated numbers" % (text,))
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (4 - len(parts)))


def _slot_files(slot_dir):
    """[(relative POSIX path, bytes)] of every regular file under slot_dir, sorted by path."""
    out = []
    for top, dirs, names in os.walk(slot_dir):
        dirs.sort()
        for name in names:
            full = os.path.join(top, name)
            if os.path.islink(full) or not os.path.isfile(full):
                raise ImageError("%s is not a regular file" % full)
            path = os.path.relpath(full, slot_dir).replace(os.sep, "/")
            if path == MANIFEST_NAME:
                continue
            if len(path) > PATH_MAX or not _PATH.match(path) or path.startswith(MANIFEST_NAME) or any(
                    part in (".", "..") for part in path.split("/")):
                raise ImageError("path %r is not one the terminal takes" % path)
            with open(full, "rb") as f:
                data = f.read(FILE_MAX + 1)
            if len(data) > FILE_MAX:
                raise ImageError("%s is over %d bytes" % (path, FILE_MAX))
            out.append((path, data))
    out.sort()
    return out


def build_manifest(slot_dir, board, version):
    """-> (manifest bytes, [(path, bytes)]) of a slot tree; ImageError if the terminal would refuse it."""
    version_key(version)
    if not 0 < len(board) <= 32:
        raise ImageError("board name of 1 to 32 characters expected")
    files = _slot_files(slot_dir)
    if not 0 < len(files) <= FILES_MAX:
        raise ImageError("%d files in %s: 1 to %d expected" % (len(files), slot_dir, FILES_MAX))
    have = dict(files)
    for path in REQUIRED:
        if path not in have:
            raise ImageError("%s has no %s: a slot without it could not be updated again"
                             % (slot_dir, path))
    if have["VERSION"].decode("utf-8", "replace").strip() != version:
        raise ImageError("%s/VERSION says %r, not %s" % (slot_dir, have["VERSION"][:32], version))
    named = _BOARD_NAME.search(have["board.py"].decode("utf-8", "replace"))
    if named is None or named.group(2) != board:
        raise ImageError("%s/board.py does not say NAME = %r" % (slot_dir, board))
    if len(have["assets/update_key.bin"]) != 64:
        raise ImageError("assets/update_key.bin is not 64 bytes (x||y)")
    doc = {"board": board, "version": version,
           "files": [[path, len(data), hashlib.sha256(data).hexdigest()] for path, data in files]}
    manifest = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")
    if len(manifest) > MANIFEST_MAX:
        raise ImageError("manifest of %d bytes is over %d" % (len(manifest), MANIFEST_MAX))
    return manifest, files


def load_key(pem_path):
    with open(pem_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ImageError("%s is not a P-256 private key" % pem_path)
    return key


def public_key_bytes(key):
    """x||y, 64 bytes: the terminal's assets/update_key.bin."""
    numbers = key.public_key().public_numbers()
    return numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def sign(key, manifest):
    """r||s (64 bytes) of ECDSA P-256 over SHA-256 of the manifest bytes."""
    r, s = utils.decode_dss_signature(key.sign(manifest, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def publish(store, slot_dir, board, version, key, when, terminals=()):
    """Build, sign and store an image; the terminals named are marked as running board.
    -> the manifest. ImageError if it cannot be published."""
    manifest, files = build_manifest(slot_dir, board, version)
    signature = sign(key, manifest)
    fetched = [path for path, data in files if data]     # the terminal asks for no empty file
    last_path = fetched[-1] if fetched else ""
    if not store.add_update(board, version, manifest, signature, files, last_path, when):
        raise ImageError("%s %s is published already with other files" % (board, version))
    for terminal_id in terminals:
        if not store.set_terminal_board(terminal_id, board, when):
            raise ImageError("no terminal %s" % terminal_id)
    return manifest


def newest(store, board):
    rows = store.updates_of(board)
    return max(rows, key=lambda r: version_key(r["version"])) if rows else None


def due(store, terminal_id):
    """True while a newer image for the terminal's board is published and it has not fetched it."""
    software = store.terminal_software(terminal_id)
    if software is None:
        return False
    image = newest(store, software["board"])
    if image is None:
        return False
    have = max(_known(software["version"]), _known(software["downloaded"]))
    return version_key(image["version"]) > have


def _known(version):
    try:
        return version_key(version)
    except ImageError:
        return (0, 0, 0, 0)


def _items(answer_items):
    out = bytearray()
    for tag, value in answer_items:
        raw = value.encode("ascii") if isinstance(value, str) else bytes(value)
        out += tag.encode("ascii") + b"%03d" % len(raw) + raw
    return bytes(out)


def _offset(items):
    text = items.get("OF", "0")
    if not fields.is_digits(text, 1, 8):
        raise spec.WireError("OF %r is not an offset" % text)
    return int(text)


def download(context):
    """0800/392: a piece of the manifest or of a file of a published image."""
    answer = context.answer("0810", (11, 41, 42, 60))
    refused, mak = context.guard(answer)
    if refused is not None:
        return refused
    request = context.request
    terminal_id = context.terminal["terminal_id"]
    try:
        items = fields.decode_tlv(request.get(62) or b"")
        op, board, version = items.get("OP"), items.get("BD"), items.get("VR")
        offset = _offset(items)
        if op not in ("manifest", "file") or not board or not version:
            raise spec.WireError("OP, BD and VR expected")
        if op == "file" and not items.get("NM"):
            raise spec.WireError("NM expected")
    except spec.WireError:
        answer[39] = FORMAT_ERROR
        return Reply(answer, mak=mak, authentic=True)
    answer[39] = APPROVED
    if op == "manifest":
        context.store.software_reported(terminal_id, board, version, context.when)
        image = newest(context.store, board)
        if image is None:
            answer[62] = _items((("SZ", "0"),))
            return Reply(answer, mak=mak, authentic=True)
        manifest = bytes(image["manifest"])
        if offset > len(manifest):
            answer[39] = INVALID_TRANSACTION
            return Reply(answer, mak=mak, authentic=True)
        answer[62] = _items((("SZ", str(len(manifest))), ("DA", manifest[offset:offset + CHUNK]),
                             ("SG", bytes(image["signature"]))))
        return Reply(answer, mak=mak, authentic=True)
    image = context.store.update(board, version)
    found = None if image is None else context.store.update_chunk(image["id"], items["NM"], offset, CHUNK)
    if found is None or offset > found[0]:
        answer[39] = INVALID_TRANSACTION
        return Reply(answer, mak=mak, authentic=True)
    size, chunk = found
    answer[62] = _items((("SZ", str(size)), ("DA", chunk)))
    if items["NM"] == image["last_path"] and offset + len(chunk) == size:
        context.store.software_downloaded(terminal_id, board, version, context.when)
    return Reply(answer, mak=mak, authentic=True)
