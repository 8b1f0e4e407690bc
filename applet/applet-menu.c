/* SPDX-License-Identifier: MIT */
#include "applet-menu.h"

#include <glib/gi18n.h>
#include <libdbusmenu-glib/dbusmenu-glib.h>

struct AppletMenu {
        DbusmenuServer *server;
        DbusmenuMenuitem *root;
        DbusmenuMenuitem *saved, *pool, *ksm, *error, *toggle, *status, *quit;
        AppletMenuActivated activated;
        AppletMenuOpening opening;
        gpointer user_data;
};

gchar *applet_menu_escape_label(const gchar *text) {
        GString *s = g_string_sized_new(strlen(text) + 4);

        for (const gchar *p = text; *p; p++) {
                if (*p == '_')
                        g_string_append_c(s, '_');
                g_string_append_c(s, *p);
        }
        return g_string_free(s, FALSE);
}

/* Sets a label, or hides the item when text is NULL. */
static void set_label(DbusmenuMenuitem *item, const gchar *text) {
        g_autofree gchar *label = NULL;

        dbusmenu_menuitem_property_set_bool(item, DBUSMENU_MENUITEM_PROP_VISIBLE, text != NULL);
        if (!text)
                return;
        label = applet_menu_escape_label(text);
        dbusmenu_menuitem_property_set(item, DBUSMENU_MENUITEM_PROP_LABEL, label);
}

static void on_item_activated(DbusmenuMenuitem *item, guint timestamp, gpointer user_data) {
        AppletMenu *menu = user_data;
        AppletMenuAction action;

        if (item == menu->toggle)
                action = APPLET_MENU_TOGGLE_PAUSE;
        else if (item == menu->status)
                action = APPLET_MENU_SHOW_STATUS;
        else if (item == menu->quit)
                action = APPLET_MENU_QUIT;
        else
                return;
        if (menu->activated)
                menu->activated(menu, action, menu->user_data);
}

static gboolean on_about_to_show(DbusmenuMenuitem *item, gpointer user_data) {
        AppletMenu *menu = user_data;

        if (menu->opening)
                menu->opening(menu, menu->user_data);
        return FALSE; /* the layout does not change before the figures arrive */
}

static DbusmenuMenuitem *add_item(AppletMenu *menu, const gchar *label, gboolean enabled) {
        DbusmenuMenuitem *item = dbusmenu_menuitem_new();

        if (label)
                dbusmenu_menuitem_property_set(item, DBUSMENU_MENUITEM_PROP_LABEL, label);
        dbusmenu_menuitem_property_set_bool(item, DBUSMENU_MENUITEM_PROP_ENABLED, enabled);
        if (enabled)
                g_signal_connect(item, DBUSMENU_MENUITEM_SIGNAL_ITEM_ACTIVATED,
                                 G_CALLBACK(on_item_activated), menu);
        dbusmenu_menuitem_child_append(menu->root, item);
        g_object_unref(item); /* the root holds it */
        return item;
}

static void add_separator(AppletMenu *menu) {
        DbusmenuMenuitem *item = dbusmenu_menuitem_new();

        dbusmenu_menuitem_property_set(item, DBUSMENU_MENUITEM_PROP_TYPE, DBUSMENU_CLIENT_TYPES_SEPARATOR);
        dbusmenu_menuitem_child_append(menu->root, item);
        g_object_unref(item);
}

AppletMenu *applet_menu_new(const gchar *path, AppletMenuActivated activated, AppletMenuOpening opening,
                            gpointer user_data) {
        AppletMenu *menu = g_new0(AppletMenu, 1);

        menu->activated = activated;
        menu->opening = opening;
        menu->user_data = user_data;
        menu->root = dbusmenu_menuitem_new();
        g_signal_connect(menu->root, DBUSMENU_MENUITEM_SIGNAL_ABOUT_TO_SHOW, G_CALLBACK(on_about_to_show),
                         menu);

        /* The figures are information, not commands: shown, not clickable. */
        menu->saved = add_item(menu, NULL, FALSE);
        menu->pool = add_item(menu, NULL, FALSE);
        menu->ksm = add_item(menu, NULL, FALSE);
        menu->error = add_item(menu, NULL, FALSE);
        add_separator(menu);
        menu->toggle = add_item(menu, _("Pause"), TRUE);
        menu->status = add_item(menu, _("Show Full Status…"), TRUE);
        add_separator(menu);
        menu->quit = add_item(menu, _("Quit"), TRUE);

        menu->server = dbusmenu_server_new(path);
        dbusmenu_server_set_root(menu->server, menu->root);
        return menu;
}

void applet_menu_free(AppletMenu *menu) {
        if (!menu)
                return;
        g_clear_object(&menu->server);
        g_clear_object(&menu->root);
        g_free(menu);
}

void applet_menu_update(AppletMenu *menu, const AppletModel *m) {
        g_autofree gchar *saved = applet_model_menu_saved(m), *pool = applet_model_menu_pool(m),
                         *ksm = applet_model_menu_ksm(m), *error = applet_model_menu_error(m);

        set_label(menu->saved, saved);
        set_label(menu->pool, pool);
        set_label(menu->ksm, ksm);
        set_label(menu->error, error);
        set_label(menu->toggle, applet_model_toggle_label(m));
        dbusmenu_menuitem_property_set_bool(menu->toggle, DBUSMENU_MENUITEM_PROP_ENABLED,
                                            m->state != APPLET_ENGINE_ABSENT);
}
