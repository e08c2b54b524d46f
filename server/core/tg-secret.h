/* The server secret: 32 random bytes that sign playback-session keys (and
 * anything else the server must recognise as its own). Kept in
 * {data_dir}/secret, mode 0600, made on first start. Every node of a
 * cluster must hold the same secret; copy the file. */
#pragma once

#include <glib.h>

#define TG_SECRET_SIZE 32

/* The secret in {data_dir}/secret, made (from RAND_bytes) if the file does
 * not exist yet. Of several processes starting at once on one data dir, all
 * end up with the same secret. The bytes are wiped when freed. */
GBytes *tg_secret_load_or_create (const char *data_dir, GError **error);

/* Exactly TG_SECRET_SIZE bytes, copied; wiped when freed. */
GBytes *tg_secret_new (const guint8 *data, gsize size, GError **error);

/* The secret every node of a cluster holds, from the --cluster-secret they
 * share: SHA-256 of a context string and the passphrase. */
GBytes *tg_secret_derive (const char *passphrase);

/* base64url (RFC 4648 section 5), unpadded. */
char *tg_secret_base64url (const guchar *data, gsize length);
/* HMAC-SHA256 of message under secret, base64url (43 characters). */
char *tg_secret_mac (GBytes *secret, const char *message);
