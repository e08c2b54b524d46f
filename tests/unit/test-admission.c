/* The admission decision (tollgate.h): its order, and what each scheme
 * spends, on a memory store. */
#include "tollgate.h"

#define KEY "0123456789abcdef0123456789abcdef"

typedef struct
{
  TgStore *store;
  TgPolicy *policy;
  guint claims;  /* how many times the door was asked */
  gboolean free; /* its answer */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->store = tg_store_open ("memory://", &error);
  g_assert_no_error (error);
  f->policy = tg_policy_from_json ("{}", &error);
  g_assert_no_error (error);
  f->free = TRUE;
}

static void
teardown (Fixture *f, gconstpointer data)
{
  tg_policy_free (f->policy);
  tg_store_unref (f->store);
}

static gboolean
claim (gpointer data)
{
  Fixture *f = data;

  f->claims++;
  return f->free;
}

static TgAdmit
admit (Fixture *f, const char *stream, TgTokenType type, const char *credential,
       gboolean spend, TgVerdict *verdict)
{
  TgAdmission request = { .app = "LiveApp",
                          .stream_id = stream,
                          .type = type,
                          .credential = credential,
                          .door = "test",
                          .spend = spend,
                          .claim = claim,
                          .claim_data = f };
  g_autoptr (GError) error = NULL;
  TgAdmit outcome = tg_admit (f->store, f->policy, &request, verdict, &error);

  g_assert_no_error (error);
  return outcome;
}

static char *
mint (Fixture *f, const char *stream, TgTokenType type)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) token
      = tg_store_mint (f->store, "LiveApp", stream, type,
                       g_get_real_time () / G_USEC_PER_SEC + 60, NULL, &error);

  g_assert_no_error (error);
  return g_strdup (token->token_id);
}

static guint
tokens_of (Fixture *f, const char *stream)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens
      = tg_store_list_tokens (f->store, "LiveApp", stream, 0, 50, &error);

  g_assert_no_error (error);
  return tokens->len;
}

static void
use_policy (Fixture *f, const char *json)
{
  g_autoptr (GError) error = NULL;

  tg_policy_free (f->policy);
  f->policy = tg_policy_from_json (json, &error);
  g_assert_no_error (error);
}

static void
test_policy_from_settings (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (f->policy->publish, ==, TG_SCHEME_NONE);
  g_assert_cmpint (f->policy->play, ==, TG_SCHEME_NONE);
  g_assert_false (f->policy->only_registered);
  g_assert_cmpstr (f->policy->jwt_secret, ==, "");
  use_policy (f, "{\"publishTokenControlEnabled\":true,"
                 "\"playJwtControlEnabled\":true,"
                 "\"jwtStreamSecretKey\":\"" KEY "\","
                 "\"acceptOnlyStreamsInDataStore\":true}");
  g_assert_cmpint (f->policy->publish, ==, TG_SCHEME_ONE_TIME);
  g_assert_cmpint (f->policy->play, ==, TG_SCHEME_JWT);
  g_assert_true (f->policy->only_registered);
  g_assert_cmpstr (f->policy->jwt_secret, ==, KEY);
}

/* Stored settings have at most one scheme per direction; a record that
 * says both asks for the JWT, which needs the key as well. */
static void
test_both_schemes_mean_jwt (Fixture *f, gconstpointer data)
{
  use_policy (f, "{\"playTokenControlEnabled\":true,"
                 "\"playJwtControlEnabled\":true}");
  g_assert_cmpint (f->policy->play, ==, TG_SCHEME_JWT);
}

static void
test_policy_load (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgPolicy) none = tg_policy_load (f->store, "LiveApp", &error);
  g_autoptr (TgPolicy) loaded = NULL;

  g_assert_null (none);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (tg_store_record_put (f->store, "settings", "LiveApp",
                                      "{\"playTokenControlEnabled\":true}",
                                      FALSE, &error));
  loaded = tg_policy_load (f->store, "LiveApp", &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->play, ==, TG_SCHEME_ONE_TIME);
}

static void
test_no_scheme_admits (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PUBLISH, NULL, TRUE, NULL), ==,
                   TG_ADMIT_OK);
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, NULL, TRUE, NULL), ==,
                   TG_ADMIT_OK);
}

