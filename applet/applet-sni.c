/* SPDX-License-Identifier: MIT */
#include "applet-sni.h"

#include <glib/gi18n.h>
#include <unistd.h>

#define SNI_PATH "/StatusNotifierItem"
#define SNI_INTERFACE "org.kde.StatusNotifierItem"
#define WATCHER_NAME "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH "/StatusNotifierWatcher"

static const gchar sni_xml[] =
        "<node>"
        " <interface name='org.kde.StatusNotifierItem'>"
        "  <property name='Category' type='s' access='read'/>"
        "  <property name='Id' type='s' access='read'/>"
        "  <property name='Title' type='s' access='read'/>"
        "  <property name='Status' type='s' access='read'/>"
        "  <property name='WindowId' type='i' access='read'/>"
        "  <property name='IconThemePath' type='s' access='read'/>"
        "  <property name='IconName' type='s' access='read'/>"
        "  <property name='IconPixmap' type='a(iiay)' access='read'/>"
        "  <property name='OverlayIconName' type='s' access='read'/>"
        "  <property name='OverlayIconPixmap' type='a(iiay)' access='read'/>"
        "  <property name='AttentionIconName' type='s' access='read'/>"
        "  <property name='AttentionIconPixmap' type='a(iiay)' access='read'/>"
        "  <property name='AttentionMovieName' type='s' access='read'/>"
        "  <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
        "  <property name='ItemIsMenu' type='b' access='read'/>"
        "  <property name='Menu' type='o' access='read'/>"
        "  <method name='ContextMenu'><arg name='x' type='i' direction='in'/>"
        "   <arg name='y' type='i' direction='in'/></method>"
        "  <method name='Activate'><arg name='x' type='i' direction='in'/>"
        "   <arg name='y' type='i' direction='in'/></method>"
        "  <method name='SecondaryActivate'><arg name='x' type='i' direction='in'/>"
        "   <arg name='y' type='i' direction='in'/></method>"
        "  <method name='Scroll'><arg name='delta' type='i' direction='in'/>"
        "   <arg name='orientation' type='s' direction='in'/></method>"
        "  <signal name='NewTitle'/>"
        "  <signal name='NewIcon'/>"
        "  <signal name='NewAttentionIcon'/>"
        "  <signal name='NewOverlayIcon'/>"
        "  <signal name='NewToolTip'/>"
        "  <signal name='NewStatus'><arg name='status' type='s'/></signal>"
        "  <signal name='NewIconThemePath'><arg name='icon_theme_path' type='s'/></signal>"
        "  <signal name='NewMenu'/>"
        " </interface>"
        "</node>";

struct AppletSni {
        GDBusConnection *bus;
        GDBusNodeInfo *info;
        guint object_id;
        guint own_id;
        guint watch_id;
        GCancellable *cancellable;
        gchar *bus_name;
        gchar *menu_path;
        gchar *icon_theme_path;
        AppletSniActivated activated;
        gpointer user_data;
        gboolean registered;

        /* What the host was last told. */
        gchar *icon_name;
        gchar *status;
        gchar *tooltip_title;
        gchar *tooltip_body;
};

static GVariant *empty_pixmaps(void) {
        return g_variant_new_array(G_VARIANT_TYPE("(iiay)"), NULL, 0);
}

static GVariant *tooltip_variant(AppletSni *s) {
        /* Hosts may read the body as markup (KDE does): an error message
         * with a '<' in it must show as text. */
        g_autofree gchar *body = g_markup_escape_text(s->tooltip_body ?: "", -1);

        return g_variant_new("(s@a(iiay)ss)", s->icon_name ?: "", empty_pixmaps(), s->tooltip_title ?: "",
                             body);
}

