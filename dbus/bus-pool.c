/* SPDX-License-Identifier: MIT */
/* The engine's zram pool: its devices, budget and cap (they change when the
 * pool grows, shrinks or is made), and what it holds (read when asked). */
#include <stddef.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"
#include "common/macro.h"

int bus_append_pool_devices(sd_bus_message *m, const ZramPool *p) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "s");
        for (size_t i = 0; r >= 0 && i < p->n_devices; i++) {
                char name[32];

                snprintf(name, sizeof(name), "zram%u", p->devices[i]);
                r = sd_bus_message_append(m, "s", name);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int property_get_pool_devices(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        Engine *e = userdata;

        return bus_append_pool_devices(reply, &e->pool);
}

static int property_get_pool_note(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "s", strempty(e->pool.note));
}

/* ENGINE_CHANGED_POOL */
const sd_bus_vtable bus_pool_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("PoolDevices", "as", property_get_pool_devices, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolAlgorithm", "s", bus_property_get_figure_string, pool_algorithm,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolBudgetBytes", "t", bus_property_get_figure_u64, pool_budget_bytes,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolCapBytes", "t", bus_property_get_figure_u64, pool_cap_bytes,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PoolNote", "s", property_get_pool_note, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolOriginalBytes", "t", bus_property_get_figure_u64, pool.orig_data_bytes, 0),
        BUS_FIGURE("PoolCompressedBytes", "t", bus_property_get_figure_u64, pool.compr_data_bytes, 0),
        BUS_FIGURE("PoolMemoryUsedBytes", "t", bus_property_get_figure_u64, pool.mem_used_bytes, 0),
        BUS_FIGURE("PoolCompressionRatio", "d", bus_property_get_figure_double, pool_ratio, 0),
        BUS_FIGURE("PoolRecompressAlgorithm", "s", bus_property_get_figure_string, recompress_algorithm,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolRecompressSavedBytes", "t", bus_property_get_figure_u64, recompress_saved_bytes,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolRecompressCpuUsec", "t", bus_property_get_figure_u64, recompress_cpu_usec,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolWritebackDevice", "s", bus_property_get_figure_string, writeback_device,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolWrittenBackBytes", "t", bus_property_get_figure_u64, written_back_bytes,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolWritebackTodayBytes", "t", bus_property_get_figure_u64, writeback_today_bytes,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolWritebackLimitBytes", "t", bus_property_get_figure_u64, writeback_limit_bytes,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolWritebackStoredBytes", "t", bus_property_get_figure_u64, writeback_stored_bytes, 0),
        BUS_FIGURE("PoolWritebackReadBytes", "t", bus_property_get_figure_u64, writeback_read_bytes, 0),
        BUS_FIGURE("PoolAgeingNote", "s", bus_property_get_figure_string, ageing_note,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("PoolLastAgeingTimestamp", "t", bus_property_get_figure_u64, ageing_last_timestamp,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};
