/* SPDX-License-Identifier: MIT */
#pragma once

/* Follows org.wolfram.Memory1 on the system bus: its owner appearing and
 * vanishing, PropertiesChanged and CycleFinished. Each of them refreshes the
 * model from one GetStats call; nothing is polled. Pause and Resume go to the
 * engine with interactive authorization allowed, so the desktop's polkit
 * agent can ask. */

#include <gio/gio.h>

#include "applet-model.h"

typedef struct AppletEngine AppletEngine;

/* Called whenever the model changed (state, figures or error). */
typedef void (*AppletEngineChanged)(AppletEngine *e, gpointer user_data);
/* Called when an action the user asked for failed; message is translated. */
typedef void (*AppletEngineFailed)(AppletEngine *e, const gchar *message, gpointer user_data);

/* Starts following the engine on 'bus'; the model is filled in as answers come. */
AppletEngine *applet_engine_new(GDBusConnection *bus, AppletModel *model, AppletEngineChanged changed,
                                AppletEngineFailed failed, gpointer user_data);
void applet_engine_free(AppletEngine *e);

/* Asks for fresh figures now; calls that overlap are folded into one. */
void applet_engine_refresh(AppletEngine *e);

/* Pauses or resumes the engine; the outcome arrives through the callbacks. */
void applet_engine_set_paused(AppletEngine *e, gboolean pause);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(AppletEngine, applet_engine_free)
