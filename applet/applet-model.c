/* SPDX-License-Identifier: MIT */
#include "applet-model.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"

void applet_model_clear(AppletModel *m) {
        gchar *error = g_steal_pointer(&m->last_error);

        g_free(m->version);
        *m = (AppletModel){ .state = APPLET_ENGINE_ABSENT, .last_error = error };
}

/* Takes the engine's state from State, else from Paused, of a dictionary
 * (State wins: "paused" is what a Pause left). Returns FALSE when it has
 * neither, and leaves the state as it was. */
static gboolean apply_state(AppletModel *m, GVariantDict *d) {
        const gchar *state;
        gboolean paused;

        if (g_variant_dict_lookup(d, "State", "&s", &state))
                m->state = g_str_equal(state, "paused") ? APPLET_ENGINE_PAUSED : APPLET_ENGINE_RUNNING;
        else if (g_variant_dict_lookup(d, "Paused", "b", &paused))
                m->state = paused ? APPLET_ENGINE_PAUSED : APPLET_ENGINE_RUNNING;
        else
                return FALSE;
        return TRUE;
}

static void lookup_u64(GVariantDict *d, const gchar *key, guint64 *ret) {
        guint64 v;

        if (g_variant_dict_lookup(d, key, "t", &v))
                *ret = v;
}

gboolean applet_model_update_from_stats(AppletModel *m, GVariant *stats) {
        g_autoptr(GVariant) pool = NULL, ksm = NULL;
        const gchar *version = NULL;
        GVariantDict d;

        if (!stats || !g_variant_is_of_type(stats, G_VARIANT_TYPE_VARDICT))
                return FALSE;

        g_variant_dict_init(&d, stats);
        /* An engine that answers is there, even one too old to say its state. */
        if (!apply_state(m, &d) && m->state == APPLET_ENGINE_ABSENT)
                m->state = APPLET_ENGINE_RUNNING;
        if (g_variant_dict_lookup(&d, "Version", "&s", &version)) {
                g_free(m->version);
                m->version = g_strdup(version);
        }
        lookup_u64(&d, "SavedBytes", &m->saved_bytes);
        lookup_u64(&d, "PoolSavedBytes", &m->pool_saved_bytes);

        pool = g_variant_dict_lookup_value(&d, "Pool", G_VARIANT_TYPE_VARDICT);
        if (pool) {
                GVariantDict p;
                gdouble ratio;

                g_variant_dict_init(&p, pool);
                lookup_u64(&p, "OriginalBytes", &m->pool_original_bytes);
                lookup_u64(&p, "MemoryUsedBytes", &m->pool_memory_used_bytes);
                if (g_variant_dict_lookup(&p, "CompressionRatio", "d", &ratio) && ratio >= 0)
                        m->pool_ratio = ratio;
                g_variant_dict_clear(&p);
        }
        ksm = g_variant_dict_lookup_value(&d, "Ksm", G_VARIANT_TYPE_VARDICT);
        if (ksm) {
                GVariantDict k;
                gint64 saved;

                g_variant_dict_init(&k, ksm);
                /* The kernel's estimate goes negative while KSM costs more than it merges. */
                if (g_variant_dict_lookup(&k, "SavedBytes", "x", &saved))
                        m->ksm_saved_bytes = saved;
                g_variant_dict_clear(&k);
        }
        g_variant_dict_clear(&d);
        m->have_stats = TRUE;
        return TRUE;
}

gboolean applet_model_update_from_changed(AppletModel *m, GVariant *changed) {
        AppletEngineState old = m->state;
        GVariantDict d;

        if (!changed || !g_variant_is_of_type(changed, G_VARIANT_TYPE_VARDICT))
                return FALSE;
        g_variant_dict_init(&d, changed);
        apply_state(m, &d);
        g_variant_dict_clear(&d);
        return m->state != old;
}

void applet_model_set_error(AppletModel *m, const gchar *message) {
        g_free(m->last_error);
        m->last_error = NULL;
        if (!message)
                return;
        /* The message quotes the bus's text, and a menu label or a tooltip
         * line must stay one line: controls and bytes that are not UTF-8
         * become escapes, the same that wolframctl shows (escape.h). */
        char *shown = escape_bytes(message, strlen(message), 0);
        m->last_error = g_strdup(shown ?: "?");
        free(shown);
}