static GVariant *get_property(GDBusConnection *bus, const gchar *sender, const gchar *path,
                              const gchar *interface, const gchar *name, GError **error,
                              gpointer user_data) {
        AppletSni *s = user_data;

        if (g_str_equal(name, "Category"))
                return g_variant_new_string("SystemServices");
        if (g_str_equal(name, "Id"))
                return g_variant_new_string("wolfram");
        if (g_str_equal(name, "Title"))
                return g_variant_new_string(_("wolfram memory saver"));
        if (g_str_equal(name, "Status"))
                return g_variant_new_string(s->status ?: "Passive");
        if (g_str_equal(name, "WindowId"))
                return g_variant_new_int32(0);
        if (g_str_equal(name, "IconThemePath"))
                return g_variant_new_string(s->icon_theme_path ?: "");
        if (g_str_equal(name, "IconName"))
                return g_variant_new_string(s->icon_name ?: "wolfram-offline");
        if (g_str_equal(name, "OverlayIconName") || g_str_equal(name, "AttentionIconName") ||
            g_str_equal(name, "AttentionMovieName"))
                return g_variant_new_string("");
        if (g_str_equal(name, "IconPixmap") || g_str_equal(name, "OverlayIconPixmap") ||
            g_str_equal(name, "AttentionIconPixmap"))
                return empty_pixmaps();
        if (g_str_equal(name, "ToolTip"))
                return tooltip_variant(s);
        if (g_str_equal(name, "ItemIsMenu"))
                /* The figures are the point: a left click shows them. */
                return g_variant_new_boolean(TRUE);
        if (g_str_equal(name, "Menu"))
                return g_variant_new_object_path(s->menu_path);
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s", name);
        return NULL;
}

static void method_call(GDBusConnection *bus, const gchar *sender, const gchar *path, const gchar *interface,
                        const gchar *method, GVariant *parameters, GDBusMethodInvocation *invocation,
                        gpointer user_data) {
        AppletSni *s = user_data;

        /* Hosts that do not draw the menu themselves send Activate on a
         * left click: show the full status. The other calls have no use
         * here; they succeed and change nothing. */
        if (g_str_equal(method, "Activate") && s->activated)
                s->activated(s, s->user_data);
        g_dbus_method_invocation_return_value(invocation, NULL);
}

static const GDBusInterfaceVTable sni_vtable = {
        .method_call = method_call,
        .get_property = get_property,
};

static void register_done(GObject *source, GAsyncResult *result, gpointer user_data) {
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        AppletSni *s;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        s = user_data;
        if (!reply) {
                g_warning("The tray (%s) refused the item: %s; waiting for another", WATCHER_NAME,
                          error->message);
                return;
        }
        s->registered = TRUE;
        g_message("Registered %s with the tray", s->bus_name);
}

static void on_watcher_appeared(GDBusConnection *bus, const gchar *name, const gchar *owner,
                                gpointer user_data) {
        AppletSni *s = user_data;

        s->registered = FALSE;
        g_dbus_connection_call(bus, owner, WATCHER_PATH, WATCHER_NAME, "RegisterStatusNotifierItem",
                               g_variant_new("(s)", s->bus_name), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                               s->cancellable, register_done, s);
}

static void on_watcher_vanished(GDBusConnection *bus, const gchar *name, gpointer user_data) {
        AppletSni *s = user_data;

        if (s->registered)
                g_message("The tray left the session bus; waiting for it to come back");
        s->registered = FALSE;
}

static void on_name_lost(GDBusConnection *bus, const gchar *name, gpointer user_data) {
        g_warning("Could not own %s on the session bus", name);
}

