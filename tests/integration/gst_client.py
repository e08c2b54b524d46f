"""GStreamer in the tests' own clients (webrtc_client.py, flv_publisher.py).

init() loads system plugins only, with a registry of its own: not the
server's build of the Tollgate plugin (a sanitizer build's would need its
runtime preloaded into Python) nor its registry file. GStreamer reads these
at init; the server's environment is left as it is.
"""

import os
import tempfile

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def init():
    saved = {k: os.environ.get(k)
             for k in ("GST_PLUGIN_PATH_1_0", "GST_REGISTRY_1_0")}
    os.environ.pop("GST_PLUGIN_PATH_1_0", None)
    os.environ["GST_REGISTRY_1_0"] = os.path.join(
        tempfile.gettempdir(), "tollgate-test-client-%d.bin" % os.getuid())
    try:
        Gst.init(None)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
