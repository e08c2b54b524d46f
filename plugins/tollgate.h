/* libtollgate: the one-time token store and its rules.
 *
 * A store is opened from a URI and chosen by its scheme:
 *   sqlite:///abs/path/tollgate.db   one file, shared by every process
 *   memory://                        this process only
 * A backend implements the TgStoreBackend table of tgstore-private.h; callers
 * only ever see TgStore, so adding a backend touches no caller.
 *
 * Tokens follow the one-time rule: a (token, stream, type) is valid iff the
 * token exists, its type matches, now < expire_date and its stream matches.
 * A valid use deletes it atomically; a refused use leaves it untouched.
 * Tokens are secrets: never log them (tg_token_hash() gives a loggable tag).
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Errors of every Tollgate module; the server maps them to HTTP statuses. */
#define TG_ERROR (tg_error_quark ())
GQuark tg_error_quark (void);

typedef enum
{
  TG_ERROR_INVALID,   /* bad input from a client: 400 */
  TG_ERROR_NOT_FOUND, /* 404 */
  TG_ERROR_EXISTS,    /* the key is taken: 400 in Ant Media's API */
  TG_ERROR_FORBIDDEN, /* 403 */
  TG_ERROR_STORE,     /* the store failed: 500 */
  TG_ERROR_FAILED,    /* anything else of the server's: an element missing,
                       * a link refused, TLS, randomness: 500 */
} TgError;

typedef enum
{
  TG_TOKEN_TYPE_PUBLISH,
  TG_TOKEN_TYPE_PLAY,
} TgTokenType;

/* The outcome of a consume. Anything but TG_VERDICT_OK is a refusal; its
 * name (tg_verdict_to_string) goes to logs and metrics, never to clients. */
typedef enum
{
  TG_VERDICT_OK,
  TG_VERDICT_UNKNOWN, /* unknown or already spent */
  TG_VERDICT_EXPIRED,
  TG_VERDICT_WRONG_TYPE,
  TG_VERDICT_WRONG_STREAM,
  TG_VERDICT_WRONG_ROOM,
  TG_VERDICT_STORE_ERROR, /* the store failed; the GError says how */
  TG_VERDICT_BAD_JWT,     /* not a JWT signed HS256 with the app's key */
} TgVerdict;

typedef struct
{
  char *app;
  char *token_id;
  char *stream_id;
  gint64 expire_date; /* unix seconds */
  TgTokenType type;
  char *room_id; /* NULL unless a room token */
} TgToken;

/* Smallest number of random bits in a token id. */
#define TG_TOKEN_ID_BITS 128

/* The GstContext type through which a pipeline receives the server's store;
 * its structure holds the store in the field "store" (TG_TYPE_STORE). */
#define TG_STORE_CONTEXT_TYPE "tollgate.token-store"

typedef struct _TgStore TgStore;

#define TG_TYPE_STORE (tg_store_get_type ())
GType tg_store_get_type (void);

/* --- tokens as values --- */
const char *tg_token_type_to_string (TgTokenType type);
gboolean tg_token_type_from_string (const char *str, TgTokenType *type);
const char *tg_verdict_to_string (TgVerdict verdict);

/* A fresh token id: at least TG_TOKEN_ID_BITS bits from RAND_bytes, letters
 * and digits only. NULL (with error) only if the CSPRNG fails. */
char *tg_token_id_new (GError **error);

/* A short, stable tag of a token id for logs (not reversible). */
char *tg_token_hash (const char *token_id);

TgToken *tg_token_new (const char *app, const char *token_id,
                       const char *stream_id, gint64 expire_date,
                       TgTokenType type, const char *room_id);
TgToken *tg_token_copy (const TgToken *token);
void tg_token_free (TgToken *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgToken, tg_token_free)

/* --- the store ---
 * A store may be used from any thread. An open store may run threads of its
 * own (the sqlite backend checkpoints on one): do not fork() with one open;
 * open it again in the child. */
TgStore *tg_store_open (const char *uri, GError **error);
TgStore *tg_store_ref (TgStore *store);
void tg_store_unref (TgStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgStore, tg_store_unref)
/* The URI the store was opened with, a password in it masked: for
 * messages. */
const char *tg_store_get_uri (TgStore *store);

/* Mints a token with a fresh id for (app, stream_id). room_id may be NULL.
 * The store does not judge expire_date; callers validate requests. */
