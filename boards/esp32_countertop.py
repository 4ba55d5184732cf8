# Classic ESP32 countertop terminal: 4 MB flash, mains powered, Wi-Fi only.
# Parts and pins only; the runtime (firmware/runtime/board.py) builds the drivers.
# GPIO 34-39 are inputs only: keypad columns and the magstripe's RX.
NAME = "esp32_countertop"
MCU = "esp32"
FLASH_MB = 4
PSRAM = False
# Two application slots and all of CJK do not fit a 4 MB flash: this board's glyphs are GB2312's
# (assets/font16_gb2312.bin, shipped as font16.bin); others print as a wide ？.
FONT = "font16_gb2312.bin"

PARTS = {
    "lcd": {"driver": "lcd.MonoLcd", "controller": "st7567", "width": 128, "height": 64,
            "spi": 2, "baudrate": 10000000, "sck": 18, "mosi": 23, "cs": 5, "dc": 16, "rst": 17, "backlight": 4},
    "keypad": {"driver": "keypad.Keypad", "rows": (13, 14, 27, 26), "cols": (25, 33, 32, 35, 34),
               "keys": ("1", "2", "3", "CANCEL", "F1",
                        "4", "5", "6", "CLEAR", "F2",
                        "7", "8", "9", "ENTER", "F3",
                        "UP", "0", "DOWN", "FEED", "F4")},
    "magstripe": {"driver": "magstripe.Magstripe", "uart": 2, "baudrate": 9600, "tx": None, "rx": 36},
    # UART0 is the REPL's, 1 and 2 the printer's and the magstripe's: the scan engine (GM65 class,
    # induction mode, no trigger) is on an SC16IS740 I2C-UART bridge at 0x48, on the last free pins
    # (GPIO 0 and 15 are strapping pins that boot high, as the bus's pull-ups hold them).
    "i2c": {"bus": 0, "sda": 15, "scl": 0, "freq": 400000},
    "scanner": {"driver": "scanner.Scanner", "i2c": "i2c", "addr": 0x48, "baudrate": 9600, "xtal": 14745600,
                "max_len": 128},
    "printer": {"driver": "printer.Printer", "uart": 1, "baudrate": 115200, "tx": 19, "rx": 21,
                "dots": 384, "bytes_per_s": 6000},
    "wifi": {"driver": "wifi.Wifi"},
    "buzzer": {"driver": "buzzer.Buzzer", "pin": 22},
    "rtc": {"driver": "rtc.Clock", "source": "ntp"},
}
