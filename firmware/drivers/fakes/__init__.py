# Fakes of the parts, with the drivers' interfaces: for the tests, and the device run on fake
# hardware (board.py) by the device tests and the simulator. The device never imports them
# (tools/build.py ships only what main.py reaches), so they cost it no flash and no heap. One
# module per part, beside the driver it stands in for.