/* Each check before the credential refuses without spending it, and the
 * door is asked whether the stream is free only after the stream may be
 * published at all. */
static void
test_order (Fixture *f, gconstpointer data)
{
  g_autofree char *token = mint (f, "s1", TG_TOKEN_TYPE_PUBLISH);
  TgAdmission request = { .app = "LiveApp",
                          .stream_id = "s1",
                          .type = TG_TOKEN_TYPE_PUBLISH,
                          .credential = token,
                          .spend = TRUE };

  use_policy (f, "{\"publishTokenControlEnabled\":true,"
                 "\"acceptOnlyStreamsInDataStore\":true}");
  g_assert_cmpint (admit (f, "s 1", TG_TOKEN_TYPE_PUBLISH, token, TRUE, NULL),
                   ==, TG_ADMIT_INVALID_STREAM_ID);
  g_assert_cmpint (tg_admit (f->store, NULL, &request, NULL, NULL), ==,
                   TG_ADMIT_UNKNOWN_APP);
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PUBLISH, token, TRUE, NULL),
                   ==, TG_ADMIT_UNREGISTERED);
  g_assert_cmpuint (f->claims, ==, 0);
  g_assert_true (tg_store_record_put (f->store, "broadcast:LiveApp", "s1", "{}",
                                      FALSE, NULL));
  f->free = FALSE;
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PUBLISH, token, TRUE, NULL),
                   ==, TG_ADMIT_IN_USE);
  g_assert_cmpuint (f->claims, ==, 1);
  g_assert_cmpuint (tokens_of (f, "s1"), ==, 1);
  f->free = TRUE;
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PUBLISH, token, TRUE, NULL),
                   ==, TG_ADMIT_OK);
  g_assert_cmpuint (tokens_of (f, "s1"), ==, 0);
}

/* Playing needs no broadcast record, and asks no claim of a door that
 * gives none. */
static void
test_play_needs_no_record (Fixture *f, gconstpointer data)
{
  TgAdmission request
      = { .app = "LiveApp", .stream_id = "s1", .type = TG_TOKEN_TYPE_PLAY };

  use_policy (f, "{\"acceptOnlyStreamsInDataStore\":true}");
  g_assert_cmpint (tg_admit (f->store, f->policy, &request, NULL, NULL), ==,
                   TG_ADMIT_OK);
}

static void
test_one_time (Fixture *f, gconstpointer data)
{
  g_autofree char *token = mint (f, "s1", TG_TOKEN_TYPE_PLAY);
  TgVerdict verdict = TG_VERDICT_OK;

  use_policy (f, "{\"playTokenControlEnabled\":true}");
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, NULL, TRUE, NULL), ==,
                   TG_ADMIT_NO_TOKEN);
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, "", TRUE, NULL), ==,
                   TG_ADMIT_NO_TOKEN);
  g_assert_cmpint (admit (f, "s2", TG_TOKEN_TYPE_PLAY, token, TRUE, &verdict),
                   ==, TG_ADMIT_REFUSED);
  g_assert_cmpint (verdict, ==, TG_VERDICT_WRONG_STREAM);
  /* Checked only: still there. */
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, token, FALSE, NULL), ==,
                   TG_ADMIT_OK);
  g_assert_cmpuint (tokens_of (f, "s1"), ==, 1);
  /* Spent once. */
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, token, TRUE, NULL), ==,
                   TG_ADMIT_OK);
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, token, TRUE, &verdict),
                   ==, TG_ADMIT_REFUSED);
  g_assert_cmpint (verdict, ==, TG_VERDICT_UNKNOWN);
}

