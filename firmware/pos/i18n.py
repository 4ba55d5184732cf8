"""All screen text comes from one catalog per language on flash: assets/lang/<lang>.txt.

A catalog is UTF-8 lines `key<TAB>text`, sorted by key (byte order), no
blank lines; response code texts are keys `rc_<code>` with `rc_other` for a
code not listed (its `%s` is the code). It is the source of truth for the
texts and is edited in place. A lookup is a binary search over the file
through one small buffer, so the tables cost no heap at all: the text comes
back as a new str, and a key not in the catalog comes back as itself.
"""

from pos import const

LANGS = ("zh", "en")
MAX_LINE = const(256)

_state = {"lang": "zh", "dir": "assets", "catalog": None}


class Catalog:
    """One language's catalog file, searched by key."""

    def __init__(self, path):
        self._file = open(path, "rb")
        self.size = self._file.seek(0, 2)
        self._buf = bytearray(MAX_LINE)

    def close(self):
        self._file.close()

    def _line(self, start):
        """(key bytes, text bytes, end) of the line starting at start."""
        f = self._file
        f.seek(start)
        buf = self._buf
        n = f.readinto(buf)
        end = buf.find(b"\n", 0, n)
        if end < 0:
            end = n
        tab = buf.find(b"\t", 0, end)
        if tab < 0:
            return bytes(buf[:end]), b"", start + end + 1
        return bytes(buf[:tab]), bytes(buf[tab + 1:end]), start + end + 1

    def _next_start(self, pos):
        """The offset of the first line starting at or after pos."""
        if pos == 0:
            return 0
        f = self._file
        f.seek(pos - 1)
        n = f.readinto(self._buf)
        i = self._buf.find(b"\n", 0, n)
        return self.size if i < 0 else pos + i

    def get(self, key):
        """The text of key (bytes) as str, or None."""
        lo, hi = 0, self.size
        while lo < hi:
            start = self._next_start((lo + hi) >> 1)
            if start >= hi:
                start = lo
            k, text, end = self._line(start)
            if k == key:
                return text.decode()
            if k < key:
                lo = end
            elif start == lo:
                return None
            else:
                hi = start
        return None


def use(assets_dir, lang=None):
    """Read catalogs from assets_dir (the runtime's and the simulator's asset directory)."""
    _close()
    _state["dir"] = assets_dir
    set_lang(lang or _state["lang"])


def set_lang(lang):
    lang = lang if lang in LANGS else "zh"
    if lang != _state["lang"] or _state["catalog"] is None:
        _close()
        _state["lang"] = lang


def _close():
    catalog = _state["catalog"]
    if catalog is not None:
        catalog.close()
    _state["catalog"] = None


def lang():
    return _state["lang"]


def _catalog():
    catalog = _state["catalog"]
    if catalog is None:
        try:
            catalog = _state["catalog"] = Catalog("%s/lang/%s.txt" % (_state["dir"], _state["lang"]))
        except OSError:
            return None
    return catalog


def lookup(key):
    """The text for key in the current language, or None."""
    catalog = _catalog()
    return None if catalog is None else catalog.get(key.encode())


def t(key):
    """The text for key in the current language (the key itself if missing)."""
    text = lookup(key)
    return key if text is None else text


def tf(key, *args):
    """t(key) % args; a text that does not take them (a damaged catalog) shows the key and the values."""
    text = t(key)
    try:
        return text % args
    except (TypeError, ValueError):
        return " ".join([key] + [str(a) for a in args])


def rc_text(code):
    """Merchant-facing text of a response code in the current language; unknown codes show the code."""
    text = lookup("rc_" + code)
    return tf("rc_other", code) if text is None else text
