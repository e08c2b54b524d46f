/* The audit log: see tg-audit.h. */
#include "tg-audit.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

struct _TgAudit
{
  GMutex lock;
  char *path;
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

TgAudit *
tg_audit_open (const char *path, gsize max_bytes, guint keep, GError **error)
{
  TgAudit *audit = g_new0 (TgAudit, 1);

  g_mutex_init (&audit->lock);
  audit->path = g_strdup (path);
  audit->max_bytes = max_bytes;
  audit->keep = MAX (keep, 1);
  if (!open_file (audit, error))
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

void
tg_audit_write (TgAudit *audit, JsonObject *object)
{
  g_autofree char *text = line_of (object);
  g_autofree char *line = g_strconcat (text, "\n", NULL);
  g_autoptr (GError) error = NULL;
  gboolean written;

  g_mutex_lock (&audit->lock);
  written = append (audit, line, strlen (line), &error);
  if (!written && !audit->ailing)
    g_message ("%s: lines are dropped until it can be written again",
               error->message);
  else if (written && audit->ailing)
    g_message ("Audit log %s: written again", audit->path);
  audit->ailing = !written;
  g_mutex_unlock (&audit->lock);
}