TgToken *tg_store_mint (TgStore *store, const char *app, const char *stream_id,
                        TgTokenType type, gint64 expire_date,
                        const char *room_id, GError **error);

/* Runs func (store, data) on this thread; the store writes it makes are
 * one transaction where the backend has them (sqlite): one commit for all,
 * kept all, or none when this returns FALSE (then every result func saw
 * is void: report error for each). Elsewhere (memory, Redis) each write
 * stands alone and this returns TRUE. Many writes in one commit cost about
 * what one does. */
typedef void (*TgStoreBatchFunc) (TgStore *store, gpointer data);
gboolean tg_store_batch (TgStore *store, TgStoreBatchFunc func, gpointer data,
                         GError **error);

/* Stores a token as given (for imports and tests). */
gboolean tg_store_insert (TgStore *store, const TgToken *token, GError **error);

/* The one-time rule. With room_id == NULL: deletes the token iff valid for
 * (stream_id, type) now; at most one of any number of concurrent callers,
 * in any process sharing the store, gets TG_VERDICT_OK. With a room_id: a
 * room token, checked for type, expiry and room, never deleted.
 * Any verdict but OK leaves the token untouched. */
TgVerdict tg_store_consume (TgStore *store, const char *app,
                            const char *token_id, const char *stream_id,
                            TgTokenType type, const char *room_id,
                            GError **error);

/* The verdict tg_store_consume (room_id NULL) would give now, without
 * deleting anything: for a gate that must refuse early but may spend only
 * later. Spending can still fail in between (another caller won). */
TgVerdict tg_store_check (TgStore *store, const char *app, const char *token_id,
                          const char *stream_id, TgTokenType type,
                          GError **error);

/* Deletes every token of (app, stream_id); returns how many, or -1. */
gint64 tg_store_revoke_stream (TgStore *store, const char *app,
                               const char *stream_id, GError **error);

/* Tokens of (app, stream_id), oldest first: a GPtrArray of TgToken. */
GPtrArray *tg_store_list_tokens (TgStore *store, const char *app,
                                 const char *stream_id, guint offset,
                                 guint size, GError **error);

/* Deletes tokens with expire_date <= now; returns how many, or -1. */
gint64 tg_store_purge_expired (TgStore *store, gint64 now, GError **error);

/* --- records: the server's other state (broadcasts, settings) ---
 * Opaque strings (JSON) under (kind, key), listed in insertion order. */
gboolean tg_store_record_put (TgStore *store, const char *kind, const char *key,
                              const char *value, gboolean only_if_absent,
                              GError **error);
/* NULL with TG_ERROR_NOT_FOUND when absent. */
char *tg_store_record_get (TgStore *store, const char *kind, const char *key,
                           GError **error);
/* FALSE with TG_ERROR_NOT_FOUND when absent. */
gboolean tg_store_record_delete (TgStore *store, const char *kind,
                                 const char *key, GError **error);
/* Values (char *) in insertion order. */
GPtrArray *tg_store_record_list (TgStore *store, const char *kind, guint offset,
                                 guint size, GError **error);
gint64 tg_store_record_count (TgStore *store, const char *kind, GError **error);

/* The record kind of an app's broadcasts (key: stream id); free it. */
char *tg_broadcast_kind (const char *app);

/* Stream ids: 1 to 128 of [A-Za-z0-9_.-]. */
gboolean tg_stream_id_is_valid (const char *id);

/* --- JSON Web Tokens: Ant Media's JWT stream security ---
 * HS256 only, signed with the app's jwtStreamSecretKey, claims streamId,
 * type ("publish"/"play") and exp (unix seconds). Reusable until exp. */

/* Shortest key accepted: HS256 wants 256 bits. */
#define TG_JWT_MIN_SECRET 32

/* A compact JWS of the JSON claims, signed HS256 with secret. */
char *tg_jwt_sign (const char *claims_json, const char *secret);

/* OK, or why not: BAD_JWT (not three base64url parts, alg not HS256 --
 * "none" included --, signature not the secret's, compared in constant
 * time, no integer exp, or a secret shorter than TG_JWT_MIN_SECRET),
 * EXPIRED (now >= exp), WRONG_TYPE, WRONG_STREAM. */
