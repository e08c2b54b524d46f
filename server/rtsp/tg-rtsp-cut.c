#include "tg-rtsp-cut.h"

void
tg_rtsp_client_cut (GstRTSPClient *client)
{
  GstRTSPConnection *connection = gst_rtsp_client_get_connection (client);
  GSocket *socket
      = connection ? gst_rtsp_connection_get_read_socket (connection) : NULL;

  if (socket == NULL)
    return;
  g_object_ref (socket); /* its client may be closing it meanwhile */
  g_socket_shutdown (socket, TRUE, TRUE, NULL);
  g_object_unref (socket);
}
