/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bus-json.h"
#include "common/macro.h"

static int read_basic(sd_bus_message *m, char type, json_object **ret) {
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
        } v;
        json_object *j;
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;

        switch (type) {
        case 'y':
                j = json_object_new_int(v.y);
                break;
        case 'b':
                j = json_object_new_boolean(v.b);
                break;
        case 'n':
                j = json_object_new_int(v.n);
                break;
        case 'q':
                j = json_object_new_int(v.q);
                break;
        case 'i':
                j = json_object_new_int(v.i);
                break;
        case 'u':
                j = json_object_new_int64(v.u);
                break;
        case 'x':
                j = json_object_new_int64(v.x);
                break;
        case 't':
                j = json_object_new_uint64(v.t);
                break;
        case 'd':
                j = json_object_new_double(v.d);
                break;
        case 's':
        case 'o':
        case 'g':
                j = json_object_new_string(v.s);
                break;
        default:
                return -EBADMSG;
        }
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

/* Reads the entries of a{…} with string keys into an object. */
static int read_dict(sd_bus_message *m, const char *contents, json_object **ret) {
        json_object *obj;
        char entry[256];
        size_t len = strlen(contents);
        int r;

        /* "{sv}" holds entries of "sv". */
        if (len < 4 || len - 2 >= sizeof(entry))
                return -EBADMSG;
        memcpy(entry, contents + 1, len - 2);
        entry[len - 2] = 0;

        obj = json_object_new_object();
        if (!obj)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', contents);
        while (r >= 0) {
                const char *key;
                json_object *value;

                r = sd_bus_message_enter_container(m, 'e', entry);
                if (r <= 0)
                        break;
                r = sd_bus_message_read_basic(m, 's', &key);
                if (r >= 0)
                        r = bus_message_read_json(m, &value);
                if (r < 0)
                        break;
                json_object_object_add(obj, key, value);
                r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                json_object_put(obj);
                return r;
        }
        *ret = obj;
        return 0;
}

/* Reads the members of an array, struct or variant into a JSON array (or,
 * for a variant, its single value). */
static int read_container(sd_bus_message *m, char type, const char *contents, json_object **ret) {
        json_object *arr = NULL, *value;
        int r;

        if (type == 'a' && contents[0] == '{' && contents[1] == 's')
                return read_dict(m, contents, ret);

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;

        if (type == 'v') {
                r = bus_message_read_json(m, &value);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0) {
                        json_object_put(value);
                        return r;
                }
                *ret = value;
                return 0;
        }

        arr = json_object_new_array();
        if (!arr)
                return -ENOMEM;
        while ((r = sd_bus_message_at_end(m, false)) == 0) {
                r = bus_message_read_json(m, &value);
                if (r < 0)
                        break;
                json_object_array_add(arr, value);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                json_object_put(arr);
                return r;
        }
        *ret = arr;
        return 0;
}

int bus_message_read_json(sd_bus_message *m, json_object **ret) {
        const char *contents;
        char type;
        int r;

        assert(m);
        assert(ret);

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -EBADMSG;

        if (type == 'a' || type == 'r' || type == 'v')
                return read_container(m, type, contents, ret);
        return read_basic(m, type, ret);
}
