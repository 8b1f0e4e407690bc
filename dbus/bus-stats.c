/* SPDX-License-Identifier: MIT */
/* GetStats: one snapshot, all figures read together. The structured
 * entries come first (the lists and dictionaries clients show), then every
 * property of the interface not already there, so a new property is in
 * GetStats without a line here. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "build-config.h"
#include "bus-internal.h"
#include "common/macro.h"
#include "wolfram-bus.h"

/* The keys appended so far, so that a property is not appended twice. */
typedef struct Keys {
        const char *names[128];
        size_t n;
} Keys;

static bool keys_have(const Keys *k, const char *name) {
        for (size_t i = 0; i < k->n; i++)
                if (streq(k->names[i], name))
                        return true;
        return false;
}

/* Opens the dict entry 'name' → variant of 'signature'. */
static int entry_open(sd_bus_message *m, Keys *k, const char *name, const char *signature) {
        int r;

        assert(k->n < ELEMENTSOF(k->names));
        k->names[k->n++] = name;
        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', signature);
        return r;
}

static int entry_close(sd_bus_message *m) {
        int r = sd_bus_message_close_container(m);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_swap_devices(sd_bus_message *m, const StatsSnapshot *s) {
        int r = sd_bus_message_open_container(m, 'a', "a{sv}");

        for (size_t i = 0; r >= 0 && i < s->swaps.n_entries; i++) {
                const SwapEntry *e = &s->swaps.entries[i];

                r = sd_bus_message_append(m, "a{sv}", 5, "Path", "s", e->path, "Type", "s", e->type,
                                          "SizeBytes", "t", e->size_bytes, "UsedBytes", "t", e->used_bytes,
                                          "Priority", "i", e->priority);
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_zram_devices(sd_bus_message *m, const StatsSnapshot *s) {
        int r = sd_bus_message_open_container(m, 'a', "a{sv}");

        for (size_t i = 0; r >= 0 && i < s->n_zram; i++) {
                const ZramDevice *d = &s->zram[i];

                r = sd_bus_message_append(m, "a{sv}", 7, "Name", "s", d->name, "DiskSizeBytes", "t",
                                          d->disksize_bytes, "OriginalBytes", "t", d->mm.orig_data_bytes,
                                          "CompressedBytes", "t", d->mm.compr_data_bytes, "MemoryUsedBytes",
                                          "t", d->mm.mem_used_total_bytes, "SamePages", "t",
                                          d->mm.same_pages, "IsSwap", "b", stats_zram_is_swap(s, d));
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

/* Value is the kernel's now; Set what the engine wrote, when someone
 * changed the knob since. */
static int append_tuning(sd_bus_message *m, const Tuning *t, const EngineFigures *f) {
        int r = sd_bus_message_open_container(m, 'a', "a{sv}");

        for (TuningKnob k = 0; r >= 0 && k < _KNOB_MAX; k++) {
                bool changed;

                if (!t->applied[k] || !f->tuning_now_read[k])
                        continue;
                changed = f->tuning_now[k] != t->value[k];
                r = sd_bus_message_append(m, "a{sv}", changed ? 4 : 3, "Name", "s",
                                          tuning_knob_sysctl_name(k), "Original", "x",
                                          (int64_t) t->original[k], "Value", "x", (int64_t) f->tuning_now[k],
                                          "Set", "x", (int64_t) t->value[k]);
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_pool(sd_bus_message *m, Engine *e, const EngineFigures *f) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "Devices");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "as");
        if (r >= 0)
                r = bus_append_pool_devices(m, &e->pool);
        if (r >= 0)
                r = entry_close(m);
        if (r >= 0)
                r = sd_bus_message_append(
                        m, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "Algorithm", "s", f->pool_algorithm,
                        "BudgetBytes", "t", f->pool_budget_bytes, "CapBytes", "t", f->pool_cap_bytes,
                        "OriginalBytes", "t", f->pool.orig_data_bytes, "CompressedBytes", "t",
                        f->pool.compr_data_bytes, "MemoryUsedBytes", "t", f->pool.mem_used_bytes,
                        "SamePages", "t", f->pool.same_pages, "CompressionRatio", "d", f->pool_ratio,
                        "SwapPriority", "i", e->pool.swap_priority, "Note", "s", strempty(e->pool.note));
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_ksm(sd_bus_message *m, Engine *e, const EngineFigures *f) {
        const KsmCounters *c = &f->kernel.ksm;

        return sd_bus_message_append(m, "a{sv}", 10, "Mode", "s", f->ksm_mode, "PagesShared", "t",
                                     c->pages_shared, "PagesSharing", "t", c->pages_sharing, "PagesUnshared",
                                     "t", c->pages_unshared, "PagesVolatile", "t", c->pages_volatile,
                                     "ZeroPages", "t", c->ksm_zero_pages, "FullScans", "t", c->full_scans,
                                     "SavedBytes", "x", f->ksm_saved_bytes, "CpuPercent", "d",
                                     e->ksm.cpu_percent, "KsmdCpuUsec", "t", e->ksm.ksmd_cpu_usec_total);
}

/* What only GetStats has, or has in another shape than the property of
 * the same name. */
static int append_structured(sd_bus_message *m, Keys *k, Engine *e, const EngineFigures *f) {
        const StatsSnapshot *s = &f->kernel;
        int r;

#define SIMPLE(name, sig, value)                                  \
        do {                                                      \
                r = entry_open(m, k, name, sig);                  \
                if (r >= 0)                                       \
                        r = sd_bus_message_append(m, sig, value); \
                if (r >= 0)                                       \
                        r = entry_close(m);                       \
                if (r < 0)                                        \
                        return r;                                 \
        } while (0)
#define LIST(name, sig, call)                    \
        do {                                     \
                r = entry_open(m, k, name, sig); \
                if (r >= 0)                      \
                        r = call;                \
                if (r >= 0)                      \
                        r = entry_close(m);      \
                if (r < 0)                       \
                        return r;                \
        } while (0)

        SIMPLE("Timestamp", "t", s->timestamp_usec);
        SIMPLE("MemoryFreeBytes", "t", s->mem.free_bytes);
        SIMPLE("KsmAvailable", "b", s->ksm_available);
        SIMPLE("ProfileReason", "s", e->config.profile_reason);
        SIMPLE("ProfileDetected", "b", e->config.profile_detected);
        SIMPLE("UptimeUsec", "t", f->uptime_usec);
        LIST("SwapDevices", "aa{sv}", append_swap_devices(m, s));
        LIST("ZramDevices", "aa{sv}", append_zram_devices(m, s));
        LIST("Tuning", "aa{sv}", append_tuning(m, &e->tuning, f));
        LIST("Pool", "a{sv}", append_pool(m, e, f));
        LIST("Ksm", "a{sv}", append_ksm(m, e, f));
        LIST("LastCycle", "a{sv}", bus_append_cycle_summary(m, e));
#undef SIMPLE
#undef LIST
        return 0;
}

/* Every property of every vtable, as a Get would give it. */
static int append_properties(sd_bus_message *m, sd_bus *bus, Keys *k, Engine *e, sd_bus_error *error) {
        int r;

        for (size_t i = 0; i < bus_n_vtables; i++)
                for (const sd_bus_vtable *v = bus_vtables[i].vtable; v->type != _SD_BUS_VTABLE_END; v++) {
                        const char *name;

                        if (v->type != _SD_BUS_VTABLE_PROPERTY)
                                continue;
                        name = v->x.property.member;
                        if (keys_have(k, name))
                                continue;
                        r = entry_open(m, k, name, v->x.property.signature);
                        if (r >= 0)
                                r = v->x.property.get(bus, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE, name, m,
                                                      bus_property_userdata(v, e), error);
                        if (r >= 0)
                                r = entry_close(m);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int method_get_stats(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        const EngineFigures *f;
        Engine *e = userdata;
        Keys keys = {};
        int r;

        f = bus_figures(bus, error);
        if (!f)
                return -EIO;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_structured(reply, &keys, e, f);
        if (r >= 0)
                r = append_properties(reply, bus, &keys, e, error);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

const sd_bus_vtable bus_stats_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("GetStats", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", stats), method_get_stats,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
