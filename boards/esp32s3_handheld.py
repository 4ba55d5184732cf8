# ESP32-S3 handheld terminal: 8 MB flash, no PSRAM, 4G and Wi-Fi, battery.
# Parts and pins only; the runtime (firmware/runtime/board.py) builds the drivers.
# The REPL is on the S3's own USB (USB-Serial-JTAG), which frees UART0.
NAME = "esp32s3_handheld"
MCU = "esp32s3"
FLASH_MB = 8
PSRAM = False

PARTS = {
    "lcd": {"driver": "lcd.ColorLcd", "controller": "st7789", "width": 320, "height": 240,
            "spi": 2, "baudrate": 40000000, "sck": 12, "mosi": 11, "cs": 10, "dc": 9, "rst": 14, "backlight": 13},
    "keypad": {"driver": "keypad.Keypad", "rows": (4, 5, 6, 7), "cols": (15, 16, 41, 42, 2),
               "keys": ("1", "2", "3", "CANCEL", "F1",
                        "4", "5", "6", "CLEAR", "F2",
                        "7", "8", "9", "ENTER", "F3",
                        "UP", "0", "DOWN", "FEED", "F4")},
    "magstripe": {"driver": "magstripe.Magstripe", "uart": 0, "baudrate": 9600, "tx": 43, "rx": 44},
    "i2c": {"bus": 0, "sda": 38, "scl": 39, "freq": 400000},
    "icc": {"driver": "icc.IccReader", "i2c": "i2c", "addr": 0x2A, "detect": 37},
    "nfc": {"driver": "nfc.Pn532", "i2c": "i2c", "addr": 0x24, "irq": 36},
    # The glass is 240x320 portrait, turned as the LCD's MADCTL (MX|MV) turns the picture.
    "touch": {"driver": "touch.Ft6336", "i2c": "i2c", "addr": 0x38, "irq": 8, "width": 320, "height": 240,
              "swap_xy": True, "invert_x": True, "invert_y": False},
    # The S3's three UARTs are the magstripe's, the printer's and the modem's: the scan engine
    # (GM65 class, manual mode, TRIG low reads) is on an SC16IS740 I2C-UART bridge at 0x48.
    "scanner": {"driver": "scanner.Scanner", "i2c": "i2c", "addr": 0x48, "baudrate": 9600, "xtal": 14745600,
                "trigger": 35, "max_len": 128},
    "printer": {"driver": "printer.Printer", "uart": 1, "baudrate": 115200, "tx": 17, "rx": 18,
                "dots": 384, "bytes_per_s": 6000},
    "modem": {"driver": "modem.Modem", "uart": 2, "baudrate": 115200, "tx": 47, "rx": 48, "pwrkey": 21,
              "family": "sim7600"},
    "wifi": {"driver": "wifi.Wifi"},
    "buzzer": {"driver": "buzzer.Buzzer", "pin": 40},
    "battery": {"driver": "battery.Battery", "adc": 1, "divider": 2.0, "empty_mv": 3300, "full_mv": 4150},
    "rtc": {"driver": "rtc.Clock", "source": "modem"},
}
