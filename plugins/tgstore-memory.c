/* memory://: one process only, for tests and embedding. One mutex guards
 * everything; nothing here is slow enough to matter. */
#include "tgstore-private.h"

typedef struct
{
  guint64 seq; /* insertion order */
  TgToken *token;
  char *value; /* records only */
} Entry;

typedef struct
{
  GMutex lock;
  guint64 next_seq;
  GHashTable *tokens;  /* "app\x1ftoken_id" -> Entry */
  GHashTable *records; /* "kind\x1fkey" -> Entry */
} MemoryStore;

static char *
join (const char *a, const char *b)
{
  return g_strconcat (a, "\x1f", b, NULL);
}

static void
entry_free (Entry *entry)
{
  tg_token_free (entry->token);
  g_free (entry->value);
  g_free (entry);
}

static gint
entry_by_seq (gconstpointer a, gconstpointer b)
{
  const Entry *x = *(Entry **) a, *y = *(Entry **) b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static gpointer
memory_open (const char *rest, GError **error)
{
  MemoryStore *self = g_new0 (MemoryStore, 1);

  g_mutex_init (&self->lock);
  self->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) entry_free);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) entry_free);
  return self;
}

static void
memory_close (gpointer data)
{
  MemoryStore *self = data;

  g_hash_table_unref (self->tokens);
  g_hash_table_unref (self->records);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static gboolean
memory_insert (gpointer data, const TgToken *token, GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  Entry *entry = g_new0 (Entry, 1);

  entry->seq = self->next_seq++;
  entry->token = tg_token_copy (token);
  g_hash_table_replace (self->tokens, join (token->app, token->token_id),
                        entry);
  return TRUE;
}

static TgVerdict
memory_consume (gpointer data, const char *app, const char *token_id,
                const char *stream_id, TgTokenType type, const char *room_id,
                gint64 now, GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  g_autofree char *key = join (app, token_id);
  Entry *entry = g_hash_table_lookup (self->tokens, key);
  TgVerdict verdict;

  if (entry == NULL)
    return TG_VERDICT_UNKNOWN;
  verdict = tg_token_judge (entry->token, stream_id, type, room_id, now);
  if (verdict == TG_VERDICT_OK && room_id == NULL)
    g_hash_table_remove (self->tokens, key);
  return verdict;
}

static TgVerdict
memory_check (gpointer data, const char *app, const char *token_id,
              const char *stream_id, TgTokenType type, gint64 now,
              GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  g_autofree char *key = join (app, token_id);
  Entry *entry = g_hash_table_lookup (self->tokens, key);

  if (entry == NULL)
    return TG_VERDICT_UNKNOWN;
  return tg_token_judge (entry->token, stream_id, type, NULL, now);
}

/* Entries of a table that match, in insertion order. */
static GPtrArray *
collect (GHashTable *table, gboolean (*match) (Entry *, gpointer),
         gpointer match_data)
{
  GPtrArray *found = g_ptr_array_new ();
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (match (entry, match_data))
      g_ptr_array_add (found, entry);
  g_ptr_array_sort (found, entry_by_seq);
  return found;
}

static gboolean
token_of_stream (Entry *entry, gpointer data)
{
  const char **app_stream = data;

  return g_str_equal (entry->token->app, app_stream[0])
         && g_str_equal (entry->token->stream_id, app_stream[1]);
}

static gint64
memory_revoke_stream (gpointer data, const char *app, const char *stream_id,
                      GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  const char *app_stream[] = { app, stream_id };
  g_autoptr (GPtrArray) found
      = collect (self->tokens, token_of_stream, app_stream);

  for (guint i = 0; i < found->len; i++)
    {
      TgToken *token = ((Entry *) found->pdata[i])->token;
      g_autofree char *key = join (token->app, token->token_id);

      g_hash_table_remove (self->tokens, key);
    }
  return found->len;
}

static GPtrArray *
memory_list_tokens (gpointer data, const char *app, const char *stream_id,
                    guint offset, guint size, GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  const char *app_stream[] = { app, stream_id };
  g_autoptr (GPtrArray) found
      = collect (self->tokens, token_of_stream, app_stream);
  GPtrArray *tokens
      = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_token_free);

  for (guint i = offset; i < found->len && tokens->len < size; i++)
    g_ptr_array_add (tokens,
                     tg_token_copy (((Entry *) found->pdata[i])->token));
  return tokens;
}

static gint64
memory_purge_expired (gpointer data, gint64 now, GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  GHashTableIter iter;
  Entry *entry;
  gint64 purged = 0;

  g_hash_table_iter_init (&iter, self->tokens);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->token->expire_date <= now)
      {
        g_hash_table_iter_remove (&iter);
        purged++;
      }
  return purged;
}

static gboolean
memory_record_put (gpointer data, const char *kind, const char *key,
                   const char *value, gboolean only_if_absent, GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  char *full = join (kind, key);
  Entry *entry = g_hash_table_lookup (self->records, full);

  if (entry != NULL)
    {
      g_free (full);
      if (only_if_absent)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_EXISTS, "%s %s exists", kind,
                       key);
          return FALSE;
        }
      g_free (entry->value);
      entry->value = g_strdup (value);
      return TRUE;
    }
  entry = g_new0 (Entry, 1);
  entry->seq = self->next_seq++;
  entry->value = g_strdup (value);
  g_hash_table_insert (self->records, full, entry);
  return TRUE;
}

static char *
memory_record_get (gpointer data, const char *kind, const char *key,
                   GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  g_autofree char *full = join (kind, key);
  Entry *entry = g_hash_table_lookup (self->records, full);

  if (entry == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_NOT_FOUND, "%s %s not found", kind,
                   key);
      return NULL;
    }
  return g_strdup (entry->value);
}

static gboolean
memory_record_delete (gpointer data, const char *kind, const char *key,
                      GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  g_autofree char *full = join (kind, key);

  if (g_hash_table_remove (self->records, full))
    return TRUE;
  g_set_error (error, TG_ERROR, TG_ERROR_NOT_FOUND, "%s %s not found", kind,
               key);
  return FALSE;
}

static GPtrArray *
records_of_kind (MemoryStore *self, const char *kind)
{
  g_autofree char *prefix = join (kind, "");
  GPtrArray *found = g_ptr_array_new ();
  GHashTableIter iter;
  const char *key;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &entry))
    if (g_str_has_prefix (key, prefix))
      g_ptr_array_add (found, entry);
  g_ptr_array_sort (found, entry_by_seq);
  return found;
}

static GPtrArray *
memory_record_list (gpointer data, const char *kind, guint offset, guint size,
                    GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  g_autoptr (GPtrArray) found = records_of_kind (self, kind);
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);

  for (guint i = offset; i < found->len && values->len < size; i++)
    g_ptr_array_add (values, g_strdup (((Entry *) found->pdata[i])->value));
  return values;
}

static gint64
memory_record_count (gpointer data, const char *kind, GError **error)
{
  MemoryStore *self = data;
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  g_autoptr (GPtrArray) found = records_of_kind (self, kind);

  return found->len;
}

const TgStoreBackend tg_store_backend_memory = {
  .scheme = "memory",
  .open = memory_open,
  .close = memory_close,
  .insert = memory_insert,
  .consume = memory_consume,
  .check = memory_check,
  .revoke_stream = memory_revoke_stream,
  .list_tokens = memory_list_tokens,
  .purge_expired = memory_purge_expired,
  .record_put = memory_record_put,
  .record_get = memory_record_get,
  .record_delete = memory_record_delete,
  .record_list = memory_record_list,
  .record_count = memory_record_count,
};
