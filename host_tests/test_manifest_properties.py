"""pos/manifest.py against CPython's json on generated manifests, and on damaged ones."""
import io
import json

from hypothesis import given, settings, strategies as st

from pos.manifest import ManifestError, read

text = st.text(max_size=40)
scalars = st.none() | st.booleans() | st.integers(-10 ** 15, 10 ** 15) | st.floats(allow_nan=False,
                                                                                    allow_infinity=False) | text
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                      max_leaves=12)
entries = st.lists(st.tuples(text, st.integers(0, 10 ** 11), text), max_size=12)
layouts = st.sampled_from([{}, {"separators": (",", ":")}, {"indent": 2}, {"ensure_ascii": False},
                           {"indent": "\t", "ensure_ascii": False}])


def _read(data):
    got = []
    board, version = read(io.BytesIO(data), lambda *entry: got.append(entry))
    return board, version, got


@settings(max_examples=300, deadline=None)
@given(text, text, entries, st.dictionaries(text.filter(lambda k: k not in ("board", "version", "files")),
                                            values, max_size=3), layouts)
def test_what_json_writes_reads_back_the_same(board, version, files, extra, layout):
    doc = dict(extra, board=board, version=version, files=[list(e) for e in files])
    data = json.dumps(doc, **layout).encode()
    assert _read(data) == (board, version, [tuple(e) for e in files])


@settings(max_examples=500, deadline=None)
@given(entries, st.data())
def test_a_damaged_manifest_reads_or_is_refused_never_anything_else(files, data):
    good = bytearray(json.dumps({"board": "b", "version": "1.0", "files": [list(e) for e in files]}).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(good)))
        how = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if how == "flip" and at < len(good):
            good[at] ^= data.draw(st.integers(1, 255))
        elif how == "cut":
            del good[at:at + data.draw(st.integers(1, 8))]
        else:
            good[at:at] = data.draw(st.binary(min_size=1, max_size=4))
    try:
        board, version, got = _read(bytes(good))
    except ManifestError:
        return
    assert isinstance(board, str) and isinstance(version, str)
    assert all(isinstance(p, str) and isinstance(n, int) and isinstance(h, str) for p, n, h in got)