AppletSni *applet_sni_new(GDBusConnection *bus, const gchar *menu_path, const gchar *icon_theme_path,
                          AppletSniActivated activated, gpointer user_data, GError **error) {
        g_autoptr(AppletSni) s = g_new0(AppletSni, 1);

        s->bus = g_object_ref(bus);
        s->cancellable = g_cancellable_new();
        s->menu_path = g_strdup(menu_path);
        s->icon_theme_path = g_strdup(icon_theme_path);
        s->activated = activated;
        s->user_data = user_data;
        s->status = g_strdup("Passive");
        s->icon_name = g_strdup("wolfram-offline");
        s->info = g_dbus_node_info_new_for_xml(sni_xml, error);
        if (!s->info)
                return NULL;
        s->object_id = g_dbus_connection_register_object(bus, SNI_PATH, s->info->interfaces[0], &sni_vtable,
                                                         s, NULL, error);
        if (s->object_id == 0)
                return NULL;
        /* The name the specification asks for: one per process and item. */
        s->bus_name = g_strdup_printf("org.kde.StatusNotifierItem-%d-1", (int) getpid());
        s->own_id = g_bus_own_name_on_connection(bus, s->bus_name, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, NULL,
                                                 on_name_lost, s, NULL);
        s->watch_id = g_bus_watch_name_on_connection(bus, WATCHER_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     on_watcher_appeared, on_watcher_vanished, s, NULL);
        return g_steal_pointer(&s);
}

void applet_sni_free(AppletSni *s) {
        if (!s)
                return;
        if (s->cancellable)
                g_cancellable_cancel(s->cancellable);
        if (s->watch_id)
                g_bus_unwatch_name(s->watch_id);
        if (s->own_id)
                g_bus_unown_name(s->own_id);
        if (s->object_id)
                g_dbus_connection_unregister_object(s->bus, s->object_id);
        g_clear_pointer(&s->info, g_dbus_node_info_unref);
        g_clear_object(&s->cancellable);
        g_clear_object(&s->bus);
        g_free(s->bus_name);
        g_free(s->menu_path);
        g_free(s->icon_theme_path);
        g_free(s->icon_name);
        g_free(s->status);
        g_free(s->tooltip_title);
        g_free(s->tooltip_body);
        g_free(s);
}

/* Replaces *field with value (taken); TRUE when it differs. */
static gboolean take_if_changed(gchar **field, gchar *value) {
        if (g_strcmp0(*field, value) == 0) {
                g_free(value);
                return FALSE;
        }
        g_free(*field);
        *field = value;
        return TRUE;
}

static void emit(AppletSni *s, const gchar *signal, GVariant *parameters) {
        g_autoptr(GError) error = NULL;

        if (!g_dbus_connection_emit_signal(s->bus, NULL, SNI_PATH, SNI_INTERFACE, signal, parameters,
                                           &error))
                g_warning("Failed to emit %s, ignoring: %s", signal, error->message);
}

void applet_sni_update(AppletSni *s, const AppletModel *m) {
        gboolean icon, status, tooltip;
        GVariantBuilder changed;
        g_autoptr(GError) error = NULL;

        icon = take_if_changed(&s->icon_name, g_strdup(applet_model_icon_name(m)));
        status = take_if_changed(&s->status, g_strdup(applet_model_sni_status(m)));
        tooltip = take_if_changed(&s->tooltip_title, applet_model_tooltip_title(m));
        tooltip = take_if_changed(&s->tooltip_body, applet_model_tooltip_body(m)) || tooltip || icon;
        if (!icon && !status && !tooltip)
                return;

        if (icon)
                emit(s, "NewIcon", NULL);
        if (status)
                emit(s, "NewStatus", g_variant_new("(s)", s->status));
        if (tooltip)
                emit(s, "NewToolTip", NULL);

        /* Hosts built on GDBus proxies watch PropertiesChanged instead. */
        g_variant_builder_init(&changed, G_VARIANT_TYPE_VARDICT);
        if (icon)
                g_variant_builder_add(&changed, "{sv}", "IconName", g_variant_new_string(s->icon_name));
        if (status)
                g_variant_builder_add(&changed, "{sv}", "Status", g_variant_new_string(s->status));
        if (tooltip)
                g_variant_builder_add(&changed, "{sv}", "ToolTip", tooltip_variant(s));
        if (!g_dbus_connection_emit_signal(
                    s->bus, NULL, SNI_PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                    g_variant_new("(sa{sv}as)", SNI_INTERFACE, &changed, NULL), &error))
                g_warning("Failed to emit PropertiesChanged, ignoring: %s", error->message);
}
