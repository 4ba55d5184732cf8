"""The terminal's QR codes (firmware/pos/qr.py) read by an independent decoder, zxing-cpp: every
version 1-10 at the sizes of payload it holds, digits, ASCII, Chinese in UTF-8 and random bytes,
drawn as the LCD draws them and as the printer prints them; zxing reports the version, level M and
the mask the encoder chose, and the data reads back byte for byte, through damage the EC repairs.
The mask is the least penalty by this file's own reading of the four rules, and the 32-bit frozen
VM encodes exactly the modules CPython does."""
import os
import random
import subprocess
import sys

import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "firmware"))

from pos import qr  # noqa: E402
from tools import upy32  # noqa: E402

SCALE = 4


def lcd_image(q, scale=SCALE):
    """q as the LCD draws it (qr.draw's fill_rect calls), into a Pillow image."""
    side = (q.size + 2 * qr.QUIET) * scale
    image = Image.new("L", (side, side), 128)  # grey: any pixel draw() leaves unpainted shows
    qr.draw(q, lambda x, y, w, h, c: image.paste(c, (x, y, x + w, y + h)), 0, 0, scale, dark=0, light=255)
    return image


def paper_image(q, scale=SCALE, width=384):
    """q as the printer prints it (qr.raster_rows), ink black."""
    rows = b"".join(bytes(r) for r in qr.raster_rows(q, scale, width))
    return Image.frombytes("1", (width, len(rows) * 8 // width), bytes(b ^ 0xFF for b in rows)).convert("L")


def read(image):
    found = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode, text_mode=zxingcpp.TextMode.Plain)
    assert found is not None and found.valid, "zxing found no QR code"
    return found


def check_reads_back(data, image_of=lcd_image):
    q = qr.encode(data)
    found = read(image_of(q))
    raw = data.encode() if isinstance(data, str) else data
    assert found.bytes == raw
    assert found.extra["Version"] == str(q.version) and found.extra["ECLevel"] == "M"
    assert int(found.extra["DataMask"]) == q.mask
    assert found.extra["UEC"] == 1.0  # nothing to correct: the EC codewords are the data's
    return q, found


def sizes_of(version):
    """The smallest and the largest payload of a version, and one between."""
    low = qr.capacity(version - 1) + 1 if version > 1 else 1
    high = qr.capacity(version)
    return low, (low + high) // 2, high


def test_digits_ascii_chinese_and_bytes_of_every_size_of_every_version_read_back():
    rnd = random.Random(18004)
    for version in range(1, 11):
        for n in sizes_of(version):
            digits = "".join(rnd.choice("0123456789") for _ in range(n))
            ascii_ = "".join(chr(rnd.randrange(32, 127)) for _ in range(n))
            chinese = ("收款码" * 80).encode()[:n - n % 3] + b"8" * (n % 3)  # whole characters, then digits
            blob = bytes(rnd.randrange(256) for _ in range(n))
            for data in (digits, ascii_, chinese, blob):
                q, found = check_reads_back(data)
                assert q.version == version, (version, n)
                if data is not blob:
                    assert found.text == (data if isinstance(data, str) else data.decode())


def test_a_chinese_payment_text_reads_back_as_text():
    text = "微信支付 收款码 ¥12.34 商户:一号店 https://pay.example.cn/q/8f3a9c"
    q, found = check_reads_back(text)
    assert found.text == text and found.content_type == zxingcpp.ContentType.Text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=213))
def test_random_bytes_read_back_from_the_lcd_drawing(data):
    q, _ = check_reads_back(data)
    assert qr.capacity(q.version) >= len(data) and (q.version == 1 or qr.capacity(q.version - 1) < len(data))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=70))
def test_any_text_reads_back_as_its_utf8_bytes(text):
    if len(text.encode()) > 213:
        return
    check_reads_back(text)


def test_every_version_reads_back_from_the_printed_rows():
    rnd = random.Random(58)
    for version in range(1, 11):
        data = bytes(rnd.randrange(256) for _ in range(qr.capacity(version)))
        for scale in (2, 4):
            check_reads_back(data, lambda q: paper_image(q, scale))


def test_the_lcd_drawing_leaves_no_pixel_unpainted():
    image = lcd_image(qr.encode(b"x" * 100))
    assert set(image.get_flattened_data()) == {0, 255}


def test_damage_the_ec_can_repair_still_reads_back():
    # Level M corrects about 15%: a few codewords' worth of modules flipped in the data region.
    rnd = random.Random(7)
    for version in range(1, 11):
        data = bytes(rnd.randrange(256) for _ in range(qr.capacity(version)))
        q = qr.encode(data)
        image = lcd_image(q, 4)
        pixels = image.load()
        x0, y0 = q.size - 6, q.size - 9 - version  # a patch in the bottom right data area
        for y in range(y0, y0 + 3):
            for x in range(x0, x0 + 3):
                for i in range(4):
                    for j in range(4):
                        px, py = (x + qr.QUIET) * 4 + i, (y + qr.QUIET) * 4 + j
                        pixels[px, py] = 255 - pixels[px, py]
        found = read(image)
        assert found.bytes == data and found.extra["UEC"] < 1.0, version


