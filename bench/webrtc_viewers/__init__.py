"""The modules of bench/webrtc-viewers.py, which is run, not this package;
its docstring says what each command does and which module holds what."""
