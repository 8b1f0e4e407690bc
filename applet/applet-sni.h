/* SPDX-License-Identifier: MIT */
#pragma once

/* The StatusNotifierItem (the tray protocol of KDE Plasma, GNOME's
 * AppIndicator extension, Xfce, LXQt ...) on the session bus: it owns
 * org.kde.StatusNotifierItem-PID-1, exports /StatusNotifierItem and registers
 * with org.kde.StatusNotifierWatcher whenever one appears, so that it comes
 * back by itself after the tray restarts. */

#include <gio/gio.h>

#include "applet-model.h"

typedef struct AppletSni AppletSni;

/* A left click on the icon (Activate). */
typedef void (*AppletSniActivated)(AppletSni *s, gpointer user_data);

/* Exports the item; menu_path is where the dbusmenu lives; icon_theme_path,
 * if not NULL, is where hosts look for the icons first. */
AppletSni *applet_sni_new(GDBusConnection *bus, const gchar *menu_path, const gchar *icon_theme_path,
                          AppletSniActivated activated, gpointer user_data, GError **error);
void applet_sni_free(AppletSni *s);

/* Shows the model: emits NewIcon, NewStatus, NewToolTip (and
 * PropertiesChanged) for exactly what changed. */
void applet_sni_update(AppletSni *s, const AppletModel *m);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(AppletSni, applet_sni_free)
