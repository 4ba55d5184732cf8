# The chip card kernel (PBOC 3.0 / EMV contact, qPBOC contactless): docs/emv.md.
