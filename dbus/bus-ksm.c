/* SPDX-License-Identifier: MIT */
/* KSM: the mode the engine runs it in (it changes when KSM is started or
 * stopped), the kernel's counters and what they save (read when asked). */
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"

/* ENGINE_CHANGED_KSM */
const sd_bus_vtable bus_ksm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        BUS_FIGURE("KsmMode", "s", bus_property_get_figure_string, ksm_mode,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("KsmPagesSharing", "t", bus_property_get_figure_u64, kernel.ksm.pages_sharing, 0),
        BUS_FIGURE("KsmPagesShared", "t", bus_property_get_figure_u64, kernel.ksm.pages_shared, 0),
        BUS_FIGURE("KsmPagesUnshared", "t", bus_property_get_figure_u64, kernel.ksm.pages_unshared, 0),
        BUS_FIGURE("KsmPagesVolatile", "t", bus_property_get_figure_u64, kernel.ksm.pages_volatile, 0),
        BUS_FIGURE("KsmZeroPages", "t", bus_property_get_figure_u64, kernel.ksm.ksm_zero_pages, 0),
        BUS_FIGURE("KsmFullScans", "t", bus_property_get_figure_u64, kernel.ksm.full_scans, 0),
        BUS_FIGURE("KsmSavedBytes", "x", bus_property_get_figure_i64, ksm_saved_bytes, 0),
        SD_BUS_PROPERTY("KsmCpuPercent", "d", bus_property_get_double, offsetof(Engine, ksm.cpu_percent), 0),
        SD_BUS_VTABLE_END,
};
