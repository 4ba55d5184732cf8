# What the engine's effects come back with, named once: the flows, the shell, the link and the
# printer driver all speak these (a module of its own, so the drivers need not load the engine).
OK = "OK"
CANCEL = "CANCEL"                  # the merchant pressed 取消
TIMEOUT = "TIMEOUT"                # a wait ran out on the App's clock
LINK_DOWN = "LINK_DOWN"            # Connect: no link came up, nothing was sent
LINK_BROKEN = "LINK_BROKEN"        # Exchange: the link failed with the request out
PAPER_OUT = "PAPER_OUT"            # Print: print the copy again once paper is in
PRINTER_ERROR = "PRINTER_ERROR"
CARD_GONE = "CARD_GONE"            # Apdu: the card left the slot or the field
CARD_ERROR = "CARD_ERROR"          # Apdu: the reader could not talk to the card
GAVE_UP = (CANCEL, TIMEOUT)        # what ends an input without a value
