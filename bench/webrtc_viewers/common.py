"""What the viewers and the reference sender share: the imports of
tests/integration/webrtc_client.py (or why they failed, for "check"),
out() for the lines bench/webrtc reads, and no_upnp()."""

import ctypes
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, os.pardir, "tests", "integration"))

# Left None when the imports fail: nothing runs but "check", which says why.
websocket = webrtc_client = GLib = Gst = GstWebRTC = WebRtcViewer = None
try:
    import websocket  # noqa: E402
    import webrtc_client  # noqa: E402
    from webrtc_client import (GLib, Gst, GstWebRTC,  # noqa: E402
                               WebRtcViewer)
    IMPORT_ERROR = None
except Exception as exc:  # reported by "check"
    IMPORT_ERROR = exc

if IMPORT_ERROR is None:
    GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR)


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _gobject_lib():
    lib = ctypes.CDLL("libgobject-2.0.so.0")
    lib.g_object_get.restype = None
    lib.g_object_set.restype = None
    lib.g_object_unref.argtypes = [ctypes.c_void_p]
    lib.g_object_class_find_property.restype = ctypes.c_void_p
    lib.g_object_class_find_property.argtypes = [ctypes.c_void_p,
                                                 ctypes.c_char_p]
    capsule = ctypes.pythonapi.PyCapsule_GetPointer
    capsule.restype = ctypes.c_void_p
    capsule.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return lib, capsule


_GOBJECT = None


def no_upnp(webrtc):
    """libnice's UPnP gateway lookup off, as pipelines/tg-viewer.c does.
    In C through ctypes: PyGObject wraps webrtcbin's (floating) ice-agent
    taking over webrtcbin's own reference, which then frees it."""
    global _GOBJECT
    if _GOBJECT is None:
        _GOBJECT = _gobject_lib()
    lib, capsule = _GOBJECT

    def get(obj, name):
        klass = ctypes.c_void_p.from_address(obj).value  # G_OBJECT_GET_CLASS
        if not lib.g_object_class_find_property(klass, name):
            return None
        value = ctypes.c_void_p()
        lib.g_object_get(ctypes.c_void_p(obj), name, ctypes.byref(value),
                         None)
        return value.value

    ice = get(capsule(webrtc.__gpointer__, None), b"ice-agent")
    if not ice:
        return
    agent = get(ice, b"agent")
    if agent:
        klass = ctypes.c_void_p.from_address(agent).value
        if lib.g_object_class_find_property(klass, b"upnp"):
            lib.g_object_set(ctypes.c_void_p(agent), b"upnp", ctypes.c_int(0),
                             None)
        lib.g_object_unref(agent)
    lib.g_object_unref(ice)
