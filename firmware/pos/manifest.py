"""An update's MANIFEST.json read from flash a piece at a time (docs/update.md, section 3).

json.load would build the whole document: for a slot of a hundred files,
lists and hex strings of some 30 KB on the 64-bit VM, all at once. read()
goes through the stream with one small buffer and hands each entry of
"files" to a callback as soon as it is read, so the heap holds one entry at a
time whatever the number of files.

The grammar is JSON's (RFC 8259): whitespace anywhere between tokens, keys in
any order, strings with every escape (surrogate pairs too). Members other
than "board", "version" and "files" are skipped whatever they hold: their
strings read and their brackets matched, nothing more checked, nothing kept.
What the manifest needs is checked as
it is read: an object at the top, "board" and "version" strings, "files" an
array of [path string, size integer, SHA-256 string] arrays, each key once,
nothing after the object. Anything else raises ManifestError; a string over
max_string bytes too, so no input makes a large allocation.
"""

_WS = b" \t\r\n"
_ESCAPES = {98: 8, 102: 12, 110: 10, 114: 13, 116: 9, 34: 34, 92: 92, 47: 47}   # b f n r t " \ /
_BUF = 256


class ManifestError(ValueError):
    pass


class _Stream:
    """Bytes of f one at a time, through one buffer, and the buffer strings are read into."""

    def __init__(self, f, max_string):
        self.f = f
        self.buf = bytearray(_BUF)
        self.n = self.i = 0
        self.text = bytearray(max_string + 4)      # a string being read (an escape adds up to 4)
        self.textv = memoryview(self.text)

    def peek(self):
        """The next byte (None at the end), not taken."""
        if self.i == self.n:
            self.n = self.f.readinto(self.buf) or 0
            self.i = 0
            if not self.n:
                return None
        return self.buf[self.i]

    def take(self):
        c = self.peek()
        if c is None:
            raise ManifestError("cut short")
        self.i += 1
        return c

    def token(self):
        """The next byte that is not whitespace, not taken (None at the end)."""
        while True:
            c = self.peek()
            if c is None or c not in _WS:
                return c
            self.i += 1

    def expect(self, c):
        if self.token() != c:
            raise ManifestError("%r expected" % chr(c))
        self.i += 1


def _hex4(s):
    """The value of the 4 hex digits of a \\u escape."""
    code = 0
    for _ in range(4):
        c = s.take()
        if 48 <= c <= 57:
            code = code << 4 | (c - 48)
        elif 97 <= c | 32 <= 102:      # a-f, A-F
            code = code << 4 | ((c | 32) - 87)
        else:
            raise ManifestError("bad \\u escape")
    return code


def _string(s, max_bytes):
    """A JSON string, decoded, through the stream's one text buffer: the str is its only allocation."""
    s.expect(34)                       # "
    buf = s.text
    n = 0
    while True:
        c = s.take()
        if c == 34:
            break
        if n >= max_bytes:
            raise ManifestError("string over %d bytes" % max_bytes)
        if c < 32:
            raise ManifestError("control character in a string")
        if c == 92:                    # backslash
            e = s.take()
            if e == 117:               # \uXXXX, two for a surrogate pair: up to 4 UTF-8 bytes
                code = _hex4(s)
                if 0xD800 <= code < 0xDC00:
                    low = _hex4(s) if s.take() == 92 and s.take() == 117 else -1
                    if not 0xDC00 <= low < 0xE000:
                        raise ManifestError("bad \\u escape")
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                elif 0xDC00 <= code < 0xE000:
                    raise ManifestError("bad \\u escape")
                utf = chr(code).encode()
                buf[n:n + len(utf)] = utf
                n += len(utf)
                continue
            if e not in _ESCAPES:
                raise ManifestError("bad escape")
            c = _ESCAPES[e]
        buf[n] = c
        n += 1
    try:
        return str(s.textv[:n], "utf-8")
    except UnicodeError:
        raise ManifestError("string not UTF-8")


def _integer(s):
    """A JSON number that is a whole number: -?digits, no fraction, no exponent."""
    c = s.token()
    digits = bytearray()
    if c == 45:                        # -
        digits.append(s.take())
    while s.peek() is not None and 48 <= s.peek() <= 57:
        digits.append(s.take())
        if len(digits) > 12:
            raise ManifestError("number too long")
    if len(digits) == (1 if digits[:1] == b"-" else 0) or s.peek() in (46, 101, 69):   # . e E
        raise ManifestError("integer expected")
    return int(digits)


def _skip(s, max_bytes):
    """Any JSON value, nested or not, held nowhere (strings bounded as everywhere)."""
    closers = []                       # the bracket each open object or array ends with
    while True:
        c = s.token()
        if c == 34:
            _string(s, max_bytes)
        elif c in (123, 91):           # { [
            s.i += 1
            closers.append(c + 2)      # } is { + 2, ] is [ + 2
            if len(closers) > 32:
                raise ManifestError("nested too deep")
            continue
        elif c in (125, 93):           # } ]
            if not closers or closers[-1] != c:
                raise ManifestError("unexpected %r" % chr(c))
            s.i += 1
            closers.pop()
        elif c in (44, 58):            # , : inside a skipped object or array
            if not closers:
                raise ManifestError("unexpected %r" % chr(c))
            s.i += 1
            continue
        elif c is not None and (c == 45 or 48 <= c <= 57 or c in b"tfn"):
            while s.peek() is not None and s.peek() in b"0123456789+-.eEtruefalsn":
                s.i += 1
        else:
            raise ManifestError("value expected")
        if not closers:
            return


def _members(s, max_bytes):
    """Each key of an object, the stream left at its value."""
    s.expect(123)                      # {
    if s.token() == 125:
        s.i += 1
        return
    while True:
        key = _string(s, max_bytes)
        s.expect(58)                   # :
        yield key
        c = s.token()
        s.i += 1
        if c == 125:
            return
        if c != 44:
            raise ManifestError("',' or '}' expected")


def _items(s):
    """Each item of an array, the stream left at it."""
    s.expect(91)                       # [
    if s.token() == 93:
        s.i += 1
        return
    while True:
        yield
        c = s.token()
        s.i += 1
        if c == 93:
            return
        if c != 44:
            raise ManifestError("',' or ']' expected")


def read(f, on_file, max_string=256, max_files=256):
    """(board, version) of the manifest in stream f (readinto); on_file(path, size, sha) for each
    entry of "files", in order, as it is read (it may raise to stop the reading)."""
    s = _Stream(f, max_string)
    found = {}
    for key in _members(s, max_string):
        if key in found:
            raise ManifestError("%s given twice" % key)
        found[key] = True
        if key in ("board", "version"):
            found[key] = _string(s, max_string)
        elif key == "files":
            n = 0
            for _ in _items(s):
                n += 1
                if n > max_files:
                    raise ManifestError("over %d files" % max_files)
                s.expect(91)
                path = _string(s, max_string)
                s.expect(44)
                size = _integer(s)
                s.expect(44)
                sha = _string(s, max_string)
                s.expect(93)
                on_file(path, size, sha)
            found[key] = n
        else:
            _skip(s, max_string)
    if s.token() is not None:
        raise ManifestError("bytes after the object")
    for key in ("board", "version", "files"):
        if key not in found:
            raise ManifestError("no %s" % key)
    return found["board"], found["version"]
