/* SPDX-License-Identifier: MIT */
/* wolfram-applet: what wolfram saves, in the desktop's tray. A
 * StatusNotifierItem on the session bus whose icon, tooltip and menu follow
 * org.wolfram.Memory1 on the system bus. */

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>

#include "applet-engine.h"
#include "applet-menu.h"
#include "applet-model.h"
#include "applet-sni.h"
#include "build-config.h"

#define MENU_PATH "/MenuBar"

typedef struct Applet {
        GMainLoop *loop;
        GDBusConnection *session;
        AppletModel model;
        AppletEngine *engine;
        AppletMenu *menu;
        AppletSni *sni;
} Applet;

static void show(Applet *a) {
        if (a->menu)
                applet_menu_update(a->menu, &a->model);
        if (a->sni)
                applet_sni_update(a->sni, &a->model);
}

static void on_engine_changed(AppletEngine *e, gpointer user_data) {
        show(user_data);
}

/* A refusal must be seen: besides the menu and the tooltip, a desktop
 * notification, where the session has a notification server. */
static void notify_done(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        if (!reply)
                g_message("No desktop notification (%s); the menu and the tooltip show the message",
                          error->message);
}

static void notify_failure(Applet *a, const gchar *message) {
        GVariantBuilder hints;

        g_variant_builder_init(&hints, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&hints, "{sv}", "desktop-entry", g_variant_new_string("wolfram-applet"));
        g_variant_builder_add(&hints, "{sv}", "urgency", g_variant_new_byte(1));
        g_dbus_connection_call(a->session, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                               "org.freedesktop.Notifications", "Notify",
                               g_variant_new("(susssasa{sv}i)", "wolfram", 0, "wolfram-active",
                                             _("wolfram memory saver"), message, NULL, &hints, -1),
                               G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, notify_done, NULL);
}

static void on_engine_failed(AppletEngine *e, const gchar *message, gpointer user_data) {
        notify_failure(user_data, message);
}

/* The first terminal found, as Debian's alternatives name it first. */
static gchar *find_terminal(void) {
        static const gchar *const candidates[] = {
                "x-terminal-emulator", "xdg-terminal-exec",
                "gnome-terminal",      "konsole",
                "xfce4-terminal",      "xterm",
        };

        for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
                gchar *path = g_find_program_in_path(candidates[i]);

                if (path)
                        return path;
        }
        return NULL;
}

static void show_full_status(Applet *a) {
        /* wolframctl from PATH, else where this build installs it. */
        g_autofree gchar *terminal = find_terminal(), *ctl = g_find_program_in_path("wolframctl");
        g_autoptr(GError) error = NULL;
        g_autofree gchar *script = NULL, *base = NULL;
        const gchar *argv[9];
        gsize n = 0;

        if (!terminal) {
                g_autofree gchar *message =
                        g_strdup(_("No terminal to show the status in; run “wolframctl status” in one"));
                applet_model_set_error(&a->model, message);
                show(a);
                notify_failure(a, message);
                return;
        }
        /* $0 is wolframctl, $1 the prompt: nothing is quoted into the script. */
        script =
                g_strdup("\"$0\" status; echo; \"$0\" processes --top=10; printf '\\n%s' \"$1\"; read -r _");
        base = g_path_get_basename(terminal);
        argv[n++] = terminal;
        /* xdg-terminal-exec takes the command as it is; the others xterm's way. */
        if (!g_str_equal(base, "xdg-terminal-exec"))
                argv[n++] = g_str_equal(base, "gnome-terminal") ? "--" : "-e";
        argv[n++] = "sh";
        argv[n++] = "-c";
        argv[n++] = script;
        argv[n++] = ctl ?: BINDIR "/wolframctl";
        argv[n++] = _("Press Enter to close.");
        argv[n] = NULL;
        if (!g_spawn_async(NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &error)) {
                g_autofree gchar *message =
                        g_strdup_printf(_("Could not open the status: %s"), error->message);

                applet_model_set_error(&a->model, message);
                show(a);
                notify_failure(a, message);
        }
}

static void on_menu_activated(AppletMenu *menu, AppletMenuAction action, gpointer user_data) {
        Applet *a = user_data;

        switch (action) {
        case APPLET_MENU_TOGGLE_PAUSE:
                applet_engine_set_paused(a->engine, a->model.state != APPLET_ENGINE_PAUSED);
                break;
        case APPLET_MENU_SHOW_STATUS:
                show_full_status(a);
                break;
        case APPLET_MENU_QUIT:
                g_main_loop_quit(a->loop);
                break;
        }
}

