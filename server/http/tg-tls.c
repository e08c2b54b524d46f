#include "tg-tls.h"

#include "tollgate.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define VALID_DAYS 3650

static gboolean
openssl_failed (const char *what, GError **error)
{
  g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
               "Could not make a self-signed certificate: %s failed", what);
  return FALSE;
}

static char *
pem_of (int (*write) (BIO *, const void *), const void *object)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long length;

  if (bio && write (bio, object))
    {
      length = BIO_get_mem_data (bio, &data);
      data = g_strndup (data, length);
    }
  else
    data = NULL;
  BIO_free (bio);
  return data;
}

static int
write_key (BIO *bio, const void *key)
{
  return PEM_write_bio_PrivateKey (bio, (EVP_PKEY *) key, NULL, NULL, 0, NULL,
                                   NULL);
}

static int
write_cert (BIO *bio, const void *cert)
{
  return PEM_write_bio_X509 (bio, (X509 *) cert);
}

static gboolean
add_names (X509 *cert)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  gboolean ok;

  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_subject_alt_name,
                             "DNS:localhost,IP:127.0.0.1,IP:::1");
  ok = ext && X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  return ok;
}

/* A P-256 key and a certificate for it, both PEM. */
static gboolean
make_self_signed (char **cert_pem, char **key_pem, GError **error)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  X509 *cert = X509_new ();
  X509_NAME *name;
  gboolean ok = FALSE;

  if (key == NULL || cert == NULL)
    goto out;
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert),
                    (long) (g_get_real_time () / G_USEC_PER_SEC));
  X509_gmtime_adj (X509_getm_notBefore (cert), -3600);
  X509_gmtime_adj (X509_getm_notAfter (cert), 60L * 60 * 24 * VALID_DAYS);
  X509_set_pubkey (cert, key);
  name = X509_get_subject_name (cert);
  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_ASC,
                              (const unsigned char *) "Tollgate", -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
                              (const unsigned char *) "localhost", -1, -1, 0);
  X509_set_issuer_name (cert, name);
  if (!add_names (cert) || !X509_sign (cert, key, EVP_sha256 ()))
    goto out;
  *cert_pem = pem_of (write_cert, cert);
  *key_pem = pem_of (write_key, key);
  ok = *cert_pem && *key_pem;

out:
  X509_free (cert);
  EVP_PKEY_free (key);
  return ok ? TRUE : openssl_failed ("OpenSSL", error);
}

GTlsCertificate *
tg_tls_load_or_create (const char *data_dir, const char *certificate_file,
                       const char *key_file, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;

  if (certificate_file)
    return g_tls_certificate_new_from_files (
        certificate_file, key_file ? key_file : certificate_file, error);
  dir = g_build_filename (data_dir, "tls", NULL);
  cert_path = g_build_filename (dir, "cert.pem", NULL);
  key_path = g_build_filename (dir, "key.pem", NULL);
  if (g_file_test (cert_path, G_FILE_TEST_EXISTS)
      && g_file_test (key_path, G_FILE_TEST_EXISTS))
    return g_tls_certificate_new_from_files (cert_path, key_path, error);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Could not create %s: %s", dir, g_strerror (errno));
      return NULL;
    }
  /* The key first: a certificate is only ever written beside its key. */
  if (!make_self_signed (&cert_pem, &key_pem, error)
      || !g_file_set_contents_full (key_path, key_pem, -1,
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)
      || !g_file_set_contents_full (
          cert_path, cert_pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return NULL;
  g_message ("Made a self-signed certificate: %s", cert_path);
  return g_tls_certificate_new_from_files (cert_path, key_path, error);
}
