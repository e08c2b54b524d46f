/* The audit log: one JSON object a line, appended to a file that is
 * rotated by size (FILE, then FILE.1 ... FILE.N, the oldest dropped). Each
 * line is written whole or not at all: a write the disk cuts short is
 * taken back. Or each line an entry of the systemd journal, sent over its
 * native protocol (no library). Thread-safe. What goes in it is the
 * callers' (tg-store-watch, tg-sessions: never a token, only its tag). */
#pragma once

#include <json-glib/json-glib.h>

typedef struct _TgAudit TgAudit;

/* The journal's socket. */
#define TG_AUDIT_JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Appends to path (made if missing); past max_bytes it is rotated, keeping
 * keep older files. path "journal" sends each line to the journal instead
 * ("journal:SOCKET": to that socket), a server's one that must be there
 * when the log is opened. */
TgAudit *tg_audit_open (const char *path, gsize max_bytes, guint keep,
                        GError **error);
void tg_audit_free (TgAudit *audit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgAudit, tg_audit_free)

/* Appends object (a JSON object) as one line, its first member "time"
 * (UTC, ISO 8601 with milliseconds) added before the object's own. A line
 * that cannot be written is dropped and said once in the log, until lines
 * can be written again. */
void tg_audit_write (TgAudit *audit, JsonObject *object);
