"""All screen text comes from one table per language (pos.lang.zh, pos.lang.en)."""

_tables = {}
_lang = ["zh"]


def _table(lang):
    t = _tables.get(lang)
    if t is None:
        if lang == "en":
            from pos.lang import en as mod
        else:
            from pos.lang import zh as mod
        t = _tables[lang] = mod
    return t


def set_lang(lang):
    _lang[0] = "en" if lang == "en" else "zh"


def lang():
    return _lang[0]


def t(key):
    """The text for key in the current language (the key itself if missing)."""
    return _table(_lang[0]).S.get(key, key)


def rc_text(code):
    """Merchant-facing text of a response code in the current language."""
    from pos import rescodes
    return rescodes.describe(code, _table(_lang[0]).RC)
