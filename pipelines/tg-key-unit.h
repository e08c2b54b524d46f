/* h264parse in GStreamer 1.22 reads its pending force-key-unit event on
 * the streaming thread while an upstream one replaces (and frees) it on
 * the thread of whoever asked (hlssink asks from its muxer's thread every
 * segment): with many streams at once, `gst_event_get_seqnum: assertion
 * 'GST_IS_EVENT (event)' failed` on a freed event (4 times in a minute at
 * 200 RTMP streams), a read of freed memory. tg_key_unit_serialize holds
 * each upstream force-key-unit event that reaches the parser's source pad
 * and hands it to the parser on its own streaming thread, before the next
 * buffer it takes; a request waits at most one buffer. */
#pragma once

#include <gst/gst.h>

void tg_key_unit_serialize (GstElement *parser);