static void
test_jwt (Fixture *f, gconstpointer data)
{
  g_autofree char *claims = g_strdup_printf (
      "{\"streamId\":\"s1\",\"type\":\"play\",\"exp\":%" G_GINT64_FORMAT "}",
      g_get_real_time () / G_USEC_PER_SEC + 60);
  g_autofree char *jwt = tg_jwt_sign (claims, KEY);
  g_autofree char *one_time = mint (f, "s1", TG_TOKEN_TYPE_PLAY);
  TgVerdict verdict = TG_VERDICT_OK;

  use_policy (f, "{\"playJwtControlEnabled\":true,"
                 "\"jwtStreamSecretKey\":\"" KEY "\"}");
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, NULL, TRUE, NULL), ==,
                   TG_ADMIT_NO_TOKEN);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, jwt, TRUE, NULL), ==,
                     TG_ADMIT_OK);
  /* A one-time token is no JWT, and is left as it was. */
  g_assert_cmpint (
      admit (f, "s1", TG_TOKEN_TYPE_PLAY, one_time, TRUE, &verdict), ==,
      TG_ADMIT_REFUSED);
  g_assert_cmpint (verdict, ==, TG_VERDICT_BAD_JWT);
  g_assert_cmpuint (tokens_of (f, "s1"), ==, 1);
  /* Publishing is the other direction: no scheme there. */
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PUBLISH, NULL, TRUE, NULL), ==,
                   TG_ADMIT_OK);
}

/* What a store's watcher is told. */
typedef struct
{
  GString *decisions;  /* "app door scheme outcome verdict;" each */
  GString *operations; /* "name answered;" each */
} Seen;

static void
seen_admitted (const TgAdmission *request, const TgPolicy *policy,
               TgAdmit outcome, TgVerdict verdict, gpointer data)
{
  Seen *seen = data;

  g_string_append_printf (
      seen->decisions, "%s %s %d %s %s;", policy ? request->app : "-",
      request->door,
      policy ? (int) tg_policy_scheme (policy, request->type) : -1,
      tg_admit_to_string (outcome), tg_verdict_to_string (verdict));
}

static void
seen_operation (const char *name, double seconds, gboolean answered,
                gpointer data)
{
  Seen *seen = data;

  g_assert_cmpfloat (seconds, >=, 0);
  g_assert_cmpfloat (seconds, <, 60);
  g_string_append_printf (seen->operations, "%s %d;", name, answered);
}

static void
test_watch (Fixture *f, gconstpointer data)
{
  static const TgStoreWatch watch = { seen_admitted, seen_operation };
  Seen seen = { g_string_new (NULL), g_string_new (NULL) };
  g_autofree char *token = NULL;
  TgAdmission unknown_app = { .app = "NoApp",
                              .stream_id = "s1",
                              .type = TG_TOKEN_TYPE_PLAY,
                              .door = "test" };

  tg_store_set_watch (f->store, &watch, &seen);
  use_policy (f, "{\"playTokenControlEnabled\":true}");
  token = mint (f, "s1", TG_TOKEN_TYPE_PLAY);
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, NULL, TRUE, NULL), ==,
                   TG_ADMIT_NO_TOKEN);
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, token, TRUE, NULL), ==,
                   TG_ADMIT_OK);
  g_assert_cmpint (admit (f, "s1", TG_TOKEN_TYPE_PLAY, token, TRUE, NULL), ==,
                   TG_ADMIT_REFUSED);
  g_assert_cmpint (tg_admit (f->store, NULL, &unknown_app, NULL, NULL), ==,
                   TG_ADMIT_UNKNOWN_APP);
  g_assert_cmpstr (seen.decisions->str, ==,
                   "LiveApp test 1 no token ok;"
                   "LiveApp test 1 admitted ok;"
                   "LiveApp test 1 token refused unknown-or-spent;"
                   "- test -1 unknown application ok;");
  g_assert_cmpstr (seen.operations->str, ==, "insert 1;consume 1;consume 1;");
  /* Unwatched: nothing more is told. */
  tg_store_set_watch (f->store, NULL, NULL);
  admit (f, "s1", TG_TOKEN_TYPE_PLAY, token, TRUE, NULL);
  g_assert_cmpstr (seen.operations->str, ==, "insert 1;consume 1;consume 1;");
  g_string_free (seen.decisions, TRUE);
  g_string_free (seen.operations, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn)                                                          \
  g_test_add ("/admission/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("policy-from-settings", test_policy_from_settings);
  ADD ("both-schemes-mean-jwt", test_both_schemes_mean_jwt);
  ADD ("policy-load", test_policy_load);
  ADD ("no-scheme-admits", test_no_scheme_admits);
  ADD ("order", test_order);
  ADD ("play-needs-no-record", test_play_needs_no_record);
  ADD ("one-time", test_one_time);
  ADD ("jwt", test_jwt);
  ADD ("watch", test_watch);
  return g_test_run ();
}
