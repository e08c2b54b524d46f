/* tokenbin: the child is made from the `element` description as soon as it
 * is set, so that its always pads are ghosted before gst-launch links; the
 * token is consumed in NULL->READY before chaining up to GstBin, so a
 * refused token leaves the child in NULL (no file created, no port bound). */
#include "tgtokenbin.h"
#include "tgauthorize.h"

GST_DEBUG_CATEGORY_STATIC (tg_token_bin_debug);
#define GST_CAT_DEFAULT tg_token_bin_debug

enum
{
  PROP_ELEMENT = TG_AUTHORIZE_PROP_LAST,
};

struct _TgTokenBin
{
  GstBin parent;
  TgAuthorize auth;
  char *description; /* the element property */
  GstElement *child; /* owned by the bin; NULL until element is set */
  GPtrArray *ghosts; /* our ghost pads of the child's always pads */
  char *child_error; /* why description gave no child */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE_WITH_CODE (TgTokenBin, tg_token_bin, GST_TYPE_BIN,
                         GST_DEBUG_CATEGORY_INIT (tg_token_bin_debug,
                                                  "tokenbin", 0,
                                                  "Tollgate token bin"));
GST_ELEMENT_REGISTER_DEFINE (tokenbin, "tokenbin", GST_RANK_NONE,
                             TG_TYPE_TOKEN_BIN);

static void
tg_token_bin_remove_child (TgTokenBin *self)
{
  for (guint i = 0; i < self->ghosts->len; i++)
    gst_element_remove_pad (GST_ELEMENT (self), self->ghosts->pdata[i]);
  g_ptr_array_set_size (self->ghosts, 0);
  if (self->child)
    gst_bin_remove (GST_BIN (self), self->child);
  self->child = NULL;
}

static gboolean
ghost_always_pad (GstElement *child, GstPad *pad, gpointer user_data)
{
  TgTokenBin *self = user_data;
  g_autoptr (GstPadTemplate) child_templ = gst_pad_get_pad_template (pad);
  GstPadTemplate *templ;
  GstPad *ghost;

  if (child_templ && GST_PAD_TEMPLATE_PRESENCE (child_templ) != GST_PAD_ALWAYS)
    return TRUE;
  templ = gst_element_class_get_pad_template (
      GST_ELEMENT_GET_CLASS (self), GST_PAD_IS_SINK (pad) ? "sink" : "src");
  ghost = gst_ghost_pad_new_from_template (GST_PAD_NAME (pad), pad, templ);
  g_ptr_array_add (self->ghosts, ghost);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  return TRUE;
}

static void
tg_token_bin_set_element (TgTokenBin *self, const char *description)
{
  g_autoptr (GError) error = NULL;
  GstElement *child;

  tg_token_bin_remove_child (self);
  g_clear_pointer (&self->child_error, g_free);
  g_free (self->description);
  self->description = g_strdup (description);
  if (!description || !*description)
    return;

  child = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
                                 &error);
  if (child && GST_IS_PIPELINE (child))
    {
      g_set_error_literal (&error, GST_PARSE_ERROR, GST_PARSE_ERROR_SYNTAX,
                           "more than one element");
      gst_object_unref (gst_object_ref_sink (child));
      child = NULL;
    }
  if (!child)
    {
      self->child_error
          = g_strdup_printf ("\"%s\": %s", description, error->message);
      GST_WARNING_OBJECT (self, "no element from %s", self->child_error);
      return;
    }

  self->child = child;
  gst_bin_add (GST_BIN (self), child);
  gst_element_foreach_pad (child, ghost_always_pad, self);
}

static void
tg_token_bin_set_property (GObject *object, guint prop_id, const GValue *value,
                           GParamSpec *pspec)
{
  TgTokenBin *self = TG_TOKEN_BIN (object);
  GstState state;

  if (tg_authorize_set_property (GST_ELEMENT (self), &self->auth, prop_id,
                                 value))
    return;
  if (prop_id != PROP_ELEMENT)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  GST_OBJECT_LOCK (self);
  state = GST_STATE (self);
  GST_OBJECT_UNLOCK (self);
  if (state != GST_STATE_NULL)
    {
      GST_WARNING_OBJECT (self, "element can only be set in the NULL state");
      return;
    }
  tg_token_bin_set_element (self, g_value_get_string (value));
}

static void
tg_token_bin_get_property (GObject *object, guint prop_id, GValue *value,
                           GParamSpec *pspec)
{
  TgTokenBin *self = TG_TOKEN_BIN (object);

  if (tg_authorize_get_property (GST_ELEMENT (self), &self->auth, prop_id,
                                 value))
    return;
  if (prop_id == PROP_ELEMENT)
    g_value_set_string (value, self->description);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
tg_token_bin_finalize (GObject *object)
{
  TgTokenBin *self = TG_TOKEN_BIN (object);

  tg_authorize_clear (&self->auth);
  g_free (self->description);
  g_free (self->child_error);
  g_ptr_array_unref (self->ghosts);
  G_OBJECT_CLASS (tg_token_bin_parent_class)->finalize (object);
}

static void
tg_token_bin_set_context (GstElement *element, GstContext *context)
{
  tg_authorize_set_context (element, &TG_TOKEN_BIN (element)->auth, context);
  GST_ELEMENT_CLASS (tg_token_bin_parent_class)->set_context (element, context);
}

static GstStateChangeReturn
tg_token_bin_change_state (GstElement *element, GstStateChange transition)
{
  TgTokenBin *self = TG_TOKEN_BIN (element);

  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    {
      if (!self->child)
        {
          GST_ELEMENT_ERROR (self, CORE, FAILED, ("No element to wrap"),
                             ("element property: %s", self->child_error
                                                          ? self->child_error
                                                          : "not set"));
          return GST_STATE_CHANGE_FAILURE;
        }
      /* Before GstBin sets the child to READY. */
      if (!tg_authorize_consume (element, &self->auth))
        return GST_STATE_CHANGE_FAILURE;
    }
  return GST_ELEMENT_CLASS (tg_token_bin_parent_class)
      ->change_state (element, transition);
}

static void
tg_token_bin_class_init (TgTokenBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = tg_token_bin_set_property;
  object_class->get_property = tg_token_bin_get_property;
  object_class->finalize = tg_token_bin_finalize;
  tg_authorize_install_properties (object_class);
  g_object_class_install_property (
      object_class, PROP_ELEMENT,
      g_param_spec_string (
          "element", "Element",
          "The one element to wrap, as in gst-launch-1.0 (e.g. \"filesink "
          "location=out.ts\"); its always pads become the bin's pads. It "
          "leaves the NULL state only once the token is consumed. Set it "
          "in the NULL state",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (
      element_class, "Token bin", "Generic/Bin",
      "Wraps one element (a sink or source) that is started only after a "
      "one-time Tollgate token valid for its app, stream and type has been "
      "consumed, so a refused token opens no file and binds no port",
      "Tollgate");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  element_class->change_state = GST_DEBUG_FUNCPTR (tg_token_bin_change_state);
  element_class->set_context = GST_DEBUG_FUNCPTR (tg_token_bin_set_context);

  gst_type_mark_as_plugin_api (TG_TYPE_TOKEN_CHECK_TYPE, 0);
}

static void
tg_token_bin_init (TgTokenBin *self)
{
  tg_authorize_init (&self->auth);
  self->ghosts = g_ptr_array_new ();
}
