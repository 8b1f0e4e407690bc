/* SPDX-License-Identifier: MIT */
#include "applet-engine.h"

#include <glib/gi18n.h>

#include "wolfram-bus.h"

/* polkit may wait for a person typing a password: as long as the engine
 * lets it (bus-polkit.c), and a little more. */
#define ACTION_TIMEOUT_MSEC (5 * 60 * 1000 + 5000)

struct AppletEngine {
        GDBusConnection *bus;
        AppletModel *model;
        AppletEngineChanged changed;
        AppletEngineFailed failed;
        gpointer user_data;

        GCancellable *cancellable;
        guint watch_id;
        guint properties_changed_id;
        guint cycle_finished_id;
        gchar *owner; /* the engine's unique name, NULL while absent */
        gboolean refreshing; /* a GetStats is on its way */
        gboolean refresh_again; /* something changed while it was */
};

static void notify_changed(AppletEngine *e) {
        if (e->changed)
                e->changed(e, e->user_data);
}

static void get_stats_done(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GVariant) reply = NULL, stats = NULL;
        g_autoptr(GError) error = NULL;
        AppletEngine *e;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return; /* the applet is going away: e is gone */
        e = user_data;
        e->refreshing = FALSE;
        if (!reply) {
                /* The engine left in the meantime, or is too busy: the name
                 * watch or the next change says what is true now. */
                g_message("GetStats failed, keeping the last figures: %s", error->message);
        } else if (e->owner) { /* not an answer from an engine that has left since */
                stats = g_variant_get_child_value(reply, 0);
                if (!applet_model_update_from_stats(e->model, stats))
                        g_warning("GetStats answered with %s, ignoring", g_variant_get_type_string(stats));
                else
                        notify_changed(e);
        }
        if (e->refresh_again && e->owner) {
                e->refresh_again = FALSE;
                applet_engine_refresh(e);
        }
}

void applet_engine_refresh(AppletEngine *e) {
        if (!e->owner)
                return;
        if (e->refreshing) {
                e->refresh_again = TRUE;
                return;
        }
        e->refreshing = TRUE;
        g_dbus_connection_call(e->bus, e->owner, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE, "GetStats", NULL,
                               G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                               e->cancellable, get_stats_done, e);
}

static void on_properties_changed(GDBusConnection *bus, const gchar *sender, const gchar *path,
                                  const gchar *interface, const gchar *signal, GVariant *parameters,
                                  gpointer user_data) {
        AppletEngine *e = user_data;
        g_autoptr(GVariant) changed = NULL;
        const gchar *iface;

        if (!e->owner || !g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv}as)")))
                return;
        g_variant_get(parameters, "(&s@a{sv}@as)", &iface, &changed, NULL);
        if (!g_str_equal(iface, WOLFRAM_BUS_INTERFACE))
                return;
        /* The state shows at once; the figures follow from GetStats. */
        if (applet_model_update_from_changed(e->model, changed))
                notify_changed(e);
        applet_engine_refresh(e);
}

static void on_cycle_finished(GDBusConnection *bus, const gchar *sender, const gchar *path,
                              const gchar *interface, const gchar *signal, GVariant *parameters,
                              gpointer user_data) {
        applet_engine_refresh(user_data);
}

static void on_name_appeared(GDBusConnection *bus, const gchar *name, const gchar *owner,
                             gpointer user_data) {
        AppletEngine *e = user_data;

        g_free(e->owner);
        e->owner = g_strdup(owner);
        g_message("wolframd appeared on the system bus as %s", owner);
        /* Figures of a previous engine are not this one's. */
        e->refresh_again = e->refreshing;
        applet_engine_refresh(e);
}

static void on_name_vanished(GDBusConnection *bus, const gchar *name, gpointer user_data) {
        AppletEngine *e = user_data;
        gboolean was_there = e->owner != NULL;

        g_clear_pointer(&e->owner, g_free);
        e->refresh_again = FALSE;
        applet_model_clear(e->model);
        if (was_there)
                g_message("wolframd left the system bus");
        notify_changed(e);
}

AppletEngine *applet_engine_new(GDBusConnection *bus, AppletModel *model, AppletEngineChanged changed,
                                AppletEngineFailed failed, gpointer user_data) {
        AppletEngine *e = g_new0(AppletEngine, 1);

        e->bus = g_object_ref(bus);
        e->model = model;
        e->changed = changed;
        e->failed = failed;
        e->user_data = user_data;
        e->cancellable = g_cancellable_new();

        /* Matching on the well-known name: the bus delivers what its owner
         * of the moment sends. */
        e->properties_changed_id = g_dbus_connection_signal_subscribe(
                bus, WOLFRAM_BUS_NAME, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE, G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, e,
                NULL);
        e->cycle_finished_id = g_dbus_connection_signal_subscribe(
                bus, WOLFRAM_BUS_NAME, WOLFRAM_BUS_INTERFACE, "CycleFinished", WOLFRAM_BUS_PATH, NULL,
                G_DBUS_SIGNAL_FLAGS_NONE, on_cycle_finished, e, NULL);
        e->watch_id = g_bus_watch_name_on_connection(bus, WOLFRAM_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     on_name_appeared, on_name_vanished, e, NULL);
        return e;
}

void applet_engine_free(AppletEngine *e) {
        if (!e)
                return;
        g_cancellable_cancel(e->cancellable);
        g_bus_unwatch_name(e->watch_id);
        g_dbus_connection_signal_unsubscribe(e->bus, e->properties_changed_id);
        g_dbus_connection_signal_unsubscribe(e->bus, e->cycle_finished_id);
        g_object_unref(e->cancellable);
        g_object_unref(e->bus);
        g_free(e->owner);
        g_free(e);
}

typedef struct ActionCall {
        AppletEngine *engine;
        gboolean pause;
} ActionCall;

static void set_paused_done(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autofree ActionCall *call = user_data;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree gchar *message = NULL;
        AppletEngine *e;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        e = call->engine;
        if (reply) {
                applet_model_set_error(e->model, NULL);
                notify_changed(e);
                applet_engine_refresh(e);
                return;
        }
        g_dbus_error_strip_remote_error(error);
        message = g_strdup_printf(call->pause ? _("Could not pause: %s") : _("Could not resume: %s"),
                                  error->message);
        g_warning("%s", message);
        applet_model_set_error(e->model, message);
        notify_changed(e);
        if (e->failed)
                e->failed(e, message, e->user_data);
}

void applet_engine_set_paused(AppletEngine *e, gboolean pause) {
        ActionCall *call;

        if (!e->owner) {
                const gchar *message = _("The memory engine (wolframd) is not running");

                applet_model_set_error(e->model, message);
                notify_changed(e);
                if (e->failed)
                        e->failed(e, message, e->user_data);
                return;
        }
        call = g_new0(ActionCall, 1);
        call->engine = e;
        call->pause = pause;
        g_dbus_connection_call(
                e->bus, e->owner, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE, pause ? "Pause" : "Resume", NULL,
                NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START | G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                ACTION_TIMEOUT_MSEC, e->cancellable, set_paused_done, call);
}
