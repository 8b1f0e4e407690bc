/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "bus-members.h"
#include "common/macro.h"
#include "wolfram-bus.h"

static const char *ksm_mode(const Engine *e) {
        if (!e->ksm.started)
                return "off";
        return e->ksm.has_advisor ? "advisor" : "wolfram";
}

/* Counters are read when asked; no KSM reads as zeros. */
static void ksm_counters(KsmCounters *c) {
        if (ksm_read_counters(c) < 0)
                *c = (KsmCounters){};
}

int property_get_ksm_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        KsmCounters c;
        uint64_t v;

        ksm_counters(&c);
        if (streq(property, "KsmPagesShared"))
                v = c.pages_shared;
        else if (streq(property, "KsmPagesSharing"))
                v = c.pages_sharing;
        else if (streq(property, "KsmPagesUnshared"))
                v = c.pages_unshared;
        else if (streq(property, "KsmPagesVolatile"))
                v = c.pages_volatile;
        else if (streq(property, "KsmZeroPages"))
                v = c.ksm_zero_pages;
        else {
                assert(streq(property, "KsmFullScans"));
                v = c.full_scans;
        }
        return sd_bus_message_append(reply, "t", v);
}

int property_get_ksm_misc(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;
        KsmCounters c;

        if (streq(property, "KsmMode"))
                return sd_bus_message_append(reply, "s", ksm_mode(e));
        if (streq(property, "KsmCpuPercent"))
                return sd_bus_message_append(reply, "d", e->ksm.cpu_percent);
        assert(streq(property, "KsmSavedBytes"));
        ksm_counters(&c);
        return sd_bus_message_append(reply, "x", ksm_saved_bytes(&c));
}

int append_ksm(sd_bus_message *m, Engine *e) {
        KsmCounters c;
        int r;

        ksm_counters(&c);
        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "Ksm");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a{sv}");
        if (r >= 0)
                r = sd_bus_message_append(
                        m, "a{sv}", 10, "Mode", "s", ksm_mode(e), "PagesShared", "t", c.pages_shared,
                        "PagesSharing", "t", c.pages_sharing, "PagesUnshared", "t", c.pages_unshared,
                        "PagesVolatile", "t", c.pages_volatile, "ZeroPages", "t", c.ksm_zero_pages,
                        "FullScans", "t", c.full_scans, "SavedBytes", "x", ksm_saved_bytes(&c), "CpuPercent",
                        "d", e->ksm.cpu_percent, "KsmdCpuUsec", "t", e->ksm.ksmd_cpu_usec_total);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}
