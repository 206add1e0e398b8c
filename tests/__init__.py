"""Unit, HTTP and browser tests of the emulator, the reference gateway and the harness."""
