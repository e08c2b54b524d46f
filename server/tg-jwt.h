/* JSON Web Tokens, HS256 only: what Ant Media's JWT stream security mode
 * hands out from /{id}/jwt-token. */
#pragma once

#include <glib.h>

/* Smallest secret accepted: HS256 wants a 256-bit key. */
#define TG_JWT_MIN_SECRET 32

/* A compact JWS of the JSON claims, signed with secret. */
char *tg_jwt_sign (const char *claims_json, const char *secret);
