/* The audit log: see tg-audit.h. */
#include "tg-audit.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct _TgAudit
{
  GMutex lock;
  char *path;
  gboolean journal; /* path is the journal's socket: fd is connected to it */
  gsize max_bytes;
  guint keep;
  int fd;
  gsize size;      /* of the file now */
  gboolean ailing; /* the last line could not be written (said once) */
};

static gboolean
open_file (TgAudit *audit, GError **error)
{
  struct stat st;

  audit->fd
      = g_open (audit->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (audit->fd < 0 || fstat (audit->fd, &st) != 0)
    {
      int code = errno;

      if (audit->fd >= 0)
        close (audit->fd);
      audit->fd = -1;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (code),
                   "Audit log %s: %s", audit->path, g_strerror (code));
      return FALSE;
    }
  audit->size = (gsize) st.st_size;
  return TRUE;
}

/* The journal's native protocol: a datagram to its socket. */
static gboolean
open_journal (TgAudit *audit, GError **error)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int code = ENAMETOOLONG;

  if (strlen (audit->path) < sizeof address.sun_path)
    {
      strcpy (address.sun_path, audit->path);
      audit->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (audit->fd >= 0
          && connect (audit->fd, (struct sockaddr *) &address, sizeof address)
                 == 0)
        return TRUE;
      code = errno;
    }
  if (audit->fd >= 0)
    close (audit->fd);
  audit->fd = -1;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (code),
               "Audit log to the journal at %s: %s", audit->path,
               g_strerror (code));
  return FALSE;
}

TgAudit *
tg_audit_open (const char *path, gsize max_bytes, guint keep, GError **error)
{
  TgAudit *audit = g_new0 (TgAudit, 1);

  g_mutex_init (&audit->lock);
  audit->journal
      = g_str_equal (path, "journal") || g_str_has_prefix (path, "journal:");
  audit->path = !audit->journal ? g_strdup (path)
                : path[strlen ("journal")]
                    ? g_strdup (path + strlen ("journal:"))
                    : g_strdup (TG_AUDIT_JOURNAL_SOCKET);
  audit->max_bytes = max_bytes;
  audit->keep = MAX (keep, 1);
  if (audit->journal ? !open_journal (audit, error) : !open_file (audit, error))
    {
      tg_audit_free (audit);
      return NULL;
    }
  return audit;
}

void
tg_audit_free (TgAudit *audit)
{
  if (audit == NULL)
    return;
  if (audit->fd >= 0)
    close (audit->fd);
  g_free (audit->path);
  g_mutex_clear (&audit->lock);
  g_free (audit);
}

/* FILE.N-1 -> FILE.N ... FILE -> FILE.1, a new FILE; locked. */
static gboolean
rotate (TgAudit *audit, GError **error)
{
  close (audit->fd);
  audit->fd = -1;
  for (guint i = audit->keep; i > 0; i--)
    {
      g_autofree char *from
          = i == 1 ? g_strdup (audit->path)
                   : g_strdup_printf ("%s.%u", audit->path, i - 1);
      g_autofree char *to = g_strdup_printf ("%s.%u", audit->path, i);

      if (g_rename (from, to) != 0 && errno != ENOENT)
        g_message ("Audit log: cannot rename %s: %s", from, g_strerror (errno));
    }
  return open_file (audit, error);
}

/* One line, whole or not at all; locked. */
static gboolean
append (TgAudit *audit, const char *line, gsize length, GError **error)
{
  ssize_t n;

  if (audit->fd < 0 && !open_file (audit, error))
    return FALSE;
  if (audit->size > 0 && audit->size + length > audit->max_bytes
      && !rotate (audit, error))
    return FALSE;
  do
    n = write (audit->fd, line, length);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t) length)
    {
      audit->size += length;
      return TRUE;
    }
  /* Cut short (a full disk): the part written is taken back. */
  if (n > 0 && ftruncate (audit->fd, (off_t) audit->size) != 0)
    g_message ("Audit log %s: a cut line could not be taken back: %s",
               audit->path, g_strerror (errno));
  g_set_error (
      error, G_FILE_ERROR, g_file_error_from_errno (n < 0 ? errno : ENOSPC),
      "Audit log %s: %s", audit->path, g_strerror (n < 0 ? errno : ENOSPC));
  return FALSE;
}

static char *
line_of (JsonObject *object)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) line = json_object_new ();
  g_autoptr (GList) members = json_object_get_members (object);
  g_autofree char *time = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  char *text;

  /* milliseconds: %f gives microseconds */
  time[23] = 'Z';
  time[24] = '\0';
  json_object_set_string_member (line, "time", time);
  for (GList *m = members; m; m = m->next)
    json_object_set_member (line, m->data,
                            json_object_dup_member (object, m->data));
  json_node_set_object (node, line);
  text = json_to_string (node, FALSE);
  return text;
}

/* One entry of the journal: the line as its message (JSON has no raw
 * newline), the server as its identifier, and a field to find the audit's
 * entries by (journalctl TOLLGATE_AUDIT=1). */
static gboolean
send_entry (TgAudit *audit, const char *text, GError **error)
{
  g_autofree char *entry = g_strdup_printf (
      "MESSAGE=%s\nSYSLOG_IDENTIFIER=tollgate\nTOLLGATE_AUDIT=1\n"
      "PRIORITY=6\n",
      text);
  gsize length = strlen (entry);
  ssize_t n;

  do
    n = send (audit->fd, entry, length, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t) length)
    return TRUE;
  g_set_error (error, G_FILE_ERROR,
               g_file_error_from_errno (n < 0 ? errno : EMSGSIZE),
               "Audit log to the journal at %s: %s", audit->path,
               g_strerror (n < 0 ? errno : EMSGSIZE));
  return FALSE;
}

void
tg_audit_write (TgAudit *audit, JsonObject *object)
{
  g_autofree char *text = line_of (object);
  g_autofree char *line = g_strconcat (text, "\n", NULL);
  g_autoptr (GError) error = NULL;
  gboolean written;

  g_mutex_lock (&audit->lock);
  written = audit->journal ? send_entry (audit, text, &error)
                           : append (audit, line, strlen (line), &error);
  if (!written && !audit->ailing)
    g_message ("%s: lines are dropped until it can be written again",
               error->message);
  else if (written && audit->ailing)
    g_message ("Audit log %s: written again", audit->path);
  audit->ailing = !written;
  g_mutex_unlock (&audit->lock);
}
