/* Rate limiting of refused callers (tg-refusals.h), with the clock in the
 * test's hands. */
#include "tg-refusals.h"

#define S G_USEC_PER_SEC

static void
test_blocks_after_the_limit (void)
{
  g_autoptr (TgRefusals) r = tg_refusals_new (3, 10 * S);

  for (int i = 0; i < 3; i++)
    {
      g_assert_false (tg_refusals_blocked (r, "10.0.0.1", i * S));
      tg_refusals_note (r, "10.0.0.1", i * S);
    }
  g_assert_true (tg_refusals_blocked (r, "10.0.0.1", 3 * S));
  /* Another address is not concerned. */
  g_assert_false (tg_refusals_blocked (r, "10.0.0.2", 3 * S));
  /* The window passes: the address may try again. */
  g_assert_true (tg_refusals_blocked (r, "10.0.0.1", 10 * S - 1));
  g_assert_false (tg_refusals_blocked (r, "10.0.0.1", 10 * S));
  tg_refusals_note (r, "10.0.0.1", 10 * S);
  g_assert_false (tg_refusals_blocked (r, "10.0.0.1", 10 * S));
}

static void
test_spread_out_refusals_never_block (void)
{
  g_autoptr (TgRefusals) r = tg_refusals_new (3, 10 * S);

  for (int i = 0; i < 30; i++)
    {
      g_assert_false (tg_refusals_blocked (r, "10.0.0.1", i * 5 * S));
      tg_refusals_note (r, "10.0.0.1", i * 5 * S);
    }
}

static void
test_many_addresses (void)
{
  g_autoptr (TgRefusals) r = tg_refusals_new (1, 10 * S);

  for (int i = 0; i < 100000; i++)
    {
      g_autofree char *address
          = g_strdup_printf ("10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);

      tg_refusals_note (r, address, S);
    }
  /* The table was trimmed on the way (to MAX_ADDRESSES), not frozen: the
   * newest address is known. */
  g_assert_true (tg_refusals_blocked (r, "10.1.134.159", S));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/refusals/blocks-after-the-limit",
                   test_blocks_after_the_limit);
  g_test_add_func ("/refusals/spread-out-refusals-never-block",
                   test_spread_out_refusals_never_block);
  g_test_add_func ("/refusals/many-addresses", test_many_addresses);
  return g_test_run ();
}
