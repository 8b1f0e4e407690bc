/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bus-polkit.h"
#include "common/log.h"
#include "common/macro.h"
#include "wolfram-bus.h"

/* polkit may wait for a person typing a password when interaction is
 * allowed; otherwise it answers at once. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (5ULL * 60ULL * 1000000ULL)

typedef struct AsyncQuery AsyncQuery;

struct AsyncQuery {
        PolkitRegistry *registry;
        AsyncQuery *prev, *next;
        sd_bus_message *request;
        char *action;
        bool interactive; /* the caller allowed polkit to ask someone */
        sd_bus_slot *slot;
        bool done;
        int result;
        sd_bus_error error;
};

struct PolkitRegistry {
        AsyncQuery *queries;
        size_t n_queries;
};

int polkit_registry_new(PolkitRegistry **ret) {
        PolkitRegistry *r = calloc(1, sizeof(PolkitRegistry));

        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

static void async_query_free(AsyncQuery *q) {
        PolkitRegistry *reg = q->registry;

        if (q->prev)
                q->prev->next = q->next;
        else
                reg->queries = q->next;
        if (q->next)
                q->next->prev = q->prev;
        reg->n_queries--;

        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q->action);
        free(q);
}

PolkitRegistry *polkit_registry_free(PolkitRegistry *registry) {
        if (!registry)
                return NULL;
        while (registry->queries)
                async_query_free(registry->queries);
        free(registry);
        return NULL;
}

static int async_query_settle(AsyncQuery *q, sd_bus_message *reply) {
        const sd_bus_error *e;
        int authorized, challenge, r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                e = sd_bus_message_get_error(reply);
                log_warning("polkit check of %s failed: %s", q->action, e->message ?: e->name);
                return sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Cannot check authorization for %s with polkit: %s", q->action,
                                         e->message ?: e->name);
        }

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                log_warning_errno(r, "polkit sent a malformed answer for %s: %m", q->action);
                return sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "polkit sent a malformed answer for %s.", q->action);
        }

        if (authorized)
                return 1;
        /* polkit could have asked, but no agent of the caller's answered:
         * telling the caller to allow interaction would not help. */
        if (challenge && q->interactive)
                return sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Authentication is required for %s, and no authentication agent "
                                         "asked for it.",
                                         q->action);
        if (challenge)
                return sd_bus_error_setf(
                        &q->error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                        "Authentication is required for %s; allow interactive authorization "
                        "or ask an administrator.",
                        q->action);
        return sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized to perform %s.",
                                 q->action);
}

static int polkit_reply_handler(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AsyncQuery *q = userdata;
        int r;

        assert(q);

        q->slot = sd_bus_slot_unref(q->slot);
        q->result = async_query_settle(q, reply);
        q->done = true;

        /* Run the method call again: its handler asks us once more and finds
         * this answer, so the handler stays a straight line. */
        r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
        if (r < 0) {
                log_error_errno(r, "Failed to requeue method call after authorization: %m");
                (void) sd_bus_reply_method_errno(q->request, r, NULL);
                async_query_free(q);
        }
        return 1;
}

int bus_verify_polkit_async(sd_bus_message *call, const char *action, PolkitRegistry *registry,
                            sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *pk = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        const char *sender;
        AsyncQuery *q;
        int interactive, r;

        assert(call);
        assert(action);
        assert(registry);

        for (q = registry->queries; q; q = q->next) {
                if (q->request != call || !streq(q->action, action))
                        continue;
                if (!q->done)
                        return sd_bus_error_set(error, WOLFRAM_ERROR_BUSY,
                                                "Authorization of this call is still in progress.");
                r = q->result;
                if (r < 0)
                        r = sd_bus_error_copy(error, &q->error);
                async_query_free(q);
                return r;
        }

        if (registry->n_queries >= POLKIT_QUERIES_MAX)
                return sd_bus_error_set(error, WOLFRAM_ERROR_BUSY,
                                        "Too many authorization requests in flight, try again later.");

        sender = sd_bus_message_get_sender(call);
        if (!sender)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Caller has no bus name.");
        interactive = sd_bus_message_get_allow_interactive_authorization(call);

        r = sd_bus_message_new_method_call(bus, &pk, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        /* Subject (system-bus-name), action, details, flags
         * (1 = AllowUserInteraction), cancellation id. */
        r = sd_bus_message_append(pk, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender, action,
                                  0, interactive ? 1U : 0U, "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof(AsyncQuery));
        if (!q)
                return -ENOMEM;
        q->registry = registry;
        q->request = sd_bus_message_ref(call);
        q->action = strdup(action);
        q->interactive = interactive > 0;
        q->next = registry->queries;
        if (q->next)
                q->next->prev = q;
        registry->queries = q;
        registry->n_queries++;
        if (!q->action) {
                async_query_free(q);
                return -ENOMEM;
        }

        r = sd_bus_call_async(bus, &q->slot, pk, polkit_reply_handler, q,
                              interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : 0);
        if (r < 0) {
                async_query_free(q);
                return log_error_errno(r, "Failed to ask polkit about %s: %m", action);
        }
        return 0;
}