static void on_menu_opening(AppletMenu *menu, gpointer user_data) {
        Applet *a = user_data;

        applet_engine_refresh(a->engine);
}

static void on_sni_activated(AppletSni *sni, gpointer user_data) {
        show_full_status(user_data);
}

static gboolean on_signal(gpointer user_data) {
        Applet *a = user_data;

        g_main_loop_quit(a->loop);
        return G_SOURCE_CONTINUE;
}

static void log_to_stderr(const gchar *domain, GLogLevelFlags level, const gchar *message,
                          gpointer user_data) {
        /* Messages too: the journal of a session keeps them. */
        if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
                if (!g_getenv("G_MESSAGES_DEBUG"))
                        return;
        g_printerr("wolfram-applet: %s\n", message);
}

int main(int argc, char *argv[]) {
        g_autoptr(GOptionContext) context = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) system = NULL;
        g_autofree gchar *icon_theme_path = NULL;
        const gchar *localedir;
        gboolean version = FALSE;
        Applet a = { .model.state = APPLET_ENGINE_ABSENT };
        const GOptionEntry options[] = {
                { "icon-theme-path", 0, 0, G_OPTION_ARG_FILENAME, &icon_theme_path,
                  N_("Where the tray looks for the icons first"), N_("DIR") },
                { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version and exit"), NULL },
                { NULL },
        };

        setlocale(LC_ALL, "");
        /* Running from the build tree: the catalogs are where the build put them. */
        localedir = g_getenv("WOLFRAM_LOCALEDIR");
        bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        textdomain(GETTEXT_PACKAGE);
        g_log_set_default_handler(log_to_stderr, NULL);

        context = g_option_context_new(NULL);
        g_option_context_set_summary(context, _("Shows in the tray what wolfram saves, and pauses it."));
        g_option_context_add_main_entries(context, options, GETTEXT_PACKAGE);
        if (!g_option_context_parse(context, &argc, &argv, &error)) {
                g_printerr("wolfram-applet: %s\n", error->message);
                return 2;
        }
        if (argc > 1) {
                g_printerr("wolfram-applet: %s: %s\n", _("Unexpected argument"), argv[1]);
                return 2;
        }
        if (version) {
                g_print("wolfram-applet %s\n", PACKAGE_VERSION);
                return 0;
        }

        a.session = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
        if (!a.session) {
                g_printerr("wolfram-applet: %s: %s\n", _("Cannot connect to the session bus"),
                           error->message);
                return 1;
        }
        system = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        if (!system) {
                g_printerr("wolfram-applet: %s: %s\n", _("Cannot connect to the system bus"),
                           error->message);
                return 1;
        }
        /* The tray and the engine come and go; the buses do not. When one
         * goes (the session ends), so does the applet. */
        g_dbus_connection_set_exit_on_close(a.session, TRUE);
        g_dbus_connection_set_exit_on_close(system, TRUE);

        a.loop = g_main_loop_new(NULL, FALSE);
        a.menu = applet_menu_new(MENU_PATH, on_menu_activated, on_menu_opening, &a);
        a.sni = applet_sni_new(a.session, MENU_PATH, icon_theme_path ?: DATADIR "/icons", on_sni_activated,
                               &a, &error);
        if (!a.sni) {
                g_printerr("wolfram-applet: %s: %s\n", _("Cannot export the tray item"), error->message);
                applet_menu_free(a.menu);
                return 1;
        }
        show(&a);
        a.engine = applet_engine_new(system, &a.model, on_engine_changed, on_engine_failed, &a);

        g_unix_signal_add(SIGINT, on_signal, &a);
        g_unix_signal_add(SIGTERM, on_signal, &a);
        g_main_loop_run(a.loop);

        applet_engine_free(a.engine);
        applet_sni_free(a.sni);
        /* The answer to the Quit click and the item's leaving go out first. */
        g_dbus_connection_flush_sync(a.session, NULL, NULL);
        applet_menu_free(a.menu);
        applet_model_clear(&a.model);
        g_free(a.model.last_error);
        g_main_loop_unref(a.loop);
        g_object_unref(a.session);
        return 0;
}
