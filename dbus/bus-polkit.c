/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
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
        uid_t uid; /* the caller's effective uid */
        bool interactive; /* the caller allowed polkit to ask someone */
        sd_bus_slot *slot;
        /* NameOwnerChanged of the caller, and the check that it was still
         * there once that watch was in place. */
        sd_bus_slot *gone_slot, *owner_slot;
        char cancel_id[32]; /* CancelCheckAuthorization's handle */
        bool done;
        int result;
        sd_bus_error error;
};

struct PolkitRegistry {
        AsyncQuery *queries;
        size_t n_queries;
        uint64_t n_asked; /* for cancellation ids */
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
        sd_bus_slot_unref(q->gone_slot);
        sd_bus_slot_unref(q->owner_slot);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q->action);
        free(q);
}

size_t polkit_registry_pending(const PolkitRegistry *registry, uid_t uid, size_t *ret_of_user) {
        size_t n = 0;

        for (const AsyncQuery *q = registry->queries; q; q = q->next)
                if (!q->done && q->uid == uid)
                        n++;
        if (ret_of_user)
                *ret_of_user = n;
        return registry->n_queries;
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
        q->gone_slot = sd_bus_slot_unref(q->gone_slot);
        q->owner_slot = sd_bus_slot_unref(q->owner_slot);
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

/* The caller left the bus: nobody waits for the answer any more. polkitd
 * is told to stop asking (an agent may show a dialog), and the slot, the
 * call and everything it holds are freed now, not when polkit times out. */
static void async_query_withdraw(AsyncQuery *q) {
        sd_bus *bus = sd_bus_message_get_bus(q->request);

        if (q->slot && !q->done)
                (void) sd_bus_call_method_async(bus, NULL, "org.freedesktop.PolicyKit1",
                                                "/org/freedesktop/PolicyKit1/Authority",
                                                "org.freedesktop.PolicyKit1.Authority",
                                                "CancelCheckAuthorization", NULL, NULL, "s", q->cancel_id);
        log_debug("Caller %s left the bus; withdrew its authorization request for %s.",
                  sd_bus_message_get_sender(q->request), q->action);
        async_query_free(q);
}

static int on_caller_gone(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AsyncQuery *q = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || (new_owner && *new_owner))
                return 0;
        /* Answered already: the requeued call frees it. */
        if (q->done)
                return 0;
        async_query_withdraw(q);
        return 0;
}

/* The caller may have left before the watch was in place: ask once. */
static int on_caller_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AsyncQuery *q = userdata;

        q->owner_slot = sd_bus_slot_unref(q->owner_slot);
        if (!q->done && sd_bus_message_is_method_error(reply, NULL))
                async_query_withdraw(q);
        return 0;
}

static int on_gone_watch_installed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AsyncQuery *q = userdata;
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        int r;

        if (sd_bus_message_is_method_error(reply, NULL))
                return 0; /* no watch: the answer still frees the slot */
        r = sd_bus_call_method_async(bus, &q->owner_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetNameOwner", on_caller_owner, q, "s",
                                     sd_bus_message_get_sender(q->request));
        if (r < 0)
                log_debug_errno(r, "Failed to ask whether %s is still there: %m",
                                sd_bus_message_get_sender(q->request));
        return 0;
}

static int async_query_watch_caller(AsyncQuery *q, const char *sender) {
        _cleanup_free_ char *match = NULL;

        /* Unique names are ":1.42": nothing in them needs quoting. */
        if (asprintf(&match,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                     sender) < 0)
                return -ENOMEM;
        return sd_bus_add_match_async(sd_bus_message_get_bus(q->request), &q->gone_slot, match,
                                      on_caller_gone, on_gone_watch_installed, q);
}

int bus_verify_polkit_async(sd_bus_message *call, const char *action, PolkitRegistry *registry,
                            sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *pk = NULL;
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        char cancel_id[sizeof(((AsyncQuery *) NULL)->cancel_id)];
        const char *sender;
        size_t of_user;
        AsyncQuery *q;
        uid_t uid;
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

        sender = sd_bus_message_get_sender(call);
        if (!sender || sender[0] != ':')
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Caller has no unique bus name.");
        /* The bus driver knows the caller's uid (a short call to it, as
         * systemd does here): the limit counts a user's questions over all
         * of that user's connections. */
        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Cannot tell who the caller is: %s", strerror(-r));
        (void) polkit_registry_pending(registry, uid, &of_user);
        if (of_user >= POLKIT_QUERIES_PER_USER_MAX)
                return sd_bus_error_setf(
                        error, WOLFRAM_ERROR_BUSY,
                        "%zu authorization requests of this user are waiting already; answer "
                        "or cancel those first.",
                        of_user);
        if (registry->n_queries >= POLKIT_QUERIES_MAX)
                return sd_bus_error_set(error, WOLFRAM_ERROR_BUSY,
                                        "Too many authorization requests in flight, try again later.");
        interactive = sd_bus_message_get_allow_interactive_authorization(call);
        snprintf(cancel_id, sizeof(cancel_id), "wolfram-%" PRIu64, ++registry->n_asked);

        r = sd_bus_message_new_method_call(bus, &pk, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        /* Subject (system-bus-name), action, details, flags
         * (1 = AllowUserInteraction), cancellation id. */
        r = sd_bus_message_append(pk, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender, action,
                                  0, interactive ? 1U : 0U, cancel_id);
        if (r < 0)
                return r;

        q = calloc(1, sizeof(AsyncQuery));
        if (!q)
                return -ENOMEM;
        q->registry = registry;
        q->request = sd_bus_message_ref(call);
        q->action = strdup(action);
        q->interactive = interactive > 0;
        q->uid = uid;
        memcpy(q->cancel_id, cancel_id, sizeof(cancel_id));
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
        r = async_query_watch_caller(q, sender);
        if (r < 0)
                log_debug_errno(r, "Failed to watch %s leaving the bus, ignoring: %m", sender);
        return 0;
}
