/* Ending an RTSP client's connection from any thread. */
#pragma once

#include <gst/rtsp-server/rtsp-client.h>

/* Its socket is shut down: the client sees its end and closes itself on
 * its own thread (gst_rtsp_client_close from another thread races with
 * the client's reads, and its media's teardown with the client's). */
void tg_rtsp_client_cut (GstRTSPClient *client);
