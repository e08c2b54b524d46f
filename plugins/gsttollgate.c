/* The GStreamer plugin "tollgate": elements that check one-time tokens. */
#include <gst/gst.h>

#include "tgtokenbin.h"
#include "tgtokencheck.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  return GST_ELEMENT_REGISTER (tokencheck, plugin)
         && GST_ELEMENT_REGISTER (tokenbin, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, tollgate,
                   "Checks of Tollgate's one-time tokens", plugin_init, VERSION,
                   "LGPL", PACKAGE, "Unknown package origin")