const gchar *applet_model_icon_name(const AppletModel *m) {
        switch (m->state) {
        case APPLET_ENGINE_RUNNING:
                return "wolfram-active";
        case APPLET_ENGINE_PAUSED:
                return "wolfram-paused";
        case APPLET_ENGINE_ABSENT:
        default:
                return "wolfram-offline";
        }
}

const gchar *applet_model_sni_status(const AppletModel *m) {
        /* Not "Passive" without an engine: trays hide passive items (Xfce
         * does), and an engine that is not running is what the user must
         * see. NeedsAttention would make hosts blink the icon. */
        return "Active";
}

gchar *applet_format_bytes(guint64 bytes) {
        return g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
}

gchar *applet_model_tooltip_title(const AppletModel *m) {
        g_autofree gchar *saved = applet_format_bytes(m->saved_bytes);

        switch (m->state) {
        case APPLET_ENGINE_RUNNING:
                /* TRANSLATORS: the tray tooltip's title; %s is a size such as "85.9 MiB" */
                return g_strdup_printf(_("wolfram: %s saved"), saved);
        case APPLET_ENGINE_PAUSED:
                /* TRANSLATORS: the tray tooltip's title while the engine is paused */
                return g_strdup_printf(_("wolfram is paused: %s saved"), saved);
        case APPLET_ENGINE_ABSENT:
        default:
                return g_strdup(_("wolfram is not running"));
        }
}

gchar *applet_model_menu_saved(const AppletModel *m) {
        g_autofree gchar *saved = NULL;

        if (m->state == APPLET_ENGINE_ABSENT)
                return g_strdup(_("The memory engine (wolframd) is not running"));
        saved = applet_format_bytes(m->saved_bytes);
        /* TRANSLATORS: %s is a size such as "85.9 MiB" */
        return g_strdup_printf(_("Saved now: %s"), saved);
}

gchar *applet_model_menu_pool(const AppletModel *m) {
        g_autofree gchar *stored = NULL, *used = NULL;

        if (m->state == APPLET_ENGINE_ABSENT)
                return NULL;
        if (m->pool_original_bytes == 0)
                return g_strdup(_("Compressed (zram): nothing yet"));
        stored = applet_format_bytes(m->pool_original_bytes);
        used = applet_format_bytes(m->pool_memory_used_bytes);
        /* TRANSLATORS: "288.1 MiB in 202.1 MiB of RAM, ratio 1.45": what zram holds, what that costs */
        return g_strdup_printf(_("Compressed (zram): %s in %s of RAM, ratio %.2f"), stored, used,
                               m->pool_ratio);
}

gchar *applet_model_menu_ksm(const AppletModel *m) {
        g_autofree gchar *merged = NULL;

        if (m->state == APPLET_ENGINE_ABSENT)
                return NULL;
        merged = applet_format_bytes(m->ksm_saved_bytes > 0 ? (guint64) m->ksm_saved_bytes : 0);
        /* TRANSLATORS: memory saved by merging identical pages (kernel samepage merging) */
        return g_strdup_printf(_("Merged (KSM): %s"), merged);
}

gchar *applet_model_menu_error(const AppletModel *m) {
        return m->last_error ? g_strdup(m->last_error) : NULL;
}

gchar *applet_model_tooltip_body(const AppletModel *m) {
        g_autofree gchar *pool = applet_model_menu_pool(m), *ksm = applet_model_menu_ksm(m);
        GString *s = g_string_new(NULL);

        if (m->state == APPLET_ENGINE_ABSENT) {
                g_string_append(s, _("The memory engine (wolframd) is not running"));
                g_string_append_c(s, '\n');
                /* TRANSLATORS: how to start it; keep the command as it is */
                g_string_append(s, _("Start it with: systemctl start wolfram"));
        } else
                g_string_append_printf(s, "%s\n%s", pool, ksm);
        if (m->last_error)
                g_string_append_printf(s, "\n%s", m->last_error);
        return g_string_free(s, FALSE);
}

const gchar *applet_model_toggle_label(const AppletModel *m) {
        return m->state == APPLET_ENGINE_PAUSED ? _("Resume") : _("Pause");
}
