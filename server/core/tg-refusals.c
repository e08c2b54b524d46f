#include "tg-refusals.h"

/* Addresses remembered at most; past this, expired ones are forgotten (and
 * if none has expired, all: a flood of addresses must not grow memory). */
#define MAX_ADDRESSES 4096

typedef struct
{
  gint64 since; /* start of the window */
  guint count;  /* refusals in it */
} Record;

struct _TgRefusals
{
  guint limit;
  gint64 window;
  GMutex lock;
  GHashTable *records; /* address -> Record */
};

TgRefusals *
tg_refusals_new (guint limit, gint64 window)
{
  TgRefusals *refusals = g_new0 (TgRefusals, 1);

  refusals->limit = limit;
  refusals->window = window;
  g_mutex_init (&refusals->lock);
  refusals->records
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return refusals;
}

void
tg_refusals_free (TgRefusals *refusals)
{
  if (refusals == NULL)
    return;
  g_hash_table_unref (refusals->records);
  g_mutex_clear (&refusals->lock);
  g_free (refusals);
}

static gboolean
expired (gpointer key, gpointer value, gpointer data)
{
  const Record *record = value;
  const gint64 *oldest = data;

  return record->since < *oldest;
}

gboolean
tg_refusals_blocked (TgRefusals *refusals, const char *address, gint64 now)
{
  Record *record;
  gboolean blocked;

  g_mutex_lock (&refusals->lock);
  record = g_hash_table_lookup (refusals->records, address);
  blocked = record && now - record->since < refusals->window
            && record->count >= refusals->limit;
  g_mutex_unlock (&refusals->lock);
  return blocked;
}

void
tg_refusals_note (TgRefusals *refusals, const char *address, gint64 now)
{
  Record *record;

  g_mutex_lock (&refusals->lock);
  record = g_hash_table_lookup (refusals->records, address);
  if (record == NULL && g_hash_table_size (refusals->records) >= MAX_ADDRESSES)
    {
      gint64 oldest = now - refusals->window;

      g_hash_table_foreach_remove (refusals->records, expired, &oldest);
      if (g_hash_table_size (refusals->records) >= MAX_ADDRESSES)
        g_hash_table_remove_all (refusals->records);
    }
  if (record == NULL)
    {
      record = g_new0 (Record, 1);
      g_hash_table_insert (refusals->records, g_strdup (address), record);
    }
  if (record->count == 0 || now - record->since >= refusals->window)
    {
      record->since = now;
      record->count = 0;
    }
  record->count++;
  g_mutex_unlock (&refusals->lock);
}
