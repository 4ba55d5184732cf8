"""Every text key the firmware asks for is in both catalogs (a typo shows the key on the LCD)."""
import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _catalog(lang):
    with open(os.path.join(ROOT, "firmware", "assets", "lang", lang + ".txt"), encoding="utf-8") as f:
        return {line.split("\t", 1)[0] for line in f}


def _keys_used():
    keys = set()
    for path in glob.glob(os.path.join(ROOT, "firmware", "pos", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as f:
            source = f.read()
        keys |= set(re.findall(r'\bt\("([a-z0-9_]+)"\)', source))
        keys |= set(re.findall(r'\btf\("([a-z0-9_]+)"', source))
        keys |= set(re.findall(r'notice\([^)]*\[t\("([a-z0-9_]+)"', source))
    import sys
    sys.path.insert(0, os.path.join(ROOT, "firmware"))
    from pos import menu
    for state in menu.STATES:
        if menu.label(state) is not None:
            keys.add(menu.label(state))
        if state in ("preauth", "preauth_void", "preauth_complete"):
            keys.add(state + "_ok")         # flows/preauth.py's result titles
    return keys


def test_every_key_the_firmware_uses_is_in_both_catalogs():
    used = _keys_used()
    assert len(used) > 150
    for lang in ("zh", "en"):
        missing = sorted(used - _catalog(lang))
        assert not missing, (lang, missing)
