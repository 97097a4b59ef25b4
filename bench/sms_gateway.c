/*
 * sms_gateway.c - a fast SMS gateway for bench/pages.sh: serve's --sms-url posts every SMS here.
 * It answers 200 to every POST (the body read and dropped: nothing of it is kept or printed, it
 * holds a phone and a code) and counts them; GET /count answers "COUNT LAST_MS\n", the posts so
 * far and the wall-clock time of the last one in milliseconds, for the SMS delivered per second.
 *
 *   sms_gateway [PORT]      (0 or nothing: a free port; "listening PORT" on stdout)
 *
 * libmicrohttpd, one polling thread (epoll where there is one): the outbox sends one SMS at a
 * time over a kept-alive connection, so one thread answers it with no thread hand-off, and the
 * gateway is not what bounds the SMS rate (bench/pages.sh checks that the outbox drains).
 */
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static atomic_long COUNT;
static atomic_llong LAST_MS;
static volatile sig_atomic_t STOP;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state)
{
    (void)cls, (void)url, (void)version, (void)data;
    static int started;
    if (*state == NULL) { /* the headers: wait for the body */
        *state = &started;
        return MHD_YES;
    }
    if (*size > 0) { /* a piece of the body, dropped */
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") == 0) {
        char text[64];
        snprintf(text, sizeof(text), "%ld %lld\n", (long)atomic_load(&COUNT),
                 (long long)atomic_load(&LAST_MS));
        return reply(c, MHD_HTTP_OK, text);
    }
    atomic_fetch_add(&COUNT, 1);
    atomic_store(&LAST_MS, now_ms());
    return reply(c, MHD_HTTP_OK, "{}");
}

static void on_signal(int sig)
{
    (void)sig;
    STOP = 1;
}

int main(int argc, char **argv)
{
    long port = 0;
    if (argc > 1) {
        char *end = NULL;
        errno = 0;
        port = strtol(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end != '\0' || port < 0 || port > 65535) {
            fprintf(stderr, "usage: sms_gateway [PORT]\n");
            return 2;
        }
    }
    struct sockaddr_in lo = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, answer, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&lo, MHD_OPTION_CONNECTION_LIMIT, 256,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "sms_gateway: cannot listen on port %ld\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening %u\n", (unsigned)info->port);
    fflush(stdout);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!STOP) {
        pause();
    }
    MHD_stop_daemon(d);
    return 0;
}
