/* The HTTPS certificate: the configured one, or a self-signed one made on
 * first start and kept in {data_dir}/tls/. */
#pragma once

#include <gio/gio.h>

GTlsCertificate *tg_tls_load_or_create (const char *data_dir,
                                        const char *certificate_file,
                                        const char *key_file, GError **error);
