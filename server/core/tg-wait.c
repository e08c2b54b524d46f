#include "tg-wait.h"

static gboolean
any (GMutex *lock, const guint *count)
{
  gboolean any;

  g_mutex_lock (lock);
  any = *count > 0;
  g_mutex_unlock (lock);
  return any;
}

void
tg_wait_until_none (GMutex *lock, const guint *count)
{
  while (any (lock, count))
    g_main_context_iteration (NULL, TRUE);
}
