/* The reference for bench/tokens: the least a libsoup 3 server can do per
 * request, one thread answering a fixed 15-byte JSON body. It prints
 * "port=N" once listening on 127.0.0.1 and runs until killed. */
#include <libsoup/soup.h>
#include <stdio.h>

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path,
        GHashTable *query, gpointer data)
{
  static const char body[] = "{\"status\":\"ok\"}";

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    body, sizeof body - 1);
}

int
main (void)
{
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GError) error = NULL;
  g_autoslist (GUri) uris = NULL;

  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY,
                                 &error))
    {
      g_printerr ("bare-soup: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  g_print ("port=%d\n", g_uri_get_port (uris->data));
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}
