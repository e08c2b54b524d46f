"""The modules of bench/http-probe, which is run, not this package; its
docstring says what each attack does and which module holds what.

Its raw-socket clients are tests/integration/raw_clients.py, shared with
test_http_limits.py: that folder goes on sys.path here, before any module
of the package imports raw_clients."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, os.pardir, "tests", "integration"))