TgVerdict tg_jwt_verify (const char *jwt, const char *secret,
                         const char *stream_id, TgTokenType type, gint64 now);

/* --- admission: whether a client may publish or play ---
 * One decision for every door (RTMP, SRT, WebRTC, HTTP, RTSP, the
 * tokencheck element), in PROTOCOL.md's order: a valid stream id, a known
 * app, a registered stream when the app accepts only those (publish), the
 * stream free (publish, asked of the door), then the app's scheme for the
 * direction. Each door maps the outcome to its own wire form. */

/* How one direction of an app is guarded. */
typedef enum
{
  TG_SCHEME_NONE,
  TG_SCHEME_ONE_TIME, /* publishTokenControlEnabled, playTokenControlEnabled */
  TG_SCHEME_JWT,      /* publishJwtControlEnabled, playJwtControlEnabled */
} TgScheme;

/* What an app's settings say about admission. */
typedef struct
{
  TgScheme publish;
  TgScheme play;
  gboolean only_registered; /* acceptOnlyStreamsInDataStore */
  char *jwt_secret;         /* jwtStreamSecretKey, "" when unset */
} TgPolicy;

/* From the app's settings as the server stores them (JSON, the names of
 * PROTOCOL.md 2.4), or from the store's record of them: NULL with
 * TG_ERROR_NOT_FOUND for an app the store has no settings of. */
TgPolicy *tg_policy_from_json (const char *settings_json, GError **error);
TgPolicy *tg_policy_load (TgStore *store, const char *app, GError **error);
void tg_policy_free (TgPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgPolicy, tg_policy_free)
TgScheme tg_policy_scheme (const TgPolicy *policy, TgTokenType type);

typedef enum
{
  TG_ADMIT_OK,
  TG_ADMIT_INVALID_STREAM_ID,
  TG_ADMIT_UNKNOWN_APP,  /* no policy */
  TG_ADMIT_UNREGISTERED, /* no broadcast, and the app wants one */
  TG_ADMIT_IN_USE,       /* the door's claim said no */
  TG_ADMIT_NO_TOKEN,
  TG_ADMIT_REFUSED, /* the token or JWT did not pass: the verdict says why */
  TG_ADMIT_STORE_ERROR,
} TgAdmit;

typedef struct
{
  const char *app;
  const char *stream_id;
  TgTokenType type;
  const char *credential; /* the one-time token or JWT presented, or NULL */
  const char *door;       /* for the log: "RTMP", "SRT", "WebRTC", ... */
  const char *peer;       /* the client's address, or NULL: for the audit */
  /* TRUE: a one-time token is spent (deleted) if it passes; FALSE: only
   * checked, for a door that refuses early and spends later. A JWT is
   * never spent. */
  gboolean spend;
  /* Publish: asked once the stream may be published, before the token;
   * FALSE means the stream is in use. NULL: not asked. */
  gboolean (*claim) (gpointer data);
  gpointer claim_data;
} TgAdmission;

/* Decides, logs the outcome (the credential by its tag only) and returns
 * it; *verdict (may be NULL) tells a REFUSED's reason. A refusal for any
 * reason before the credential's turn spends nothing. */
TgAdmit tg_admit (TgStore *store, const TgPolicy *policy,
                  const TgAdmission *request, TgVerdict *verdict,
                  GError **error);
const char *tg_admit_to_string (TgAdmit outcome);

/* --- watching a store: what its admissions decided, what its token
 * operations took (the server's metrics and audit log) --- */
typedef struct
{
  /* After each tg_admit on the store, with the app's policy (NULL: an
   * unknown app, whose name is only the client's), the outcome and, for
   * TG_ADMIT_REFUSED, why. */
  void (*admitted) (const TgAdmission *request, const TgPolicy *policy,
                    TgAdmit outcome, TgVerdict verdict, gpointer data);
  /* After each token operation ("insert", "consume", "check", "revoke"),
   * its time in seconds and whether the store answered (a refusal is an
   * answer; an error is not). */
  void (*operation) (const char *operation, double seconds, gboolean answered,
                     gpointer data);
} TgStoreWatch;

/* Sets the store's one watcher (NULL: none); call it before the store is
 * shared between threads. Either function may be NULL. */
void tg_store_set_watch (TgStore *store, const TgStoreWatch *watch,
                         gpointer data);

G_END_DECLS
