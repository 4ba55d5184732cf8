# The text catalogs on flash (assets/lang/*.txt) and their lookup.
from pos import i18n
from pos.i18n import Catalog
from vmutil import asset_path, rmtree, tmpdir


def _rows(lang):
    """(key, text) of each line, read one line at a time (the VM's heap is an ESP32's)."""
    with open(asset_path("lang/%s.txt" % lang), "rb") as f:
        while True:
            line = f.readline()
            if not line:
                return
            assert line.endswith(b"\n") and len(line) < i18n.MAX_LINE, line
            key, tab, text = line[:-1].partition(b"\t")
            assert tab and key and text, line
            yield key, text


def test_each_catalog_is_sorted_with_unique_keys():
    for lang in i18n.LANGS:
        previous = None
        for key, _text in _rows(lang):
            assert previous is None or previous < key, (lang, key)
            previous = key


def test_both_languages_have_the_same_keys_and_the_same_format_specifiers():
    en = _rows("en")
    for key, zh_text in _rows("zh"):
        en_key, en_text = next(en)
        assert en_key == key
        for spec in (b"%s", b"%d"):
            assert zh_text.count(spec) == en_text.count(spec), key
    assert next(en, None) is None


def test_every_key_is_found_and_a_missing_one_comes_back_as_itself():
    for lang in i18n.LANGS:
        catalog = Catalog(asset_path("lang/%s.txt" % lang))
        for key, text in _rows(lang):
            assert catalog.get(key) == text.decode(), key
        for missing in (b"", b"a", b"zzzz", b"account_n", b"account_nox", b"rc_ZZ"):
            assert catalog.get(missing) is None, missing
        catalog.close()
    i18n.use(asset_path(""), "zh")
    assert i18n.t("welcome") == "欢迎使用" and i18n.t("no_such_key") == "no_such_key"


def test_a_catalog_of_one_line_and_an_empty_one():
    d = tmpdir("cat")
    with open(d + "/one.txt", "wb") as f:
        f.write(b"k\tv\n")
    with open(d + "/none.txt", "wb") as f:
        pass
    one, none = Catalog(d + "/one.txt"), Catalog(d + "/none.txt")
    assert one.get(b"k") == "v" and one.get(b"j") is None and one.get(b"l") is None
    assert none.get(b"k") is None
    one.close()
    none.close()
    rmtree(d)


def test_without_a_catalog_the_keys_show():
    i18n.use("/nonexistent", "zh")
    assert i18n.t("welcome") == "welcome"
    i18n.use(asset_path(""), "zh")
    assert i18n.t("welcome") == "欢迎使用"


def test_the_language_switches_between_the_catalogs():
    i18n.use(asset_path(""), "en")
    assert i18n.t("welcome") == "WELCOME" and i18n.lang() == "en"
    i18n.set_lang("xx")
    assert i18n.lang() == "zh" and i18n.t("welcome") == "欢迎使用"
