/* SPDX-License-Identifier: MIT */
/* Scenario 9's client: one process, N connections to the system bus, each
 * calling one method of the engine every PERIOD ms (the next call once the
 * last is answered), for SECONDS. Written with sd-bus on one sd-event loop,
 * so that what is measured is the engine and the bus, not an interpreter:
 * the time from sending a call to reading its reply.
 *
 *   wolfram-bus-load CONNECTIONS SECONDS PERIOD_MS METHOD
 *
 * METHOD is a method of org.wolfram.Memory1 without arguments, or "Ping"
 * (org.freedesktop.DBus.Peer, answered by sd-bus itself: the bus's own
 * cost). It prints "ready" once every connection is up, waits for a line on
 * stdin, then runs and prints one JSON object: the latencies in seconds and
 * the errors. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>

#define MAX_CONNECTIONS 256
#define MAX_CALLS 1000000

typedef struct Client Client;

typedef struct {
        Client *client;
        sd_bus *bus;
        sd_event_source *timer;
        uint64_t sent_usec;
} Connection;

struct Client {
        sd_event *event;
        const char *interface, *method;
        uint64_t period_usec, end_usec;
        double *latencies;
        size_t n_latencies;
        size_t n_errors;
        char first_error[256];
        unsigned n_active;
};

static uint64_t now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static int send_call(Connection *c);

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Each connection has one timer, armed again for its next call. */
static int arm(Connection *c, uint64_t when) {
        int r;

        if (!c->timer)
                return sd_event_add_time(c->client->event, &c->timer, CLOCK_MONOTONIC, when, 1, on_timer, c);
        r = sd_event_source_set_time(c->timer, when);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        return r;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return send_call(userdata);
}

static void finished(Connection *c) {
        if (--c->client->n_active == 0)
                sd_event_exit(c->client->event, 0);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Connection *c = userdata;
        Client *cl = c->client;
        uint64_t t = now();
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e) {
                if (cl->n_errors++ == 0)
                        snprintf(cl->first_error, sizeof(cl->first_error), "%s: %s", e->name,
                                 e->message ?: "");
        } else if (cl->n_latencies < MAX_CALLS)
                cl->latencies[cl->n_latencies++] = (double) (t - c->sent_usec) / 1e6;

        if (t >= cl->end_usec) {
                finished(c);
                return 0;
        }
        uint64_t next = c->sent_usec + cl->period_usec;
        return arm(c, next > t ? next : t);
}

static int send_call(Connection *c) {
        Client *cl = c->client;
        int r;

        c->sent_usec = now();
        r = sd_bus_call_method_async(c->bus, NULL, "org.wolfram.Memory1", "/org/wolfram/Memory1",
                                     cl->interface, cl->method, on_reply, c, NULL);
        if (r < 0) {
                fprintf(stderr, "Failed to send %s: %s\n", cl->method, strerror(-r));
                finished(c);
        }
        return 0;
}

static int compare(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

int main(int argc, char *argv[]) {
        static Connection conns[MAX_CONNECTIONS];
        Client cl = {};
        unsigned n;
        double seconds;
        char line[16];
        int r;

        if (argc != 5 || (n = (unsigned) atoi(argv[1])) == 0 || n > MAX_CONNECTIONS ||
            (seconds = atof(argv[2])) <= 0 || atoi(argv[3]) <= 0) {
                fprintf(stderr, "Usage: %s CONNECTIONS SECONDS PERIOD_MS METHOD\n", argv[0]);
                return 2;
        }
        cl.period_usec = (uint64_t) atoi(argv[3]) * 1000u;
        cl.method = argv[4];
        cl.interface = strcmp(cl.method, "Ping") == 0 ? "org.freedesktop.DBus.Peer" : "org.wolfram.Memory1";
        cl.latencies = calloc(MAX_CALLS, sizeof(double));
        if (!cl.latencies)
                return 1;

        r = sd_event_default(&cl.event);
        if (r < 0) {
                fprintf(stderr, "Failed to get an event loop: %s\n", strerror(-r));
                return 1;
        }
        for (unsigned i = 0; i < n; i++) {
                conns[i].client = &cl;
                r = sd_bus_open_system(&conns[i].bus);
                if (r >= 0)
                        r = sd_bus_attach_event(conns[i].bus, cl.event, SD_EVENT_PRIORITY_NORMAL);
                if (r < 0) {
                        fprintf(stderr, "Failed to connect to the system bus: %s\n", strerror(-r));
                        return 1;
                }
        }
        printf("ready\n");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                return 1;

        /* The connections start spread over one period, as independent
         * status readers would be. */
        uint64_t start = now();
        cl.end_usec = start + (uint64_t) (seconds * 1e6);
        cl.n_active = n;
        for (unsigned i = 0; i < n; i++) {
                r = arm(&conns[i], start + cl.period_usec * i / n);
                if (r < 0) {
                        fprintf(stderr, "Failed to add a timer: %s\n", strerror(-r));
                        return 1;
                }
        }
        r = sd_event_loop(cl.event);
        if (r < 0) {
                fprintf(stderr, "Event loop failed: %s\n", strerror(-r));
                return 1;
        }

        qsort(cl.latencies, cl.n_latencies, sizeof(double), compare);
        printf("{\"latencies\": [");
        for (size_t i = 0; i < cl.n_latencies; i++)
                printf("%s%.7f", i ? ", " : "", cl.latencies[i]);
        printf("], \"n_errors\": %zu, \"errors\": [", cl.n_errors);
        if (cl.n_errors > 0) {
                putchar('"');
                for (const char *p = cl.first_error; *p; p++)
                        if (*p == '"' || *p == '\\')
                                printf("\\%c", *p);
                        else if ((unsigned char) *p >= 0x20)
                                putchar(*p);
                putchar('"');
        }
        printf("]}\n");

        for (unsigned i = 0; i < n; i++) {
                sd_event_source_unref(conns[i].timer);
                sd_bus_flush_close_unref(conns[i].bus);
        }
        sd_event_unref(cl.event);
        free(cl.latencies);
        return 0;
}
