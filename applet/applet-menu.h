/* SPDX-License-Identifier: MIT */
#pragma once

/* The applet's menu, exported with libdbusmenu (com.canonical.dbusmenu) on
 * the session bus: the figures, Pause/Resume, the full status, Quit. */

#include <glib.h>

#include "applet-model.h"

typedef struct AppletMenu AppletMenu;

typedef enum AppletMenuAction {
        APPLET_MENU_TOGGLE_PAUSE,
        APPLET_MENU_SHOW_STATUS,
        APPLET_MENU_QUIT,
} AppletMenuAction;

typedef void (*AppletMenuActivated)(AppletMenu *menu, AppletMenuAction action, gpointer user_data);
/* The host is about to open the menu: a chance to fetch fresh figures. */
typedef void (*AppletMenuOpening)(AppletMenu *menu, gpointer user_data);

/* Exports the menu at 'path' on the session bus. */
AppletMenu *applet_menu_new(const gchar *path, AppletMenuActivated activated, AppletMenuOpening opening,
                            gpointer user_data);
void applet_menu_free(AppletMenu *menu);

/* Shows the model's figures, state and last error. */
void applet_menu_update(AppletMenu *menu, const AppletModel *m);

/* A label with its underscores doubled, since dbusmenu reads one as a
 * mnemonic (newly allocated). */
gchar *applet_menu_escape_label(const gchar *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(AppletMenu, applet_menu_free)
