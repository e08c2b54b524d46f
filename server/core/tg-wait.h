/* Waiting, on the main context, for what finishes there. */
#pragma once

#include <glib.h>

/* Runs the main context until *count, read under lock, is 0: what frees a
 * listener or the live registry waits so for the threads or publications
 * it counts, which finish by way of the main context. */
void tg_wait_until_none (GMutex *lock, const guint *count);
