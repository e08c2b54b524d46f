/* tokencheck: identity's shape (passthrough, in place, ANY caps), plus the
 * token check of tgauthorize.c at NULL->READY. */
#include "tgtokencheck.h"
#include "tgauthorize.h"

GST_DEBUG_CATEGORY_STATIC (tg_token_check_debug);
#define GST_CAT_DEFAULT tg_token_check_debug

struct _TgTokenCheck
{
  GstBaseTransform parent;
  TgAuthorize auth;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE_WITH_CODE (TgTokenCheck, tg_token_check, GST_TYPE_BASE_TRANSFORM,
                         GST_DEBUG_CATEGORY_INIT (tg_token_check_debug,
                                                  "tokencheck", 0,
                                                  "Tollgate token check"));
GST_ELEMENT_REGISTER_DEFINE (tokencheck, "tokencheck", GST_RANK_NONE,
                             TG_TYPE_TOKEN_CHECK);

static void
tg_token_check_set_property (GObject *object, guint prop_id,
                             const GValue *value, GParamSpec *pspec)
{
  TgTokenCheck *self = TG_TOKEN_CHECK (object);

  if (!tg_authorize_set_property (GST_ELEMENT (self), &self->auth, prop_id,
                                  value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
tg_token_check_get_property (GObject *object, guint prop_id, GValue *value,
                             GParamSpec *pspec)
{
  TgTokenCheck *self = TG_TOKEN_CHECK (object);

  if (!tg_authorize_get_property (GST_ELEMENT (self), &self->auth, prop_id,
                                  value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
tg_token_check_finalize (GObject *object)
{
  tg_authorize_clear (&TG_TOKEN_CHECK (object)->auth);
  G_OBJECT_CLASS (tg_token_check_parent_class)->finalize (object);
}

static void
tg_token_check_set_context (GstElement *element, GstContext *context)
{
  tg_authorize_set_context (element, &TG_TOKEN_CHECK (element)->auth, context);
  GST_ELEMENT_CLASS (tg_token_check_parent_class)
      ->set_context (element, context);
}

/* The token is consumed before the element leaves NULL, so before any pad
 * is activated and any buffer can arrive. */
static GstStateChangeReturn
tg_token_check_change_state (GstElement *element, GstStateChange transition)
{
  TgTokenCheck *self = TG_TOKEN_CHECK (element);

  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && !tg_authorize_consume (element, &self->auth))
    return GST_STATE_CHANGE_FAILURE;
  return GST_ELEMENT_CLASS (tg_token_check_parent_class)
      ->change_state (element, transition);
}

static GstFlowReturn
tg_token_check_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  TgTokenCheck *self = TG_TOKEN_CHECK (trans);

  if (G_LIKELY (tg_authorize_is_authorised (&self->auth)))
    return GST_FLOW_OK;
  tg_authorize_post_refusal (GST_ELEMENT (self), &self->auth, "not authorised",
                             "a property changed after the token was "
                             "consumed; set it in the NULL state");
  return GST_FLOW_ERROR;
}

static void
tg_token_check_class_init (TgTokenCheckClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  object_class->set_property = tg_token_check_set_property;
  object_class->get_property = tg_token_check_get_property;
  object_class->finalize = tg_token_check_finalize;
  tg_authorize_install_properties (object_class);

  gst_element_class_set_static_metadata (
      element_class, "Token check", "Generic",
      "Passes data through untouched once it has consumed a one-time "
      "Tollgate token valid for its app, stream and type; refuses to start "
      "otherwise",
      "Tollgate");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  element_class->change_state = GST_DEBUG_FUNCPTR (tg_token_check_change_state);
  element_class->set_context = GST_DEBUG_FUNCPTR (tg_token_check_set_context);

  trans_class->transform_ip = GST_DEBUG_FUNCPTR (tg_token_check_transform_ip);

  gst_type_mark_as_plugin_api (TG_TYPE_TOKEN_CHECK_TYPE, 0);
}

static void
tg_token_check_init (TgTokenCheck *self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);

  tg_authorize_init (&self->auth);
  gst_base_transform_set_passthrough (trans, TRUE);
  gst_base_transform_set_in_place (trans, TRUE);
  gst_base_transform_set_gap_aware (trans, TRUE);
}
