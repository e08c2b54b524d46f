/* The token check shared by the tokencheck and tokenbin elements: the
 * properties store, app, stream-id, type and token, the store received
 * through a GstContext, and the one consume at NULL->READY.
 *
 * A grant is remembered: once a token has been consumed the element stays
 * authorised through any number of READY->NULL->READY cycles and never
 * consumes a second token. Setting app, stream-id, type or token to a new
 * value withdraws the grant (it was for the old values), so the next
 * NULL->READY consumes again; set them in the NULL state only.
 *
 * Not a GObject: an element embeds a TgAuthorize and forwards to it. All
 * fields are guarded by the element's object lock. */
#pragma once

#include <gst/gst.h>

#include "tollgate.h"

G_BEGIN_DECLS

/* The values of the `type` property: the token types of tollgate.h. */
typedef enum
{
  TG_TOKEN_CHECK_TYPE_PUBLISH = TG_TOKEN_TYPE_PUBLISH,
  TG_TOKEN_CHECK_TYPE_PLAY = TG_TOKEN_TYPE_PLAY,
} TgTokenCheckType;

#define TG_TYPE_TOKEN_CHECK_TYPE (tg_token_check_type_get_type ())
GType tg_token_check_type_get_type (void);

/* Property ids used by tg_authorize_install_properties(); an element numbers
 * its own properties from TG_AUTHORIZE_PROP_LAST. */
enum
{
  TG_AUTHORIZE_PROP_STORE = 1,
  TG_AUTHORIZE_PROP_APP,
  TG_AUTHORIZE_PROP_STREAM_ID,
  TG_AUTHORIZE_PROP_TYPE,
  TG_AUTHORIZE_PROP_TOKEN,
  TG_AUTHORIZE_PROP_LAST
};

typedef struct
{
  char *store_uri;
  char *app;
  char *stream_id;
  TgTokenCheckType type;
  char *token;            /* a secret: never logged, freed once consumed */
  TgStore *context_store; /* from a GstContext, preferred to store_uri */
  gint authorised;        /* atomic: a token was consumed for the above */
} TgAuthorize;

void tg_authorize_init (TgAuthorize *auth);
void tg_authorize_clear (TgAuthorize *auth);

void tg_authorize_install_properties (GObjectClass *klass);
/* Both return FALSE for a property id that is not theirs. */
gboolean tg_authorize_set_property (GstElement *element, TgAuthorize *auth,
                                    guint prop_id, const GValue *value);
gboolean tg_authorize_get_property (GstElement *element, TgAuthorize *auth,
                                    guint prop_id, GValue *value);

/* Takes the store from a GstContext of type TG_STORE_CONTEXT_TYPE; ignores
 * any other context. Call from the element's set_context. */
void tg_authorize_set_context (GstElement *element, TgAuthorize *auth,
                               GstContext *context);

/* Consumes the token unless already authorised. On refusal posts a
 * GST_RESOURCE_ERROR_NOT_AUTHORIZED error naming the reason and returns
 * FALSE. Call from change_state NULL->READY. */
gboolean tg_authorize_consume (GstElement *element, TgAuthorize *auth);

gboolean tg_authorize_is_authorised (TgAuthorize *auth);

/* Posts the GST_RESOURCE_ERROR_NOT_AUTHORIZED error "Token refused for
 * stream <stream-id>: <reason>"; detail goes to the debug string. */
void tg_authorize_post_refusal (GstElement *element, TgAuthorize *auth,
                                const char *reason, const char *detail);

G_END_DECLS
