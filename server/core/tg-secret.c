#include "tg-secret.h"

#include "tollgate.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>
#include <unistd.h>

static void
wipe_and_free (gpointer data)
{
  OPENSSL_cleanse (data, TG_SECRET_SIZE);
  g_free (data);
}

GBytes *
tg_secret_new (const guint8 *data, gsize size, GError **error)
{
  gpointer copy;

  if (size != TG_SECRET_SIZE)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "The server secret must be %d bytes, not %" G_GSIZE_FORMAT,
                   TG_SECRET_SIZE, size);
      return NULL;
    }
  copy = g_memdup2 (data, size);
  return g_bytes_new_with_free_func (copy, size, wipe_and_free, copy);
}

static gboolean
file_error (GError **error, const char *what, const char *path, int saved)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
               "Could not %s %s: %s", what, path, g_strerror (saved));
  return FALSE;
}

static GBytes *
load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  GBytes *secret;

  if (!g_file_get_contents (path, &data, &length, error))
    return NULL;
  secret = tg_secret_new ((const guint8 *) data, length, error);
  OPENSSL_cleanse (data, length);
  if (secret == NULL)
    g_prefix_error (error, "%s: ", path);
  return secret;
}

/* Writes fresh random bytes to a temporary file beside path, then links it
 * to path: link() never replaces, so the first process to get there wins
 * and every other one reads what it wrote. FALSE with error on failure;
 * TRUE (also when another process won) means path now holds a secret. */
static gboolean
create (const char *path, GError **error)
{
  g_autofree char *temporary = g_strconcat (path, ".XXXXXX", NULL);
  guint8 bytes[TG_SECRET_SIZE];
  gboolean ok = FALSE;
  int fd, saved = 0;

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "Could not make a server secret: RAND_bytes failed");
      return FALSE;
    }
  fd = g_mkstemp_full (temporary, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      OPENSSL_cleanse (bytes, sizeof bytes);
      return file_error (error, "create", temporary, errno);
    }
  errno = 0;
  if (write (fd, bytes, sizeof bytes) != sizeof bytes || fsync (fd) != 0)
    saved = errno ? errno : EIO;
  else if (link (temporary, path) != 0 && errno != EEXIST)
    saved = errno;
  else
    ok = TRUE;
  OPENSSL_cleanse (bytes, sizeof bytes);
  close (fd);
  g_unlink (temporary);
  return ok ? TRUE : file_error (error, "write", path, saved);
}

GBytes *
tg_secret_load_or_create (const char *data_dir, GError **error)
{
  g_autofree char *path = g_build_filename (data_dir, "secret", NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (!create (path, error))
        return NULL;
      g_message ("Made a server secret: %s", path);
    }
  return load (path, error);
}

GBytes *
tg_secret_derive (const char *passphrase)
{
  g_autofree char *input
      = g_strconcat ("tollgate-cluster-v1|", passphrase, NULL);
  guint8 digest[TG_SECRET_SIZE];
  GBytes *secret;

  SHA256 ((const guchar *) input, strlen (input), digest);
  OPENSSL_cleanse (input, strlen (input));
  secret = tg_secret_new (digest, sizeof digest, NULL);
  OPENSSL_cleanse (digest, sizeof digest);
  return secret;
}

char *
tg_secret_base64url (const guchar *data, gsize length)
{
  char *text = g_base64_encode (data, length);
  char *out = text;

  for (char *c = text; *c && *c != '='; c++)
    *out++ = *c == '+' ? '-' : *c == '/' ? '_' : *c;
  *out = '\0';
  return text;
}

char *
tg_secret_mac (GBytes *secret, const char *message)
{
  gsize size = 0;
  gconstpointer data = g_bytes_get_data (secret, &size);
  guchar mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;

  HMAC (EVP_sha256 (), data, (int) size, (const guchar *) message,
        strlen (message), mac, &length);
  return tg_secret_base64url (mac, length);
}
