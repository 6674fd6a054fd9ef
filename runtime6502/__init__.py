"""Hand-written 6502 routines (the ``.s`` files beside this one), shipped as package data."""
