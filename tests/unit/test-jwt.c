/* HS256 signing against a published test vector. */
#include "tg-jwt.h"

static void
test_vector (void)
{
  g_autofree char *jwt = tg_jwt_sign (
      "{\"sub\":\"1234567890\",\"name\":\"John Doe\",\"iat\":1516239022}",
      "your-256-bit-secret");

  g_assert_cmpstr (jwt, ==,
                   "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                   "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0Ij"
                   "oxNTE2MjM5MDIyfQ."
                   "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jwt/hs256-vector", test_vector);
  return g_test_run ();
}
