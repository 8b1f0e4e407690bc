/* SPDX-License-Identifier: MIT */
/* wolfram.conf as --config=FILE reads it, with the profile's detection
 * looking at an empty root (nothing of this machine's processes). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/paths.h"
#include "config/config.h"
#include "fuzz.h"

static char root[] = "/tmp/wolfram-fuzz-root.XXXXXX";

static void remove_root(void) {
        (void) rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool have_root;
        char path[64], *error = NULL;
        ConfigLoadArgs args = {};
        Config c;
        int fd;

        fuzz_quiet();
        if (!have_root) {
                if (!mkdtemp(root) || root_set_prefix(root) < 0)
                        abort();
                atexit(remove_root);
                have_root = true;
        }
        fd = memfd_create("wolfram.conf", MFD_CLOEXEC);
        if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t) size))
                abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        args.config_file = path;
        if (config_load(&args, &c, &error) >= 0)
                config_done(&c);
        free(error);
        close(fd);
        return 0;
}
