#include "tg-rtmp-clock.h"

guint32
tg_rtmp_clock_map (TgRtmpClock *clock, guint32 in, gint64 *jump)
{
  /* the step since the last, across the 32-bit wrap */
  gint32 step = (gint32) (in - clock->last_in);

  *jump = 0;
  if (!clock->started)
    {
      clock->started = TRUE;
      clock->out = in;
    }
  else if (step > TG_RTMP_CLOCK_MAX_JUMP_MS
           || step < -TG_RTMP_CLOCK_MAX_JUMP_MS)
    *jump = step; /* goes on from where it was */
  else
    clock->out = MAX (0, clock->out + step);
  clock->last_in = in;
  return (guint32) clock->out;
}
