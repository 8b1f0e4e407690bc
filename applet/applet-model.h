/* SPDX-License-Identifier: MIT */
#pragma once

/* What the applet knows of the engine, and everything it shows derived from
 * that: icon, status, tooltip and menu labels. No D-Bus here, so that every
 * text can be checked on a GVariant built by a test. */

#include <glib.h>

typedef enum AppletEngineState {
        APPLET_ENGINE_ABSENT, /* nobody owns org.wolfram.Memory1 */
        APPLET_ENGINE_RUNNING, /* the engine works */
        APPLET_ENGINE_PAUSED, /* the engine is there but paused */
} AppletEngineState;

typedef struct AppletModel {
        AppletEngineState state;
        gboolean have_stats; /* the figures below come from a GetStats answer */
        guint64 saved_bytes;
        guint64 pool_saved_bytes;
        guint64 pool_original_bytes;
        guint64 pool_memory_used_bytes;
        gdouble pool_ratio;
        gint64 ksm_saved_bytes;
        gchar *version;
        gchar *last_error; /* the last refused or failed action, shown until the next one succeeds */
} AppletModel;

/* Forgets everything but the last error; state becomes ABSENT. */
void applet_model_clear(AppletModel *m);

/* Takes the figures and the state from a GetStats reply (a{sv}). Keys that
 * are missing or of another type leave the old value; returns FALSE when the
 * variant is not a dictionary at all (and changes nothing). */
gboolean applet_model_update_from_stats(AppletModel *m, GVariant *stats);

/* Takes State and Paused from a PropertiesChanged dictionary; returns TRUE
 * when the engine's state changed. */
gboolean applet_model_update_from_changed(AppletModel *m, GVariant *changed);

/* Sets or (with NULL) clears the message of the last failed action; it is
 * kept escaped (escape.h), one line of valid UTF-8 whatever it held. */
void applet_model_set_error(AppletModel *m, const gchar *message);

/* The icon name of the state, from the hicolor theme wolfram installs. */
const gchar *applet_model_icon_name(const AppletModel *m);

/* The StatusNotifierItem Status: "Active" in every state, so that the tray shows each. */
const gchar *applet_model_sni_status(const AppletModel *m);

/* The tooltip's title and body (newly allocated, translated). */
gchar *applet_model_tooltip_title(const AppletModel *m);
gchar *applet_model_tooltip_body(const AppletModel *m);

/* The menu's figure lines (newly allocated); NULL where the line is hidden. */
gchar *applet_model_menu_saved(const AppletModel *m);
gchar *applet_model_menu_pool(const AppletModel *m);
gchar *applet_model_menu_ksm(const AppletModel *m);
gchar *applet_model_menu_error(const AppletModel *m);

/* The label of the Pause/Resume item. */
const gchar *applet_model_toggle_label(const AppletModel *m);

/* Bytes as the applet shows them ("85.9 MiB"), newly allocated. */
gchar *applet_format_bytes(guint64 bytes);
