# pos/manifest.py: an update manifest read a piece at a time, against json's own reading. VM-neutral.
import io
import json

from pos.manifest import ManifestError, read

ENTRIES = [["VERSION", 6, "a" * 64], ["board.py", 40, "b" * 64], ["pos/app.mpy", 1234, "c" * 64]]


def _read(text, **kw):
    got = []
    data = text if isinstance(text, bytes) else text.encode()
    board, version = read(io.BytesIO(data), lambda *entry: got.append(list(entry)), **kw)
    return board, version, got


def _refused(text, **kw):
    try:
        _read(text, **kw)
    except ManifestError as e:
        return str(e)
    return None


def test_a_manifest_reads_as_json_reads_it_in_any_layout():
    doc = {"board": "esp32_countertop", "version": "1.2.0", "files": ENTRIES}
    for text in (json.dumps(doc), json.dumps(doc, separators=(",", ":")),
                 '\n{ "files" : [ [ "VERSION" , 6 , "%s" ] ,\r\n\t["board.py",40,"%s"],["pos/app.mpy", 1234,"%s"]],'
                 '"version":"1.2.0" , "board": "esp32_countertop" }\n' % ("a" * 64, "b" * 64, "c" * 64)):
        assert _read(text) == ("esp32_countertop", "1.2.0", ENTRIES), text


def test_members_it_does_not_know_are_skipped_whatever_they_hold():
    text = ('{"note": "x\\"y]}", "n": -1.5e3, "t": true, "f": false, "z": null, "deep": [[{"a": [1, {"b": "}"}]}]],'
            ' "board": "b", "version": "1", "files": [["VERSION", 1, "%s"]], "empty": {}, "list": []}' % ("a" * 64))
    assert _read(text) == ("b", "1", [["VERSION", 1, "a" * 64]])


def test_string_escapes_are_decoded():
    text = '{"board": "\\u4e2d\\/\\\\\\"\\n", "version": "1", "files": [["a", 0, "s"]]}'
    assert _read(text)[0] == "\u4e2d/\\\"\n"
    pair = '{"board": "\\ud83d\\ude00\\u00E9", "version": "1", "files": []}'      # a surrogate pair, upper-case hex
    assert _read(pair)[0] == "\U0001f600\u00e9"
    for lone in ("\\ude00", "\\ud83d", "\\ud83dx", "\\ud83d\\u0041"):
        assert _refused('{"board": "%s", "version": "1", "files": []}' % lone) == "bad \\u escape", lone


def test_an_empty_file_list_reads_as_none():
    assert _read('{"board": "b", "version": "1", "files": []}') == ("b", "1", [])


def test_a_manifest_cut_short_anywhere_is_refused():
    text = json.dumps({"board": "b", "version": "1.0", "files": ENTRIES, "x": [1, {"y": None}]})
    for n in range(len(text)):
        assert _refused(text[:n]) is not None, text[:n]


def test_what_is_not_the_manifest_shape_is_refused_with_its_reason():
    sha = "a" * 64
    bad = {
        '[]': "'{' expected",
        '{"board": "b", "version": "1", "files": []} x': "bytes after the object",
        '{"board": "b", "version": "1", "files": [], "board": "c"}': "board given twice",
        '{"version": "1", "files": []}': "no board",
        '{"board": "b", "files": []}': "no version",
        '{"board": "b", "version": "1"}': "no files",
        '{"board": 1, "version": "1", "files": []}': "'\"' expected",
        '{"board": "b", "version": "1", "files": {}}': "'[' expected",
        '{"board": "b", "version": "1", "files": [["a", 1]]}': "',' expected",
        '{"board": "b", "version": "1", "files": [["a", 1, "%s", 2]]}' % sha: "']' expected",
        '{"board": "b", "version": "1", "files": [["a", "1", "%s"]]}' % sha: "integer expected",
        '{"board": "b", "version": "1", "files": [["a", 1.5, "%s"]]}' % sha: "integer expected",
        '{"board": "b", "version": "1", "files": [["a", 1e3, "%s"]]}' % sha: "integer expected",
        '{"board": "b", "version": "1", "files": [["a", -, "%s"]]}' % sha: "integer expected",
        '{"board": "b", "version": "1", "files": [["a", 1, "%s"]] "x": 1}' % sha: "',' or '}' expected",
        '{"board": "b", "version": "1", "files": [["a", 1, "%s"] ["b", 1, "%s"]]}' % (sha, sha):
            "',' or ']' expected",
        '{"board": "b\x01", "version": "1", "files": []}': "control character in a string",
        '{"board": "\\x", "version": "1", "files": []}': "bad escape",
        '{"board": "\\u12G4", "version": "1", "files": []}': "bad \\u escape",
        '{"x": [1, 2}, "board": "b", "version": "1", "files": []}': "unexpected '}'",
        '{"x": ' + "[" * 40 + "]" * 40 + ', "board": "b", "version": "1", "files": []}': "nested too deep",
        '{"x": , "board": "b"}': "unexpected ','",
        '{"board": "%s", "version": "1", "files": []}' % ("b" * 300): "string over 256 bytes",
    }
    for text, reason in bad.items():
        assert _refused(text) == reason, (text, _refused(text))


def test_strings_that_are_not_utf8_are_refused():
    assert _refused(b'{"board": "\xff", "version": "1", "files": []}') == "string not UTF-8"


def test_no_more_files_than_the_bound_are_read():
    entries = ",".join('["f%d", 1, "%s"]' % (i, "a" * 64) for i in range(5))
    text = '{"board": "b", "version": "1", "files": [%s]}' % entries
    assert len(_read(text, max_files=5)[2]) == 5
    assert _refused(text, max_files=4) == "over 4 files"


def test_the_callback_can_stop_the_reading():
    def stop(path, size, sha):
        raise ValueError(path)
    try:
        read(io.BytesIO(json.dumps({"files": ENTRIES}).encode()), stop)
    except ValueError as e:
        assert e.args[0] == "VERSION"
        return
    assert False, "the callback's error did not stop the reading"