# The mask: the least penalty, by a reading of ISO/IEC 18004 7.8.3 written apart from the encoder.

MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)


def function_modules(version):
    """The set of (x, y) that are not data: finders and separators, timing, alignment, format,
    the dark module, version information."""
    size = 17 + 4 * version
    taken = set()
    for x0, y0 in ((0, 0), (size - 8, 0), (0, size - 8)):
        taken |= {(x, y) for x in range(x0, x0 + 8) for y in range(y0, y0 + 8)}
    taken |= {(6, i) for i in range(size)} | {(i, 6) for i in range(size)}
    taken |= {(8, i) for i in range(9)} | {(i, 8) for i in range(9)}
    taken |= {(8, size - 1 - i) for i in range(8)} | {(size - 1 - i, 8) for i in range(8)}
    centres = {1: (), 2: (6, 18), 3: (6, 22), 4: (6, 26), 5: (6, 30), 6: (6, 34), 7: (6, 22, 38),
               8: (6, 24, 42), 9: (6, 26, 46), 10: (6, 28, 50)}[version]
    for cx in centres:
        for cy in centres:
            if (cx, cy) not in ((6, 6), (6, centres[-1]), (centres[-1], 6)):
                taken |= {(cx + dx, cy + dy) for dx in range(-2, 3) for dy in range(-2, 3)}
    if version >= 7:
        block = {(x, y) for x in range(6) for y in range(size - 11, size - 8)}
        taken |= block | {(y, x) for x, y in block}
    return taken


def penalty(m):
    size = len(m)
    lines = [row for row in m] + [[m[y][x] for y in range(size)] for x in range(size)]
    score = 0
    for line in lines:
        run = 1
        for a, b in zip(line, line[1:]):
            if a == b:
                run += 1
            else:
                score += run - 2 if run >= 5 else 0
                run = 1
        score += run - 2 if run >= 5 else 0
        padded = [0] * 4 + line + [0] * 4
        for i in range(len(padded) - 10):
            window = padded[i:i + 11]
            if window in ([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1]):
                score += 40
    score += 3 * sum(1 for y in range(size - 1) for x in range(size - 1)
                     if m[y][x] == m[y][x + 1] == m[y + 1][x] == m[y + 1][x + 1])
    dark = sum(map(sum, m))
    score += 10 * (abs(dark * 100 / (size * size) - 50) // 5)
    return score


def with_mask(q, mask):
    """q's modules as they would be with another mask: the data unmasked and masked again, the
    format information of that mask."""
    fixed = function_modules(q.version)
    size = q.size
    m = [[int(q.module(x, y)) for x in range(size)] for y in range(size)]
    for y in range(size):
        for x in range(size):
            if (x, y) not in fixed:
                m[y][x] ^= MASKS[q.mask](y, x) ^ MASKS[mask](y, x)
    bits = qr.format_bits(mask)
    for i in range(15):
        b = bits >> i & 1
        m[i if i < 6 else i + 1 if i < 8 else 8][8 if i < 8 else 7 if i == 8 else 14 - i] = b
        if i < 8:
            m[8][size - 1 - i] = b
        else:
            m[size - 15 + i][8] = b
    return m


def test_the_mask_chosen_has_the_least_penalty_of_the_eight():
    rnd = random.Random(3)
    for version in range(1, 11):
        for n in sizes_of(version)[::2]:
            q = qr.encode(bytes(rnd.randrange(256) for _ in range(n)))
            scores = [penalty(with_mask(q, mask)) for mask in range(8)]
            assert with_mask(q, q.mask) == [[int(q.module(x, y)) for x in range(q.size)] for y in range(q.size)]
            assert scores[q.mask] == min(scores) and scores.index(min(scores)) == q.mask, (version, scores)


# The same modules on the 32-bit frozen VM

def test_the_32_bit_frozen_vm_encodes_exactly_the_modules_cpython_does():
    rnd = random.Random(32)
    payloads = []
    for version in range(1, 11):
        for n in sizes_of(version):
            payloads.append(bytes(rnd.randrange(256) for _ in range(n)))
    payloads += ["收款码 ¥12.34".encode(), b"0" * 213, b"\x00", b"\xff" * 100]
    script = ("import binascii\nfrom pos import qr\nfor h in %r:\n"
              "    q = qr.encode(binascii.unhexlify(h))\n"
              "    print(q.version, q.mask, binascii.hexlify(q.bits).decode())\n"
              % [p.hex() for p in payloads])
    r = subprocess.run([upy32.ensure(), "-X", "heapsize=110K", "-c", script], capture_output=True, text=True,
                       cwd="/", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.split("\n")[:-1]
    assert len(lines) == len(payloads)
    for data, line in zip(payloads, lines):
        q = qr.encode(data)
        assert line == "%d %d %s" % (q.version, q.mask, q.bits.hex()), data
